"""Which code runs a recurrent cell's time loop: chosen here, once per layer call.

Three paths compute the same numbers (the tests hold them to each other)::

    "numpy"      the cell's NumPy reference steps (rnn_cell, lstm_cell, gru_cell), the
                 time loop in Python
    "numba"      their compiled twins (rnnlab.recurrent.fused.<cell>_steps), the time
                 loop in Python
    "numba+mkl"  the whole time loop compiled (``forward_sequence`` / ``backward_sequence``
                 of the same modules), MKL's packed GEMM called from inside it

Numba is used when it imports and ``RNNLAB_DISABLE_NUMBA`` is not ``1``
(:func:`rnnlab.engine.kernels.numba_enabled`); MKL when its library loads and
``RNNLAB_DISABLE_MKL`` is not ``1`` (:func:`rnnlab.recurrent.step_product.mkl_library`).
On the first two paths the loop's per-step products go through
:class:`~rnnlab.recurrent.step_product.StepProduct`, which uses MKL's packed GEMM by itself
when the library is loaded and a product is large enough.

A layer asks :meth:`rnnlab.recurrent.cell_table.CellKind.kernels` for its cell's
:class:`Kernels` once per call and hands them to the cell's forward; the backward uses
the same ones.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from rnnlab.engine import kernels as compiled

NUMPY, NUMBA, NUMBA_MKL = "numpy", "numba", "numba+mkl"
PATHS = (NUMPY, NUMBA, NUMBA_MKL)


@dataclass(frozen=True)
class Kernels:
    """A cell's kernels on one path: ``steps`` has its ``forward_step``, ``backward_step``
    (…) functions; ``loops``, on the "numba+mkl" path only, its compiled
    ``forward_sequence`` / ``backward_sequence``."""

    path: str
    steps: ModuleType
    loops: ModuleType | None


_found: dict[tuple[str, str], Kernels] = {}


def current() -> str:
    """The path the environment allows now (module docstring)."""
    if not compiled.numba_enabled():
        return NUMPY
    from rnnlab.recurrent.fused import packed_gemm  # imports numba

    return NUMBA_MKL if packed_gemm.load() else NUMBA


def kernels(reference: ModuleType, compiled_module: str, path: str | None = None) -> Kernels:
    """The kernels of a cell whose NumPy steps are in ``reference`` and compiled twins in
    the module named ``compiled_module``, on ``path`` (default: :func:`current`)."""
    path = current() if path is None else path
    key = (compiled_module, path)
    found = _found.get(key)
    if found is None:
        if path == NUMPY:
            found = Kernels(path, reference, None)
        elif path in PATHS:
            if path == NUMBA_MKL and current() != NUMBA_MKL:
                raise ValueError("the numba+mkl path needs numba and MKL, and one is missing "
                                 "or disabled")
            module = importlib.import_module(compiled_module)
            found = Kernels(path, module, module if path == NUMBA_MKL else None)
        else:
            raise ValueError(f"compute path must be one of {PATHS}, got {path!r}")
        _found[key] = found
    return found
