"""The cell table (``rnnlab.recurrent.cell_table``) is what the modules run: every kind builds
through the factory into a module and a one-step cell of that kind, with the table's gate
count, state layout and PyTorch twin; kinds stay constants; the compute path is chosen in
one place."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from rnnlab.engine import kernels as compiled
from rnnlab.recurrent import KINDS, MODULES, compute_path, make_recurrent, make_step_cell
from rnnlab.recurrent.cell_table import find_kind
from rnnlab.recurrent.factory import CELL_NAMES, STEP_CELLS, check_cell

I, H = 3, 5


def _torch_class(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    assert module == "torch.nn"
    return getattr(torch.nn, name)


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_builds_a_module_and_a_cell_of_that_kind(name):
    kind = KINDS[name]
    assert kind.name == name and kind.family in MODULES
    layer = make_recurrent(name, I, H, bidirectional=True)
    cell = make_step_cell(kind, I, H)
    assert type(layer) is MODULES[kind.family] and type(cell) is STEP_CELLS[kind.family]
    assert layer.kind is kind and cell.kind is kind
    assert MODULES[kind.family](I, H, **kind.options).kind is kind
    assert find_kind(kind.family, **kind.options) is kind
    assert layer.weight_hh_l0_reverse.shape == (kind.gates * H, H)
    assert cell.weight_ih.shape == (kind.gates * H, I)
    _, state = layer(np.ones((4, 2, I), np.float32), lengths=[4, 2])
    assert isinstance(state, tuple) == kind.has_cell_state


@pytest.mark.parametrize("name", [n for n, k in KINDS.items() if k.torch_module is not None])
def test_the_pytorch_twin_has_the_same_weights(name):
    kind = KINDS[name]
    torch_options = {k: v for k, v in kind.options.items() if k == "nonlinearity"}
    theirs = _torch_class(kind.torch_module)(I, H, num_layers=2, **torch_options)
    ours = make_recurrent(kind, I, H, num_layers=2)
    assert {k: tuple(v.shape) for k, v in theirs.state_dict().items()} == \
        {k: v.shape for k, v in ours.state_dict().items()}
    their_cell = _torch_class(kind.torch_cell)(I, H, **torch_options)
    assert {k: tuple(v.shape) for k, v in their_cell.state_dict().items()} == \
        {k: v.shape for k, v in make_step_cell(kind, I, H).state_dict().items()}


def test_the_table_holds_the_eight_kinds_and_their_onnx_operators():
    assert list(KINDS) == ["rnn_tanh", "rnn_sigmoid", "rnn_relu", "lstm", "gru", "gru_lecture",
                           "lstm_ln", "gru_ln"]
    assert {k.family: k.onnx_op for k in KINDS.values() if k.onnx_op} == {
        "rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
    assert [k.name for k in KINDS.values() if k.onnx_op is None] == ["lstm_ln", "gru_ln"]
    assert KINDS["rnn_relu"].onnx_attributes(2) == {"activations": ["Relu", "Relu"]}
    assert KINDS["gru_lecture"].onnx_attributes(1) == {"linear_before_reset": 0}
    assert KINDS["lstm"].onnx_attributes(2) == {}
    assert CELL_NAMES == ("rnn", "gru", "lstm")


def test_kinds_are_constants_and_modules_copy_deeply():
    layer = make_recurrent("gru_lecture", I, H, rng=np.random.default_rng(0))
    twin = copy.deepcopy(layer)
    assert twin.kind is layer.kind
    x = np.random.default_rng(1).standard_normal((4, 2, I)).astype(np.float32)
    np.testing.assert_array_equal(twin(x)[0].data, layer(x)[0].data)


def test_unknown_cells_are_refused_by_name():
    with pytest.raises(ValueError, match=r"cell must be one of \['rnn', 'gru', 'lstm'\], got"):
        make_recurrent("transformer", I, H)
    with pytest.raises(ValueError, match="cell must be one of"):
        check_cell("rnn_tanh")  # a kind, not a --cell name
    with pytest.raises(ValueError, match="no rnn cell with options"):
        find_kind("rnn", nonlinearity="gelu")


def test_the_compute_path_is_chosen_in_one_place(monkeypatch):
    monkeypatch.setenv(compiled.DISABLE_ENV, "1")
    assert compute_path.current() == compute_path.NUMPY
    numpy_kernels = KINDS["lstm"].kernels()
    assert numpy_kernels.steps is KINDS["lstm"].reference and numpy_kernels.loops is None
    monkeypatch.delenv(compiled.DISABLE_ENV)
    numba_kernels = KINDS["lstm"].kernels(compute_path.NUMBA)
    assert numba_kernels.steps.__name__ == KINDS["lstm"].compiled
    assert numba_kernels.loops is None
    with pytest.raises(ValueError, match="compute path must be one of"):
        KINDS["lstm"].kernels("cuda")
