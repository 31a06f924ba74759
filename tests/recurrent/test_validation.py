"""Bad input to a recurrent layer or cell raises an exception that says what is wrong and
what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

T, B, I, H = 4, 3, 3, 5


def _x(*shape: int, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape or (T, B, I)).astype(dtype)


@pytest.fixture(params=[RNN, LSTM, GRU], ids=["RNN", "LSTM", "GRU"])
def layer(request):
    return request.param(I, H, num_layers=2, bidirectional=True)


@pytest.mark.parametrize("shape", [(T, I), (T, B, 1, I), (I,)])
def test_wrong_rank(layer, shape):
    match = r"input must be 3-D \(time, batch, features\), got shape " + str(shape).replace(
        "(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=match):
        layer(_x(*shape))


def test_wrong_rank_names_the_batch_first_layout():
    with pytest.raises(ValueError, match=r"3-D \(batch, time, features\)"):
        LSTM(I, H, batch_first=True)(_x(B, I))


def test_wrong_feature_size(layer):
    with pytest.raises(ValueError, match=r"input has 7 features per step, expected input_size=3"):
        layer(_x(T, B, 7))


def test_wrong_dtype(layer):
    with pytest.raises(TypeError, match=r"input dtype float64 differs from the layer's float32"):
        layer(Tensor(_x(dtype=np.float64)))


def test_empty_input(layer):
    with pytest.raises(ValueError, match=r"empty input of shape \(0, 3, 3\)"):
        layer(_x(0, B, I))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_input(layer, bad):
    x = _x()
    x[1, 2, 0] = bad
    message = r"input contains 1 NaN or infinite value\(s\); all must be finite"
    with pytest.raises(ValueError, match=message):
        layer(x)


def test_huge_finite_input_is_accepted(layer):
    """Finite values whose sum overflows to inf are still finite: only NaN/inf entries fail."""
    x = np.full((T, B, I), np.finfo(np.float32).max / 2, np.float32)
    with np.errstate(over="ignore"):
        assert not np.isfinite(x.sum())
        layer(x)  # no error


@pytest.mark.parametrize(
    ("lengths", "match"),
    [
        ([0, 2, 3], r"lengths must lie in \[1, 4\] \(the input has 4 time steps\), got min 0"),
        ([5, 2, 3], r"lengths must lie in \[1, 4\] .* got min 2 and max 5"),
        ([-1, 2, 3], r"lengths must lie in \[1, 4\]"),
        ([2, 3], r"one length per sequence: expected shape \(3,\), got \(2,\)"),
        ([2, 3, 4, 1], r"one length per sequence: expected shape \(3,\), got \(4,\)"),
        ([[2, 3, 4]], r"one length per sequence: expected shape \(3,\), got \(1, 3\)"),
        ([1.5, 2, 3], r"lengths must be integers, got \[1.5, 2.0, 3.0\]"),
        ([np.nan, 2, 3], r"lengths must be integers"),
    ],
    ids=["zero", "above-T", "negative", "too-few", "too-many", "2-D", "fraction", "nan"],
)
def test_bad_lengths(layer, lengths, match):
    with pytest.raises(ValueError, match=match):
        layer(_x(), lengths=lengths)


def test_integral_float_lengths_are_accepted():
    layer = GRU(I, H)
    out_float, _ = layer(_x(), lengths=np.array([2.0, 4.0, 1.0]))
    out_int, _ = layer(_x(), lengths=[2, 4, 1])
    assert np.array_equal(out_float.data, out_int.data)


@pytest.mark.parametrize("shape", [(2, B, H), (4, B + 1, H), (4, B, H + 1), (B, H)])
def test_hx_of_wrong_shape(shape):
    layer = GRU(I, H, num_layers=2, bidirectional=True)
    expected = r"hx must have shape \(num_layers \* num_directions, batch, hidden_size\) = "
    with pytest.raises(ValueError, match=expected + r"\(4, 3, 5\), got " + _escaped(shape)):
        layer(_x(), np.zeros(shape, np.float32))


def test_lstm_state_of_wrong_shape_is_named():
    layer = LSTM(I, H)
    good = np.zeros((1, B, H), np.float32)
    with pytest.raises(ValueError, match=r"c0 must have shape .* = \(1, 3, 5\), got \(1, 3, 4\)"):
        layer(_x(), (good, np.zeros((1, B, 4), np.float32)))


@pytest.mark.parametrize(
    "hx",
    [
        np.zeros((1, B, H), np.float32),
        (np.zeros((1, B, H), np.float32),),
        [np.zeros((1, B, H), np.float32)] * 3,
    ],
    ids=["array", "1-tuple", "3-list"],
)
def test_lstm_hx_not_a_pair(hx):
    with pytest.raises(ValueError, match=r"LSTM hx must be a pair \(h0, c0\), got"):
        LSTM(I, H)(_x(), hx)


def test_non_finite_initial_state():
    h0 = np.zeros((1, B, H), np.float32)
    h0[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"hx contains 1 NaN or infinite value\(s\)"):
        RNN(I, H)(_x(), h0)


def test_state_dict_with_missing_or_unexpected_names():
    layer = LSTM(I, H)
    state = layer.state_dict()
    state["weight_ih_l1"] = state.pop("weight_ih_l0")
    with pytest.raises(KeyError, match=r"missing keys \['weight_ih_l0'\], unexpected keys "
                                        r"\['weight_ih_l1'\]"):
        layer.load_state_dict(state)


def test_state_dict_with_wrong_shape():
    layer = GRU(I, H)
    state = layer.state_dict()
    state["weight_hh_l0"] = np.zeros((3 * H, H + 1))
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape \(15, 6\), expected \(15, 5\)"):
        layer.load_state_dict(state)


@pytest.mark.parametrize("option", ["num_layers", "hidden_size", "input_size"])
def test_bad_sizes(option):
    sizes = dict(input_size=I, hidden_size=H, num_layers=1) | {option: 0}
    with pytest.raises(ValueError, match=f"{option} must be a positive integer, got 0"):
        RNN(**sizes)


def test_bad_options():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        LSTM(I, H, dropout=1.5)
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .*, got 'gelu'"):
        RNN(I, H, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"GRU form must be one of .*, got 'cudnn'"):
        GRU(I, H, form="cudnn")


# ------------------------------------------------------------------- cells
@pytest.fixture(params=[RNNCell, LSTMCell, GRUCell], ids=["RNNCell", "LSTMCell", "GRUCell"])
def cell(request):
    return request.param(I, H)


@pytest.mark.parametrize("shape", [(B, I + 1), (T, B, I), (I,)])
def test_cell_input_of_wrong_shape(cell, shape):
    with pytest.raises(ValueError, match=r"input must be \(batch, 3\), got " + _escaped(shape)):
        cell(_x(*shape))


def test_cell_non_finite_input(cell):
    x = _x(B, I)
    x[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"input contains 1 NaN or infinite value\(s\)"):
        cell(x)


def test_cell_wrong_dtype(cell):
    with pytest.raises(TypeError, match=r"input dtype float64 differs from the cell's float32"):
        cell(Tensor(_x(B, I, dtype=np.float64)))
    with pytest.raises(TypeError, match=r"dtype float64 differs from the cell's float32"):
        state = Tensor(np.zeros((B, H)))
        cell(_x(B, I), (state, state) if isinstance(cell, LSTMCell) else state)


def test_cell_non_finite_state():
    h = np.zeros((B, H), np.float32)
    h[2, 1] = -np.inf
    with pytest.raises(ValueError, match=r"RNNCell hx contains 1 NaN or infinite value\(s\)"):
        RNNCell(I, H)(_x(B, I), h)
    with pytest.raises(ValueError, match=r"LSTMCell c contains 1 NaN or infinite value\(s\)"):
        LSTMCell(I, H)(_x(B, I), (np.zeros((B, H), np.float32), h))


def test_cell_state_of_wrong_shape():
    with pytest.raises(ValueError, match=r"hx must be \(batch, hidden_size\) = \(3, 5\), got "
                                         r"\(3, 4\)"):
        GRUCell(I, H)(_x(B, I), np.zeros((B, H - 1), np.float32))
    state = (np.zeros((B, H), np.float32), np.zeros((B + 1, H), np.float32))
    with pytest.raises(ValueError, match=r"c must be \(batch, hidden_size\) = \(3, 5\), got "
                                         r"\(4, 5\)"):
        LSTMCell(I, H)(_x(B, I), state)


@pytest.mark.parametrize("batch", [2, 3])
def test_lstm_cell_state_not_a_pair(batch):
    with pytest.raises(ValueError, match=r"LSTMCell hx must be a pair \(h, c\), got"):
        LSTMCell(I, H)(_x(batch, I), np.zeros((batch, H), np.float32))


def _escaped(shape: tuple[int, ...]) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")
