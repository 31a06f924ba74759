"""Compiled step kernels for the recurrent cells (Numba), with NumPy as the fallback.

Each cell module (``rnn_cell``, ``lstm_cell``, ``gru_cell``) runs its time loop in Python:
one BLAS GEMM per step for the recurrent product, then one call that does all of the
step's elementwise work. That call is either the cell's NumPy reference (10–30 ufunc calls
of ~1 µs each) or the Numba kernel of the same name and signature in ``<cell>_steps``
here, which does the same arithmetic in one pass over the running rows.

The kernels are used when numba imports and the environment variable
``RNNLAB_DISABLE_NUMBA`` is not ``1``. They compile on first use, once per dtype, and are
cached on disk (``cache=True``), so later processes load them in milliseconds. Numba
checks only each kernel's own file for staleness: after editing ``scalar.py``, delete the
``*.nbi``/``*.nbc`` files in this package's ``__pycache__``.

When MKL is in use too (:mod:`rnnlab.recurrent.step_product`), the whole time loop runs
compiled: each ``<cell>_steps`` module also has ``forward_sequence`` / ``backward_sequence``
kernels that call MKL's packed GEMM themselves (:mod:`.packed_gemm`), so a step costs no
Python at all. :func:`time_loops` hands them out.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

DISABLE_ENV = "RNNLAB_DISABLE_NUMBA"

_modules: dict[str, ModuleType] = {}
_numba_usable: bool | None = None


def _numba_imports() -> bool:
    global _numba_usable
    if _numba_usable is None:
        try:
            import numba  # noqa: F401
        except (ImportError, OSError):  # not installed, or its LLVM library cannot load
            _numba_usable = False
        else:
            _numba_usable = True
    return _numba_usable


_MODULE_NAMES = {"rnn": "rnn_steps", "lstm": "lstm_steps", "gru": "gru_steps",
                 "scatter": "scatter"}


def kernels(name: str) -> ModuleType | None:
    """The compiled kernels of a cell (``"rnn"``, ``"lstm"``, ``"gru"``: its steps) or of
    ``"scatter"`` (the embedding gradient), or ``None`` when the NumPy reference must run
    instead."""
    if os.environ.get(DISABLE_ENV) == "1" or not _numba_imports():
        return None
    if name not in _modules:
        _modules[name] = importlib.import_module(f"rnnlab.recurrent.fused.{_MODULE_NAMES[name]}")
    return _modules[name]


def time_loops(cell: str) -> ModuleType | None:
    """The cell's kernels including its compiled time loops (``forward_sequence`` /
    ``backward_sequence``), or ``None`` unless both Numba and MKL are in use."""
    steps = kernels(cell)
    if steps is None:
        return None
    from rnnlab.recurrent.fused import packed_gemm

    return steps if packed_gemm.load() else None
