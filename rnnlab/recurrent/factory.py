"""Recurrent modules by cell name — what models, demos and the command line build.

``MODULES`` maps the cell names a user picks (``--cell lstm``) to the layer classes and
``STEP_CELLS`` to the one-step cells; :func:`make_recurrent` and :func:`make_step_cell`
build one from such a name or from a kind of the cell table
(:data:`rnnlab.recurrent.cell_table.KINDS`, whose module options they pass on).
"""

from __future__ import annotations

from typing import Any

from rnnlab.recurrent.cell_table import KINDS, CellKind
from rnnlab.recurrent.cells import GRUCell, LSTMCell, RNNCell
from rnnlab.recurrent.layers import GRU, LSTM, RNN, RecurrentBase
from rnnlab.recurrent.user_cell import Recurrent

MODULES: dict[str, type[RecurrentBase]] = {"rnn": RNN, "gru": GRU, "lstm": LSTM}
STEP_CELLS: dict[str, type[RNNCell | LSTMCell | GRUCell]] = {
    "rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell,
}
CELL_NAMES = tuple(MODULES)
"""The cell names, in the order demos compare them: rnn, gru, lstm."""


def check_cell(cell: str) -> str:
    """``cell`` if it names a module of :data:`MODULES`; a ValueError naming the choices if
    not."""
    if cell not in MODULES:
        raise ValueError(f"cell must be one of {list(CELL_NAMES)}, got {cell!r}")
    return cell


def _family_and_options(cell: str | CellKind) -> tuple[str, dict[str, str]]:
    if isinstance(cell, str) and cell not in MODULES and cell in KINDS:
        cell = KINDS[cell]  # a kind's name: "rnn_relu", "gru_lecture"
    if isinstance(cell, CellKind):
        return cell.family, dict(cell.options)
    return check_cell(cell), {}


def make_recurrent(cell: str | CellKind, input_size: int, hidden_size: int,
                   num_layers: int = 1, **options: Any) -> RecurrentBase:
    """An ``RNN``, ``GRU`` or ``LSTM`` layer for ``cell`` — a name of :data:`MODULES`, or a
    kind of the cell table (``"gru_lecture"`` or ``KINDS["gru_lecture"]``) — with the
    layer's own keyword ``options`` (``bidirectional``, ``dropout``, ``nonlinearity``, …);
    for a user's cell (:mod:`rnnlab.recurrent.user_cell`), a ``Recurrent`` layer."""
    family, kind_options = _family_and_options(cell)
    if family not in MODULES:  # a user's cell (rnnlab.recurrent.user_cell)
        kind = KINDS[cell] if isinstance(cell, str) else cell
        return Recurrent(kind, input_size, hidden_size, num_layers, **options)
    return MODULES[family](input_size, hidden_size, num_layers, **kind_options, **options)


def make_step_cell(cell: str | CellKind, input_size: int, hidden_size: int,
                   **options: Any) -> RNNCell | LSTMCell | GRUCell:
    """The one-step cell (``RNNCell``, ``GRUCell``, ``LSTMCell``) for ``cell``, named or
    given as :func:`make_recurrent` takes it."""
    family, kind_options = _family_and_options(cell)
    if family not in STEP_CELLS:
        raise ValueError("a user's cell has no one-step module: run a Recurrent layer of it "
                         "over a sequence of length 1")
    return STEP_CELLS[family](input_size, hidden_size, **kind_options, **options)
