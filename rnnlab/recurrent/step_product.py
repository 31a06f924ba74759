"""The per-step recurrent product of the cells' time loops, with MKL's packed GEMM when
Intel MKL is installed (``pip install rnnlab[mkl]``) and NumPy's BLAS otherwise.

Every step of a recurrent layer multiplies a few rows by the same weight matrix::

    forward   h(t−1) W_hhᵀ        (n × H) · (H × GH)
    backward  δz(t) W_hh          (n × GH) · (GH × H)

with n ≤ B, often 8–64. A general GEMM re-packs the weight matrix into its blocked layout
on every call, which at that batch size costs as much as the arithmetic. MKL can pack it
once (``cblas_?gemm_pack``) and reuse the packed copy at every step
(``cblas_?gemm_compute``) — what oneDNN does inside PyTorch's LSTM. Measured here
(benchmarks/speed/recurrent_gemm.py, one thread) that halves the product's time from 16 × 128
upward; at 8 × 64 the two are even, so small products stay with NumPy.

MKL runs sequentially (one thread per product) and is used for float32 and float64 when
its library loads and ``RNNLAB_DISABLE_MKL`` is not ``1``; ``RNNLAB_MKL_LIB`` may name the
library file. Both paths compute the same products; the tests run both.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import math
import os
import sys
import threading
from collections.abc import Iterator

import numpy as np

from rnnlab.recurrent import numpy_blas

DISABLE_ENV = "RNNLAB_DISABLE_MKL"
LIBRARY_ENV = "RNNLAB_MKL_LIB"
MIN_MACS = 1 << 19  # products smaller than this (n·K·N multiply-adds) stay with NumPy
SONAMES = ("libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so", "libmkl_rt.dylib")
"""MKL's runtime library by the names the dynamic loader finds on its own search path
(LD_LIBRARY_PATH, the loader cache, the system folders)."""

_ROW_MAJOR, _NO_TRANS, _TRANS, _PACKED, _B_MATRIX, _SEQUENTIAL = 101, 111, 112, 151, 162, 1
_library: ctypes.CDLL | None | bool = False  # False: not looked for yet
_library_path: str | None = None


def _candidates() -> list[str]:
    """Where MKL may be: ``RNNLAB_MKL_LIB`` if set; else the files the ``mkl`` wheel puts in
    this environment's ``lib/``, then :data:`SONAMES` for the dynamic loader to search.
    Nothing here runs a program (``ctypes.util.find_library`` would run ldconfig and gcc)."""
    named = os.environ.get(LIBRARY_ENV)
    if named:
        return [named]
    return sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.*"))) + list(SONAMES)


def mkl_library() -> ctypes.CDLL | None:
    """MKL's runtime library, set to sequential threading, or ``None`` if it is unavailable
    or disabled."""
    global _library, _library_path
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    if _library is False:
        _library = None
        for path in _candidates():
            try:
                lib = ctypes.CDLL(path)
                for prefix in "sd":  # an MKL without the packed API is of no use here
                    getattr(lib, f"cblas_{prefix}gemm_pack_get_size").restype = ctypes.c_size_t
                    getattr(lib, f"cblas_{prefix}gemm_pack")
                    getattr(lib, f"cblas_{prefix}gemm_compute")
                lib.MKL_Set_Threading_Layer(ctypes.c_int(_SEQUENTIAL))
            except (OSError, AttributeError):
                continue
            _library, _library_path = lib, path
            break
    return _library


def mkl_library_path() -> str | None:
    """The file :func:`mkl_library` loaded, or ``None`` when MKL is not in use."""
    return _library_path if mkl_library() is not None else None


MIN_COPY_STEPS = 8  # NumPy's steps copy W_hhᵀ into a C array for loops this long or longer


def step_operand(right: np.ndarray, steps: int, rows: int) -> np.ndarray:
    """``right`` (a transposed weight such as ``w_hh.T``) as the per-step products of a
    NumPy time loop over ``steps`` steps of up to ``rows`` rows read it: copied into a C
    array when it pays, else the view itself. With 8–32 rows BLAS multiplies by the C copy
    up to 3× faster, and the copy repays itself within 1.5–4.1 steps; with one row (a
    decoder's step) the two are about equally fast and the copy pays late or never
    (``benchmarks/speed/recurrent_gemm.py``: its view, copy and steps-to-repay columns).
    So the copy is made for at least :data:`MIN_COPY_STEPS` steps of two or more rows. (At
    64 × 512 the view was as fast as the copy, so that copy does not pay either; it was
    made before this rule too, and only NumPy's steps make it — the compiled loops pack
    W_hhᵀ without a copy.)"""
    if steps >= MIN_COPY_STEPS and rows > 1:
        return np.ascontiguousarray(right)
    return right


_ROUTINES = {np.dtype(np.float32): ("s", ctypes.c_float),
             np.dtype(np.float64): ("d", ctypes.c_double)}


_reuse = threading.local()


@contextlib.contextmanager
def packs_reused() -> Iterator[None]:
    """Within this block, on this thread, :func:`pack` of the same matrix (same memory,
    shape, strides) for the same rows returns the same packed copy: for a forward that
    runs the cell once per chunk of steps (:mod:`rnnlab.recurrent.inference`), during
    which the weights do not change."""
    previous = getattr(_reuse, "packs", None)
    _reuse.packs = {} if previous is None else previous
    try:
        yield
    finally:
        _reuse.packs = previous


def pack(right: np.ndarray, rows: int, *, scratch: bool = False) -> np.ndarray | None:
    """``right`` (K, N) in MKL's packed layout for products with up to ``rows`` rows on the
    left (``cblas_?gemm_pack``, α = 1). Without MKL: ``right`` as a (K, N) C array, for
    NumPy's BLAS called from the compiled loops (:mod:`rnnlab.recurrent.numpy_blas`), when
    that is found. ``None`` when neither is, or the dtype is neither float32 nor float64.
    ``right`` may be the transpose of a C array (``w_hh.T``): MKL then packs it
    transposed, without a copy. Inside :func:`packs_reused`, a matrix is packed once.

    With ``scratch``, the packed copy is written into a buffer this thread keeps for the
    purpose (:func:`scratch_array`), valid only until the next such call on this thread:
    MKL asks for several MB per packed matrix (7.9 MB for a (64, 256) one, of which 18
    pages are written), and a fresh allocation of that size cost 10–100 µs in mapping and
    page faults per call against ~6 µs for the packing itself (2026-12-06)."""
    if scratch:
        return _pack(right, rows, True)
    packs = getattr(_reuse, "packs", None)
    if packs is None:
        return _pack(right, rows)
    key = (right.__array_interface__["data"][0], right.shape, right.strides, right.dtype.str,
           rows)
    if key not in packs:
        packs[key] = (right, _pack(right, rows))  # right kept alive: its address stays its own
    return packs[key][1]


_scratch = threading.local()


def scratch_array(slot: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C array of ``shape`` and ``dtype`` in this thread's buffer named
    ``slot``, which grows as needed and is kept: valid until the next call for the same
    slot on this thread. For a large array needed anew by every call of a layer, it saves
    the mapping and page faults of a fresh allocation (see :func:`pack`)."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    kept = buffers.get(slot)
    if kept is None or kept.nbytes < nbytes:
        kept = buffers[slot] = np.empty(nbytes, np.uint8)
    return kept[:nbytes].view(dtype).reshape(shape)


def _pack(right: np.ndarray, rows: int, kept: bool = False) -> np.ndarray | None:
    routines = _ROUTINES.get(right.dtype)
    lib = mkl_library()
    if routines is None:
        return None
    if lib is None:
        if numpy_blas.find() is None:
            return None
        if not kept:
            return np.ascontiguousarray(right)
        plain = scratch_array("pack", right.shape, right.dtype)
        plain[...] = right
        return plain
    prefix, scalar = routines
    k, n_cols = right.shape
    if right.T.flags.c_contiguous and not right.flags.c_contiguous:
        source, transpose, leading = right.T, _TRANS, k
    else:
        source, transpose, leading = np.ascontiguousarray(right), _NO_TRANS, n_cols
    size = getattr(lib, f"cblas_{prefix}gemm_pack_get_size")(_B_MATRIX, rows, n_cols, k)
    count = size // right.itemsize + 1
    packed = scratch_array("pack", (count,), right.dtype) if kept else np.empty(count, right.dtype)
    getattr(lib, f"cblas_{prefix}gemm_pack")(
        _ROW_MAJOR, _B_MATRIX, transpose, rows, n_cols, k, scalar(1.0),
        ctypes.c_void_p(source.ctypes.data), leading, ctypes.c_void_p(packed.ctypes.data))
    return packed


class StepProduct:
    """``dst[j, :n] = src[i, :n] @ right`` for step indices ``i``, ``j`` and ``n`` rows.

    ``src`` is (steps, rows, K) and ``dst`` (steps, rows, N) — or (rows, N), the same
    buffer for every step — each with unit stride along its last axis (views into larger
    arrays are fine); ``right`` is (K, N). When MKL is used, ``right`` is packed once, here.
    """

    def __init__(self, src: np.ndarray, right: np.ndarray, dst: np.ndarray) -> None:
        self.src, self.right = src, right
        self.dst = dst if dst.ndim == 3 else dst[None]
        self._packed = None
        routines = _ROUTINES.get(src.dtype)
        lib = mkl_library()
        k, n_cols = right.shape
        dst = self.dst
        if lib is None or routines is None or src.shape[1] * k * n_cols < MIN_MACS:
            return
        if not (src.strides[2] == dst.strides[2] == src.itemsize
                and src.dtype == right.dtype == dst.dtype):
            return
        prefix, scalar = routines
        self._packed = pack(right, src.shape[1])
        self._compute = getattr(lib, f"cblas_{prefix}gemm_compute")
        self._src = (src.ctypes.data, src.strides[0], src.strides[1] // src.itemsize)
        self._dst = (dst.ctypes.data, dst.strides[0], dst.strides[1] // dst.itemsize)
        self._fixed = (k, ctypes.c_void_p(self._packed.ctypes.data), n_cols, scalar(0.0))
        self._n_cols = n_cols

    @property
    def uses_mkl(self) -> bool:
        return self._packed is not None

    def __call__(self, i: int, n: int, j: int = 0) -> None:
        if self._packed is None:
            np.matmul(self.src[i, :n], self.right, out=self.dst[j, :n])
            return
        src_base, src_step, lda = self._src
        dst_base, dst_step, ldc = self._dst
        k, packed, ldb, beta = self._fixed
        self._compute(_ROW_MAJOR, _NO_TRANS, _PACKED, n, self._n_cols, k,
                      ctypes.c_void_p(src_base + i * src_step), lda, packed, ldb, beta,
                      ctypes.c_void_p(dst_base + j * dst_step), ldc)
