"""How fast can a training step of one recurrent layer be on this machine, at best?

A training step of a one-layer, one-direction layer with G gate blocks (RNN 1, GRU 3,
LSTM 4) does six matrix products of T·B × (I or H) × G·H multiply-adds each — input
projection, T recurrent products, ∂L/∂x, ∂L/∂W_ih, ∂L/∂W_hh and the T backward recurrent
products — so with I = H it needs 6 · 2·T·B·H·G·H floating-point operations. This script
measures the best single-thread float32 GEMM rate here (MKL, the library rnnlab uses, and
NumPy's OpenBLAS) on large products, and prints for each cell at (T, B, I, H) the lower
bound on a two-thread training step: the products alone, both cores at that best rate, no
elementwise work, no memory traffic, no overhead. No implementation doing these products
can beat it; ``benchmarks/speed/speed.py`` puts both libraries' times beside it.

    .venv/bin/python benchmarks/speed/gemm_peak.py                # (100, 64, 512, 512)
    .venv/bin/python benchmarks/speed/gemm_peak.py --shape 50 32 256 256
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from timing import repeat  # noqa: E402

from rnnlab.recurrent.gemm import matmul  # noqa: E402
from rnnlab.recurrent.step_product import mkl_library_path  # noqa: E402

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def gflops_per_second(product, flops: float, repeats: int = 9) -> float:
    """Best rate over ``repeats`` calls (CPU time of this one thread)."""
    best = min(repeat(product, repeats, clock=time.thread_time))
    return flops / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", nargs=4, type=int, default=(100, 64, 512, 512),
                        metavar=("T", "B", "I", "H"))
    args = parser.parse_args()
    T, B, I, H = args.shape
    if I != H:
        parser.error("the bound assumes I = H")
    rng = np.random.default_rng(0)
    rates = {}
    for name, (m, k, n) in {"square 2048": (2048, 2048, 2048),
                            f"step-shaped {T * B}×{H}·{H}×{4 * H}": (T * B, H, 4 * H)}.items():
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        flops = 2.0 * m * k * n
        mkl = gflops_per_second(lambda a=a, b=b: matmul(a, b), flops)
        openblas = gflops_per_second(lambda a=a, b=b: a @ b, flops)
        rates[name] = max(mkl, openblas)
        print(f"one thread, {name}: MKL {mkl:.1f} GFLOP/s, OpenBLAS {openblas:.1f} GFLOP/s"
              + ("" if mkl_library_path() else " (MKL not in use: both are NumPy)"))
    best = max(rates.values())
    print(f"\nlower bound on a 2-thread training step at (T, B, I, H) = {tuple(args.shape)}, "
          f"both cores at {best:.1f} GFLOP/s, products only:")
    for cell, gates in GATES.items():
        flops = 6 * 2.0 * T * B * H * gates * H
        print(f"  {cell}: {flops / 1e9:.1f} GFLOP -> {1e3 * flops / (2 * best * 1e9):.1f} ms")


if __name__ == "__main__":
    main()
