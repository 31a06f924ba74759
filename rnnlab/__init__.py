"""rnnlab — recurrent neural networks for language, from first principles on NumPy.

The recurrent core (RNN, LSTM, GRU; deep, bidirectional, variable length) has its forward
pass and its backpropagation through time written by hand; a small reverse-mode engine
ties layers, losses and optimizers together. See LECTURE.md for the equations.

The names below are imported on first use (PEP 562), so ``import rnnlab`` — and with it the
``rnnlab`` command's start-up — costs nothing until one of them is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES = {
    "Tensor": "rnnlab.engine", "Function": "rnnlab.engine", "no_grad": "rnnlab.engine",
    "ops": "rnnlab.engine", "gradcheck": "rnnlab.engine", "GradientCheckError": "rnnlab.engine",
    "seed": "rnnlab.random",
    "RNN": "rnnlab.recurrent", "LSTM": "rnnlab.recurrent", "GRU": "rnnlab.recurrent",
    "RNNCell": "rnnlab.recurrent", "LSTMCell": "rnnlab.recurrent",
    "GRUCell": "rnnlab.recurrent",
    "num_threads": "rnnlab.recurrent.parallel", "set_num_threads": "rnnlab.recurrent.parallel",
    "Recurrent": "rnnlab.recurrent.user_cell", "define_cell": "rnnlab.recurrent.user_cell",
    "register_cell": "rnnlab.recurrent.user_cell",
    "Pipeline": "rnnlab.pipeline",
}
"""Each public name → the module it comes from."""

__all__ = [
    "Tensor", "Function", "no_grad", "ops", "seed", "gradcheck", "GradientCheckError",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "num_threads", "set_num_threads", "Recurrent", "define_cell", "register_cell",
    "Pipeline",
]

if TYPE_CHECKING:
    from rnnlab.engine import Function, GradientCheckError, Tensor, gradcheck, no_grad, ops
    from rnnlab.pipeline import Pipeline
    from rnnlab.random import seed
    from rnnlab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
    from rnnlab.recurrent.parallel import num_threads, set_num_threads
    from rnnlab.recurrent.user_cell import Recurrent, define_cell, register_cell


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
