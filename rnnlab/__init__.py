"""rnnlab — recurrent neural networks for language, from first principles on NumPy.

The recurrent core (RNN, LSTM, GRU; deep, bidirectional, variable length) has its forward
pass and its backpropagation through time written by hand; a small reverse-mode engine
ties layers, losses and optimizers together. See LECTURE.md for the equations.
"""

from rnnlab.engine import Function, GradientCheckError, Tensor, gradcheck, no_grad, ops
from rnnlab.random import seed
from rnnlab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from rnnlab.recurrent.parallel import num_threads, set_num_threads
from rnnlab.recurrent.user_cell import Recurrent, define_cell, register_cell

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "no_grad", "ops", "seed", "gradcheck", "GradientCheckError",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "num_threads", "set_num_threads", "Recurrent", "define_cell", "register_cell",
]
