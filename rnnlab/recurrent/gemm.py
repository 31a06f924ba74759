"""The whole-sequence matrix products of a recurrent layer, through MKL when it is in use.

Besides the per-step products (:mod:`rnnlab.recurrent.step_product`), a layer does a few
large products over all T·B rows at once::

    xp = x W_ihᵀ              (T·B × I) · (I × GH)      forward, the input projection
    ∂L/∂x = ∂L/∂xp W_ih       (T·B × GH) · (GH × I)     backward
    ∂L/∂W_ih = ∂L/∂xpᵀ x      (GH × T·B) · (T·B × I)    backward
    ∂L/∂W_hh = ∂L/∂zᵀ h(t−1)  (GH × T·B) · (T·B × H)    backward

With MKL loaded, :func:`matmul` runs them with its ``cblas_?gemm`` on the calling thread
(MKL is set to sequential threading), which measured 1.2–1.5× faster than one-thread
OpenBLAS on these shapes here (1600 × 256 · 256 × 1024: 7.0 against 8.4 ms CPU in one run
of ``benchmarks/speed/kernel_micro.py``, 8.7 against 12.8 ms in another on a busier box).
Sequential is what the layer wants: its two threads (:mod:`rnnlab.recurrent.parallel`)
each run their own products, or each half of one (``split=True``). Without MKL, or for
anything but 2-D float32/float64 arrays with one unit stride, it is NumPy's ``@`` — split
in two halves the same way, each on one thread of a single-threaded BLAS.
"""

from __future__ import annotations

import ctypes

import numpy as np

from rnnlab.recurrent.parallel import run_pair
from rnnlab.recurrent.step_product import mkl_library

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
MIN_SPLIT_ROWS = 64  # a split product gives each thread at least this many rows
_SCALARS = {np.dtype(np.float32): ("s", ctypes.c_float),
            np.dtype(np.float64): ("d", ctypes.c_double)}


def _operand(m: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) that let BLAS read ``m`` in place, or None."""
    size = m.itemsize
    rows, cols = m.shape
    if m.strides[1] == size and m.strides[0] % size == 0 and m.strides[0] >= max(1, cols) * size:
        return _NO_TRANS, m.strides[0] // size  # row-major (a C array or a row slice of one)
    if m.strides[0] == size and m.strides[1] % size == 0 and m.strides[1] >= max(1, rows) * size:
        return _TRANS, m.strides[1] // size  # the transpose of a row-major array
    return None


def matmul(a: np.ndarray, b: np.ndarray, *, bias: np.ndarray | None = None,
           split: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (``+ bias``, a row added to every row) for 2-D ``a`` (M × K) and ``b``
    (K × N), either possibly a transposed view (``w.T``): MKL's GEMM when it is in use,
    NumPy's otherwise. Returns a new C array, or ``out`` (M × N, C-contiguous, a's dtype)
    filled with the result — a buffer reused across calls saves the kernel's zeroing of
    fresh pages, which for a 39 MB result measured about 6 ms here.

    With ``split``, the rows of the result are computed in two halves on two threads
    (:func:`rnnlab.recurrent.parallel.run_pair`, the BLAS single-threaded meanwhile) when
    more than one thread is allowed: each half is one single-threaded GEMM (and its bias
    add), so a one-direction layer keeps both cores busy on its whole-sequence products
    too, whichever BLAS runs them."""
    if out is not None and (out.shape != (a.shape[0], b.shape[1]) or out.dtype != a.dtype
                            or not out.flags.c_contiguous):
        raise ValueError(f"out must be a C-contiguous {a.dtype} array of shape "
                         f"{(a.shape[0], b.shape[1])}, got {out.dtype} {out.shape}")
    product = _product_into if _mkl_can_run(a, b) else _numpy_product_into
    splits = (split and a.shape[0] >= 2 * MIN_SPLIT_ROWS and a.ndim == b.ndim == 2
              and a.dtype in _SCALARS and b.dtype == a.dtype)
    if out is None and (splits or product is _product_into):
        out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    if not splits:
        return product(a, b, out, bias)
    half = a.shape[0] // 2
    run_pair(lambda: product(a[:half], b, out[:half], bias),
             lambda: product(a[half:], b, out[half:], bias))
    return out


def _mkl_can_run(a: np.ndarray, b: np.ndarray) -> bool:
    return (mkl_library() is not None and a.dtype in _SCALARS and a.ndim == 2 and b.ndim == 2
            and b.dtype == a.dtype and a.shape[1] == b.shape[0] and 0 not in a.shape
            and b.shape[1] > 0 and _operand(a) is not None and _operand(b) is not None)


def _numpy_product_into(a: np.ndarray, b: np.ndarray, out: np.ndarray | None,
                        bias: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (+ bias) by NumPy, into ``out`` when it is given."""
    out = np.matmul(a, b, out=out)
    if bias is not None:
        out += bias
    return out


def _product_into(a: np.ndarray, b: np.ndarray, out: np.ndarray,
                  bias: np.ndarray | None = None) -> np.ndarray:
    """out[...] = a @ b (+ bias) by MKL (:func:`_mkl_can_run`); ``out``: a C array or a row
    slice of one. A bias is written into ``out`` first and the product added to it (β = 1),
    which saves the pass over ``out`` that adding it afterwards would take."""
    lib = mkl_library()
    prefix, c_scalar = _SCALARS[a.dtype]
    op_a, op_b = _operand(a), _operand(b)
    (m, k), n = a.shape, b.shape[1]
    beta = 0.0
    if bias is not None:
        out[...] = bias
        beta = 1.0
    getattr(lib, f"cblas_{prefix}gemm")(
        _ROW_MAJOR, op_a[0], op_b[0], m, n, k, c_scalar(1.0),
        ctypes.c_void_p(a.ctypes.data), op_a[1], ctypes.c_void_p(b.ctypes.data), op_b[1],
        c_scalar(beta), ctypes.c_void_p(out.ctypes.data), n)
    return out
