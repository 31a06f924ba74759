"""The recurrent core: hand-written forward and BPTT for RNN, LSTM and GRU."""

from rnnlab.recurrent.cells import GRUCell, LSTMCell, RNNCell
from rnnlab.recurrent.layers import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
