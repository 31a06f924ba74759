"""Compiled (Numba) kernels, and the switch that says whether they run.

:mod:`.scalar` holds what every kernel is built from — the ``kernel`` decorator, typed
constants, tanh and σ — and :mod:`.scatter` the embedding gradient's row scatter
(:func:`rnnlab.engine.ops.embedding`). The recurrent cells' step kernels
(:mod:`rnnlab.recurrent.fused`) are built from :mod:`.scalar` too.

Compiled kernels run when numba imports and the environment variable
``RNNLAB_DISABLE_NUMBA`` is not ``1``; otherwise each caller runs its NumPy reference.
The modules here import numba, so import them only after :func:`numba_enabled` says yes.
Kernels compile on first use, once per dtype, and are cached on disk (``cache=True``,
where Numba finds a writable folder: :func:`.scalar.cached_njit`);
Numba checks only each kernel's own file for staleness: after editing ``scalar.py``,
delete the ``*.nbi``/``*.nbc`` files in the ``__pycache__`` folders of the kernels.
"""

from __future__ import annotations

import os

DISABLE_ENV = "RNNLAB_DISABLE_NUMBA"

_numba_usable: bool | None = None


def numba_importable() -> bool:
    """Whether numba imports here (checked once per process)."""
    global _numba_usable
    if _numba_usable is None:
        try:
            import numba  # noqa: F401
        except (ImportError, OSError):  # not installed, or its LLVM library cannot load
            _numba_usable = False
        else:
            _numba_usable = True
    return _numba_usable


def numba_enabled() -> bool:
    """Whether compiled kernels run: numba imports and ``RNNLAB_DISABLE_NUMBA`` is not 1."""
    return os.environ.get(DISABLE_ENV) != "1" and numba_importable()
