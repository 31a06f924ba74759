"""The per-step recurrent product h(t−1) W_hhᵀ at small batch, in the forms one could use.

Forward-only LSTM at small shapes is GEMM-bound: B×H times H×4H once per step, with B as
small as 8. This script times that one product, alternating the forms in every round:

* ``rowmajor``  — (B, H) @ (H, 4H): what rnnlab does (states are (B, H) rows), W_hhᵀ
  copied into a C array first.
* ``view``      — the same product on the transposed view W_hh.T, without the copy; the
  copy's own time is printed beside it, and how many steps repay it: NumPy's steps copy
  W_hhᵀ only for loops of at least that many steps
  (``rnnlab.recurrent.step_product.step_operand``).
* ``featmajor`` — (4H, H) @ (H, B): the same product with states stored feature-major.
* ``mkl-packed`` — MKL's ``cblas_sgemm_compute`` on a W_hh packed once by
  ``cblas_sgemm_pack`` (the trick oneDNN uses), through ctypes; only with ``--mkl-lib``
  pointing at ``libmkl_rt.so`` (e.g. from the ``mkl`` wheel, which rnnlab does not depend on).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/speed/recurrent_gemm.py [--mkl-lib PATH]

Times are CPU seconds (``time.process_time``) per product, the median over rounds.
"""

from __future__ import annotations

import argparse
import ctypes
import time
from functools import partial

import numpy as np
from timing import alternate

SHAPES = [(8, 64), (16, 128), (20, 200), (32, 256), (64, 512),  # (B, H) of speed.py's cases
          (1, 64), (1, 300), (1, 650)]  # a decoder's one row
ROW_MAJOR, NO_TRANS, PACKED, B_MATRIX = 101, 111, 151, 162


def _mkl_packed(lib_path: str, s: np.ndarray, w_t: np.ndarray, out: np.ndarray):
    lib = ctypes.CDLL(lib_path)
    lib.MKL_Set_Threading_Layer(ctypes.c_int(1))  # sequential: no OpenMP runtime needed
    lib.cblas_sgemm_pack_get_size.restype = ctypes.c_size_t
    m, k = s.shape
    n = w_t.shape[1]
    packed = np.empty(lib.cblas_sgemm_pack_get_size(B_MATRIX, m, n, k) // 4 + 16, np.float32)
    ptr = ctypes.c_void_p
    lib.cblas_sgemm_pack(ROW_MAJOR, B_MATRIX, NO_TRANS, m, n, k, ctypes.c_float(1.0),
                         ptr(w_t.ctypes.data), n, ptr(packed.ctypes.data))
    args = (ROW_MAJOR, NO_TRANS, PACKED, m, n, k, ptr(s.ctypes.data), k,
            ptr(packed.ctypes.data), n, ctypes.c_float(0.0), ptr(out.ctypes.data), n)

    def compute(keep_alive=(packed, s, out)):  # the pointers in args point into these
        lib.cblas_sgemm_compute(*args)

    return compute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mkl-lib", default=None, help="path of libmkl_rt.so")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("| B × H → 4H | rowmajor µs | featmajor µs | view µs |"
          + (" mkl-packed µs |" if args.mkl_lib else "") + " copy of W_hhᵀ µs | steps to repay |")
    print("|---|---:|---:|---:|" + ("---:|" if args.mkl_lib else "") + "---:|---:|")
    for batch, hidden in SHAPES:
        s = rng.standard_normal((batch, hidden)).astype(np.float32)
        w = rng.standard_normal((4 * hidden, hidden)).astype(np.float32)
        w_t, s_t = np.ascontiguousarray(w.T), np.ascontiguousarray(s.T)
        out, out_t = np.empty((batch, 4 * hidden), np.float32), np.empty((4 * hidden, batch),
                                                                         np.float32)
        forms = {"rowmajor": partial(np.matmul, s, w_t, out=out),
                 "featmajor": partial(np.matmul, w, s_t, out=out_t),
                 "view": partial(np.matmul, s, w.T, out=out)}
        if args.mkl_lib:
            mkl_out = np.empty_like(out)
            forms["mkl-packed"] = _mkl_packed(args.mkl_lib, s, w_t, mkl_out)
            forms["mkl-packed"]()
            assert np.allclose(mkl_out, s @ w_t, rtol=1e-4, atol=1e-3)
        repeats = max(5, int(2e6 / (batch * hidden * 4 * hidden)))
        timed = alternate(forms, args.rounds, clock=time.process_time, calls=repeats,
                          rotate=False)
        cells = " | ".join(f"{1e6 * timed.median(name):.1f}" for name in forms)
        copy = alternate({"copy": partial(np.ascontiguousarray, w.T)}, args.rounds,
                         clock=time.process_time, calls=repeats, rotate=False).median("copy")
        saved = timed.median("view") - timed.median("rowmajor")
        repay = f"{copy / saved:.1f}" if saved > 0 else "never"
        print(f"| {batch} × {hidden} | {cells} | {1e6 * copy:.1f} | {repay} |")


if __name__ == "__main__":
    main()
