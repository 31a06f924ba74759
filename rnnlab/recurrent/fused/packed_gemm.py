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

Without MKL, ``packed`` is B itself, a (K, N) C array, and the product is NumPy's own
``cblas_?gemm`` (:mod:`rnnlab.recurrent.numpy_blas`), registered under a fixed name by
:func:`load` as well: Numba compiles the loops once per kind of ``packed`` (1-D: MKL's
packed buffer; 2-D: the plain matrix), so one process runs either.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload

from rnnlab.recurrent import numpy_blas, step_product

_ROW_MAJOR, _NO_TRANS, _PACKED = 101, 111, 151
_INT, _POINTER = types.int32, types.int64  # MKL's LP64 integers; addresses as integers
_LONG = types.int64  # NumPy's OpenBLAS: 64-bit integers (its enum arguments stay int)


def _compute_routine(prefix: str, scalar: types.Type) -> types.ExternalFunction:
    """cblas_?gemm_compute(layout, transa, transb, m, n, k, a, lda, b_packed, ldb, β, c, ldc)"""
    signature = types.void(_INT, _INT, _INT, _INT, _INT, _INT, _POINTER, _INT, _POINTER, _INT,
                           scalar, _POINTER, _INT)
    return types.ExternalFunction(f"cblas_{prefix}gemm_compute", signature)


def _gemm_routine(prefix: str, scalar: types.Type) -> types.ExternalFunction:
    """cblas_?gemm(layout, transa, transb, m, n, k, α, a, lda, b, ldb, β, c, ldc), 64-bit
    integers, under the name :func:`load` gives NumPy's BLAS."""
    signature = types.void(_INT, _INT, _INT, _LONG, _LONG, _LONG, scalar, _POINTER, _LONG,
                           _POINTER, _LONG, scalar, _POINTER, _LONG)
    return types.ExternalFunction(numpy_blas.ALIASES[prefix], signature)


_SGEMM_COMPUTE = _compute_routine("s", types.float32)
_DGEMM_COMPUTE = _compute_routine("d", types.float64)
_SGEMM = _gemm_routine("s", types.float32)
_DGEMM = _gemm_routine("d", types.float64)
_loaded: set[str] = set()


def load() -> str | None:
    """Make the BLAS routines resolvable from compiled code: ``"mkl"`` when MKL's are (MKL
    in use), else ``"blas"`` when NumPy's are (:func:`rnnlab.recurrent.numpy_blas.find`),
    else ``None``, in which case no kernel here may run."""
    import llvmlite.binding as llvm

    path = step_product.mkl_library_path()
    if path is not None:
        if "mkl" not in _loaded:
            llvm.load_library_permanently(path)
            _loaded.add("mkl")
        return "mkl"
    blas = numpy_blas.find()
    if blas is None:
        return None
    if "blas" not in _loaded:
        for prefix, alias in numpy_blas.ALIASES.items():
            llvm.add_symbol(alias, blas.addresses[prefix])
        _loaded.add("blas")
    return "blas"


def packed_product(a, packed, c, n):
    """``c[:n] = a[:n] @ B`` in compiled code, ``packed`` being B from
    :func:`rnnlab.recurrent.step_product.pack` (for at least ``n`` rows): MKL's packed
    buffer, or B as a (K, N) C array. ``a`` (rows, K) and ``c`` (rows, N) are 2-D with unit
    stride along their last axis; views are fine."""
    raise NotImplementedError("packed_product runs inside compiled kernels only")


@overload(packed_product)
def _packed_product_for_type(a, packed, c, n):
    single = a.dtype == types.float32
    zero, one, size = (np.float32(0.0), np.float32(1.0), 4) if single else (0.0, 1.0, 8)
    if packed.ndim == 2:  # B itself, (K, N) C-contiguous: NumPy's BLAS
        gemm = _SGEMM if single else _DGEMM

        def plain_product(a, packed, c, n):
            gemm(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, n, c.shape[1], a.shape[1], one,
                 a.ctypes.data, a.strides[0] // size, packed.ctypes.data, packed.shape[1],
                 zero, c.ctypes.data, c.strides[0] // size)

        return plain_product
    compute = _SGEMM_COMPUTE if single else _DGEMM_COMPUTE

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
