"""MKL's packed GEMM called from compiled code, so that a whole time loop runs as one kernel.

A recurrent layer's time loop alternates one small matrix product with one elementwise
step. Driven from Python, each step pays for two foreign calls (a ctypes call into MKL and
a Numba dispatch, with their argument conversions and array views): ~25 µs measured at
(T, B, H) = (200, 8, 64), several times the arithmetic. With the product callable from
Numba, the loop itself compiles (``<cell>_steps.forward_sequence`` / ``backward_sequence``)
and a step costs only its arithmetic::

    packed_product(a, packed, c, n)      c[:n] = a[:n] · B     (B packed once per layer call)

The compiled code names ``cblas_sgemm_compute`` / ``cblas_dgemm_compute`` and the JIT
linker resolves them by name in the MKL library that :func:`load` makes visible (the same
one :mod:`rnnlab.recurrent.step_product` found, set to sequential threading). Kernels
cached on disk keep only those names, so every process must call :func:`load` before it
runs one: :func:`rnnlab.recurrent.compute_path.current` does.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload

from rnnlab.recurrent import step_product

_ROW_MAJOR, _NO_TRANS, _PACKED = 101, 111, 151
_INT, _POINTER = types.int32, types.int64  # MKL's LP64 integers; addresses as integers


def _compute_routine(prefix: str, scalar: types.Type) -> types.ExternalFunction:
    """cblas_?gemm_compute(layout, transa, transb, m, n, k, a, lda, b_packed, ldb, β, c, ldc)"""
    signature = types.void(_INT, _INT, _INT, _INT, _INT, _INT, _POINTER, _INT, _POINTER, _INT,
                           scalar, _POINTER, _INT)
    return types.ExternalFunction(f"cblas_{prefix}gemm_compute", signature)


_SGEMM_COMPUTE = _compute_routine("s", types.float32)
_DGEMM_COMPUTE = _compute_routine("d", types.float64)
_loaded: bool | None = None


def load() -> bool:
    """Make MKL's routines resolvable from compiled code; False when MKL is unavailable or
    disabled (``RNNLAB_DISABLE_MKL=1``), in which case no kernel here may run."""
    global _loaded
    path = step_product.mkl_library_path()
    if path is None:
        return False
    if not _loaded:
        import llvmlite.binding as llvm

        llvm.load_library_permanently(path)
        _loaded = True
    return True


def packed_product(a, packed, c, n):
    """``c[:n] = a[:n] @ B`` in compiled code, ``packed`` being B from
    :func:`rnnlab.recurrent.step_product.pack` (for at least ``n`` rows). ``a`` (rows, K)
    and ``c`` (rows, N) are 2-D with unit stride along their last axis; views are fine."""
    raise NotImplementedError("packed_product runs inside compiled kernels only")


@overload(packed_product)
def _packed_product_for_type(a, packed, c, n):
    if a.dtype == types.float32:
        compute, zero, size = _SGEMM_COMPUTE, np.float32(0.0), 4
    else:
        compute, zero, size = _DGEMM_COMPUTE, 0.0, 8

    def product(a, packed, c, n):
        compute(_ROW_MAJOR, _NO_TRANS, _PACKED, n, c.shape[1], a.shape[1], a.ctypes.data,
                a.strides[0] // size, packed.ctypes.data, c.shape[1], zero, c.ctypes.data,
                c.strides[0] // size)

    return product


def packed_product_add(a, packed, c, n):
    """``c[:n] += a[:n] @ B`` in compiled code (β = 1): :func:`packed_product` that adds to
    what ``c`` holds — a user cell's time loop adds the recurrent product to xp(t) in place
    (:mod:`rnnlab.recurrent.user_cell`)."""
    raise NotImplementedError("packed_product_add runs inside compiled kernels only")


@overload(packed_product_add)
def _packed_product_add_for_type(a, packed, c, n):
    if a.dtype == types.float32:
        compute, one, size = _SGEMM_COMPUTE, np.float32(1.0), 4
    else:
        compute, one, size = _DGEMM_COMPUTE, 1.0, 8

    def product(a, packed, c, n):
        compute(_ROW_MAJOR, _NO_TRANS, _PACKED, n, c.shape[1], a.shape[1], a.ctypes.data,
                a.strides[0] // size, packed.ctypes.data, c.shape[1], one, c.ctypes.data,
                c.strides[0] // size)

    return product
