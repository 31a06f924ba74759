"""The recurrent core: hand-written forward and BPTT for RNN, LSTM and GRU."""

from rnnlab.recurrent.cell_table import KINDS, CellKind
from rnnlab.recurrent.cells import GRUCell, LSTMCell, RNNCell
from rnnlab.recurrent.factory import MODULES, make_recurrent, make_step_cell
from rnnlab.recurrent.layers import GRU, LSTM, RNN
from rnnlab.recurrent.user_cell import Recurrent, define_cell, register_cell

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "CellKind", "KINDS",
           "MODULES", "make_recurrent", "make_step_cell", "Recurrent", "define_cell",
           "register_cell"]
