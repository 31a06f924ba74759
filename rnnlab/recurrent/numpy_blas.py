"""NumPy's own BLAS, made callable from compiled time loops: the plain install's fast path.

Without MKL (:mod:`rnnlab.recurrent.step_product`), a layer's per-step products used to
run from a time loop in Python — one ``np.matmul`` and one compiled step kernel per step,
a few microseconds of interpreter and call overhead each, which at small shapes cost more
than the arithmetic. NumPy's wheels ship OpenBLAS built with 64-bit integers and its
symbols renamed (``scipy_cblas_sgemm64_``; ``cblas_sgemm64_`` in older wheels); this
module finds that library among those loaded in the process (threadpoolctl lists them
with their files), and :mod:`rnnlab.recurrent.fused.packed_gemm` registers its
``cblas_?gemm`` under fixed names (:data:`ALIASES`) so that the compiled time loops call it
the way they call MKL's packed GEMM::

    c[:n] = a[:n] · B        cblas_sgemm(RowMajor, NoTrans, NoTrans, n, N, K, 1, a, lda,
                                         B, N, 0, c, ldc)       B: (K, N), a C array

OpenBLAS has no packed-weight API, so each product re-packs B; what goes away is the
Python around it. A BLAS with 32-bit integers (``cblas_sgemm``) is not used here: the
compiled code declares 64-bit integers, and the fixed names keep kernels cached on disk
valid whichever of the 64-bit symbol spellings the library has.

Used when Numba is, MKL is not, such a library is found and ``RNNLAB_DISABLE_BLAS_LOOPS``
is not ``1`` (:func:`rnnlab.recurrent.compute_path.current`).
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

DISABLE_ENV = "RNNLAB_DISABLE_BLAS_LOOPS"
SYMBOLS = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")  # ILP64 spellings, most likely first
ALIASES = {"s": "rnnlab_blas_sgemm", "d": "rnnlab_blas_dgemm"}


@dataclass(frozen=True)
class Blas:
    """A BLAS library file and the addresses of its 64-bit-integer ``cblas_sgemm`` and
    ``cblas_dgemm`` (by :data:`ALIASES` prefix, ``"s"`` and ``"d"``)."""

    path: str
    symbols: dict[str, str]
    addresses: dict[str, int]


_found: Blas | None | bool = False  # False: not looked for yet


def _gemm_routines(path: str) -> Blas | None:
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    for spelling in SYMBOLS:
        names = {prefix: spelling.format(prefix) for prefix in ALIASES}
        try:
            routines = {prefix: getattr(library, name) for prefix, name in names.items()}
        except AttributeError:
            continue
        addresses = {prefix: ctypes.cast(routine, ctypes.c_void_p).value
                     for prefix, routine in routines.items()}
        return Blas(path, names, addresses)
    return None


def find() -> Blas | None:
    """NumPy's BLAS with 64-bit-integer GEMM routines, or ``None`` (not found, or
    ``RNNLAB_DISABLE_BLAS_LOOPS=1``). Looked for once per process."""
    global _found
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    if _found is False:
        import numpy  # noqa: F401  (its BLAS must be loaded to be listed)
        from threadpoolctl import ThreadpoolController

        _found = None
        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        for controller in sorted(blas, key=lambda c: c.internal_api != "openblas"):
            _found = _gemm_routines(controller.filepath)
            if _found is not None:
                break
    return _found
