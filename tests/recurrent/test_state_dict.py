"""Weights move both ways between rnnlab and PyTorch: same names in the same order, same
shapes, same values, and a round trip leaves every output bit-for-bit unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

torch.set_num_threads(1)

PAIRS = {
    "rnn_tanh": (RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
    "gru": (GRU, torch.nn.GRU, {}),
}
CELL_PAIRS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
}
SHAPES = [
    pytest.param(dict(num_layers=2, bidirectional=True), id="2layers-bi"),
    pytest.param(dict(num_layers=3, bias=False), id="3layers-nobias"),
]


def _to_torch(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v.copy()) for k, v in state.items()}


def _to_numpy(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def _pair(cell: str, options: dict, seed: int):
    ours_cls, torch_cls, kwargs = PAIRS[cell]
    torch.manual_seed(seed)
    theirs = torch_cls(5, 6, **options, **kwargs)
    ours = ours_cls(5, 6, **options, **kwargs, rng=np.random.default_rng(seed))
    return ours, theirs


def _flat(value) -> list:
    """(output, h_n), (output, (h_n, c_n)), h or (h, c) → a flat list of arrays/tensors."""
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]


def _x() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)


@pytest.mark.parametrize("options", SHAPES)
def test_names_shapes_and_values_match(torch_cell, options):
    ours, theirs = _pair(torch_cell, options, seed=0)
    expected = _to_numpy(theirs)
    assert list(ours.state_dict()) == list(expected)  # same names, same order
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in expected.items()
    }
    ours.load_state_dict(expected)
    for name, value in ours.state_dict().items():
        assert value.dtype == np.float32
        assert np.array_equal(value, expected[name]), name

    back = _pair(torch_cell, options, seed=1)[1]
    back.load_state_dict(_to_torch(ours.state_dict()))  # strict: names must match exactly
    for name, value in back.state_dict().items():
        assert torch.equal(value, theirs.state_dict()[name]), name


@pytest.mark.parametrize("options", SHAPES)
def test_torch_to_ours_to_torch_gives_identical_outputs(torch_cell, options):
    ours, first = _pair(torch_cell, options, seed=0)
    second = _pair(torch_cell, options, seed=1)[1]
    ours.load_state_dict(_to_numpy(first))
    second.load_state_dict(_to_torch(ours.state_dict()))
    x = torch.from_numpy(_x())
    with torch.no_grad():
        for a, b in zip(_flat(first(x)), _flat(second(x)), strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("options", SHAPES)
def test_ours_to_torch_to_ours_gives_identical_outputs(torch_cell, options):
    first, theirs = _pair(torch_cell, options, seed=0)
    second = _pair(torch_cell, options, seed=1)[0]
    theirs.load_state_dict(_to_torch(first.state_dict()))
    second.load_state_dict(_to_numpy(theirs))
    for a, b in zip(_flat(first(_x())), _flat(second(_x())), strict=True):
        assert np.array_equal(a.data, b.data)


def test_cell_state_dicts_round_trip(torch_cell):
    ours_cls, torch_cls, kwargs = CELL_PAIRS[torch_cell]
    torch.manual_seed(0)
    theirs = torch_cls(5, 6, **kwargs)
    ours = ours_cls(5, 6, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_to_numpy(theirs))
    back = torch_cls(5, 6, **kwargs)
    back.load_state_dict(_to_torch(ours.state_dict()))
    x = _x()[0]
    expected = theirs(torch.from_numpy(x))
    again = back(torch.from_numpy(x))
    mine = ours(x)
    for e, a, m in zip(_flat(expected), _flat(again), _flat(mine), strict=True):
        assert torch.equal(e, a)
        assert np.abs(m.data - e.detach().numpy()).max() < 1e-5
