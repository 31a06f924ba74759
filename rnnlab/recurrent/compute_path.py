"""Which code runs a recurrent cell's time loop: chosen here, once per layer call.

Four paths compute the same numbers (the tests hold them to each other)::

    "numpy"       the cell's NumPy reference steps (rnn_cell, lstm_cell, gru_cell), the
                  time loop in Python
    "numba"       their compiled twins (rnnlab.recurrent.fused.<cell>_steps), the time
                  loop in Python
    "numba+blas"  the whole time loop compiled (``forward_sequence`` / ``backward_sequence``
                  of the same modules), NumPy's own BLAS called from inside it
                  (:mod:`rnnlab.recurrent.numpy_blas`)
    "numba+mkl"   the same loops, MKL's packed GEMM called from inside them

Numba is used when it imports and ``RNNLAB_DISABLE_NUMBA`` is not ``1``
(:func:`rnnlab.engine.kernels.numba_enabled`); MKL when its library loads and
``RNNLAB_DISABLE_MKL`` is not ``1`` (:func:`rnnlab.recurrent.step_product.mkl_library`);
without MKL, NumPy's BLAS when its 64-bit-integer GEMM is found and
``RNNLAB_DISABLE_BLAS_LOOPS`` is not ``1``. On the first two paths the loop's per-step
products go through
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

NUMPY, NUMBA, NUMBA_BLAS, NUMBA_MKL = "numpy", "numba", "numba+blas", "numba+mkl"
PATHS = (NUMPY, NUMBA, NUMBA_BLAS, NUMBA_MKL)
LOOPS = {NUMBA_BLAS: "blas", NUMBA_MKL: "mkl"}  # compiled-loop paths: the BLAS they need


@dataclass(frozen=True)
class Kernels:
    """A cell's kernels on one path: ``steps`` has its ``forward_step``, ``backward_step``
    (…) functions; ``loops``, on the compiled-loop paths ("numba+blas", "numba+mkl")
    only, its compiled ``forward_sequence`` / ``backward_sequence``."""

    path: str
    steps: ModuleType
    loops: ModuleType | None


_found: dict[tuple[str, str], Kernels] = {}


def current() -> str:
    """The path the environment allows now (module docstring)."""
    if not compiled.numba_enabled():
        return NUMPY
    from rnnlab.recurrent.fused import packed_gemm  # imports numba

    return {"mkl": NUMBA_MKL, "blas": NUMBA_BLAS}.get(packed_gemm.load(), NUMBA)


def kernels(reference: ModuleType, compiled_module: str, path: str | None = None) -> Kernels:
    """The kernels of a cell whose NumPy steps are in ``reference`` and compiled twins in
    the module named ``compiled_module``, on ``path`` (default: :func:`current`)."""
    if path is None:
        path = current()
    elif path in LOOPS and current() != path:
        raise ValueError(f"the {path} path needs numba and {LOOPS[path]}, and one is missing "
                         "or disabled (or MKL, in use, takes precedence)")
    key = (compiled_module, path)
    found = _found.get(key)
    if found is None:
        if path == NUMPY:
            found = Kernels(path, reference, None)
        elif path in PATHS:
            module = importlib.import_module(compiled_module)
            found = Kernels(path, module, module if path in LOOPS else None)
        else:
            raise ValueError(f"compute path must be one of {PATHS}, got {path!r}")
        _found[key] = found
    return found
