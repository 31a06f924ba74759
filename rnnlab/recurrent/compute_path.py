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

Forwards without gradients, NumPy first (:func:`for_call`): the compiled paths cost a
fixed price once per process — importing Numba and its compiled modules and loading the
first kernel from the disk cache, 0.4 s of CPU here. ``echo "A sentence ." | rnnlab tag``
took 0.82 s of CPU with that price paid for its first forward and 0.29 s without it; on
NumPy's steps all the way, tagging UD EWT test (25,094 words) took 1.41 s of CPU against
1.74 s on the compiled path (``benchmarks/speed/startup.py`` and ``rnnlab tag``,
2026-12-06). So the forwards without a tape (:mod:`rnnlab.recurrent.inference`) run on the
NumPy steps until their estimated extra time over the compiled path would pass
:data:`NUMPY_BUDGET`, the price itself; the call that would pass it, and every later one,
runs compiled, as does every call once Numba is set up in the process (by
:func:`current`: any layer call with a tape, for one). This is ski rental: a short job
never pays the price, a long one pays at most twice what the better of the two paths
would have cost it. The extra time is estimated from the call's size, with constants
measured on bidirectional LSTM calls here (H = 64–128, B = 1–800, one thread)::

    extra(call) ≈ STEP_COST · steps + VALUE_COST · steps · rows · gates·H

The paths agree to float32 rounding (the NumPy and compiled kernels compute the same
equations; the parity tests hold them to each other), so which one ran shows only in the
last bits: the tags of EWT test came out the same on both.
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

STEP_COST = 15e-6  # s: the NumPy path's extra time per visit step of one direction
VALUE_COST = 3e-9  # s: … and per gate value computed
NUMPY_BUDGET = 0.4  # s: the compiled path's one-off price; NumPy's extra time, at most
_small_spent = 0.0
_numba_set_up = False  # current() has imported Numba: NumPy no longer saves anything


def for_call(steps: int, rows: int, gate_width: int) -> str | None:
    """The path of a forward without a tape over ``steps`` visit steps of ``rows`` rows
    with ``gate_width`` (gates·H) gate values per row: "numpy" while the budget lasts
    (module docstring), else None — the path :func:`current` allows."""
    global _small_spent
    if _numba_set_up:
        return None
    extra = steps * (STEP_COST + VALUE_COST * rows * gate_width)
    if _small_spent + extra > NUMPY_BUDGET:
        return None
    _small_spent += extra
    return NUMPY


def current() -> str:
    """The path the environment allows now (module docstring)."""
    global _numba_set_up
    if not compiled.numba_enabled():
        return NUMPY
    from rnnlab.recurrent.fused import packed_gemm  # imports numba

    _numba_set_up = True
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
