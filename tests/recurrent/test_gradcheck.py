"""Finite-difference gradient checks of the hand-written BPTT (LECTURE §4) in float64.

For every cell type and a spread of layer options, ∂L/∂x, ∂L/∂h0 (∂L/∂c0), and ∂L/∂θ for
every parameter θ from backward must agree with central differences to a relative error
below 1e-6, where L is a random projection of the output and of the final state(s).
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRUCell, LSTMCell, RNNCell

# lengths: uneven, unsorted, one equal to T=4 and one equal to 1
UNEVEN = [2, 4, 1]

LAYER_OPTIONS = [
    pytest.param(dict(), id="1layer"),
    pytest.param(
        dict(num_layers=2, bidirectional=True, lengths=UNEVEN, with_hx=True),
        id="2layers-bi-lengths-hx",
    ),
    pytest.param(
        dict(num_layers=3, lengths=UNEVEN, with_hx=True, batch_first=True),
        id="3layers-lengths-hx-batch_first",
    ),
    pytest.param(
        dict(bidirectional=True, with_hx=True, batch_first=True), id="1layer-bi-hx-batch_first"
    ),
    # no sequence spans the whole input, and two share a length
    pytest.param(dict(num_layers=2, lengths=[3, 1, 3]), id="2layers-lengths-below-T"),
    pytest.param(
        dict(bidirectional=True, lengths=UNEVEN, with_hx=True, bias=False, batch_first=True),
        id="1layer-bi-lengths-hx-nobias-batch_first",
    ),
]


def _relu_margin(case, reference_stack) -> float:
    """min |a| over every pre-activation a of a relu RNN — how far it sits from the kink."""
    layer = case.layer
    params = {name: p.data for name, p in layer.named_parameters()}
    margins = []

    def step(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        a = weight_ih @ x + bias_ih + weight_hh @ state[0] + bias_hh
        margins.append(np.abs(a).min())
        return (np.maximum(a, 0.0),)

    reference_stack(
        step, params, case.time_major_input(), [case.initial_h()], case.lengths,
        layer.num_layers, layer.bidirectional,
    )
    return min(margins)


@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_layer_gradients_match_finite_differences(
    cell, options, recurrent_case, gradcheck, reference_stack
):
    case = recurrent_case(cell, **options)
    if cell == "rnn_relu":
        # a step of 1e-6 must not carry any pre-activation across relu's kink at 0
        assert _relu_margin(case, reference_stack) > 1e-4, "data too close to relu's kink"
    errors = gradcheck(case.loss, case.inputs())
    expected = {"x", *case.layer.state_dict()} | ({"h0"} if case.h0 is not None else set())
    expected |= {"c0"} if case.c0 is not None else set()
    assert set(errors) == expected


CELL_TYPES = [
    pytest.param(RNNCell, {"nonlinearity": "tanh"}, id="rnn_tanh"),
    pytest.param(RNNCell, {"nonlinearity": "sigmoid"}, id="rnn_sigmoid"),
    pytest.param(RNNCell, {"nonlinearity": "relu"}, id="rnn_relu"),
    pytest.param(LSTMCell, {}, id="lstm"),
    pytest.param(GRUCell, {"form": "pytorch"}, id="gru"),
    pytest.param(GRUCell, {"form": "lecture"}, id="gru_lecture"),
]


@pytest.mark.parametrize("with_state", [False, True], ids=["no_state", "state"])
@pytest.mark.parametrize(("cell_type", "options"), CELL_TYPES)
def test_cell_gradients_match_finite_differences(cell_type, options, with_state, gradcheck):
    rng = np.random.default_rng(7)
    batch, input_size, hidden = 3, 3, 4
    cell = cell_type(input_size, hidden, dtype=np.float64, rng=rng, **options)
    x = Tensor(rng.standard_normal((batch, input_size)), requires_grad=True)
    inputs = {"x": x}
    hx = None
    if with_state:
        h = Tensor(rng.standard_normal((batch, hidden)), requires_grad=True)
        inputs["h"] = h
        hx = h
        if cell_type is LSTMCell:
            c = Tensor(rng.standard_normal((batch, hidden)), requires_grad=True)
            inputs["c"] = c
            hx = (h, c)
    inputs.update(cell.named_parameters())
    n_out = 2 if cell_type is LSTMCell else 1
    projections = [rng.standard_normal((batch, hidden)) for _ in range(n_out)]

    def loss():
        out = cell(x, hx)
        outs = out if isinstance(out, tuple) else (out,)
        total = (outs[0] * projections[0]).sum()
        for o, w in zip(outs[1:], projections[1:], strict=True):
            total = total + (o * w).sum()
        return total

    if options.get("nonlinearity") == "relu":
        h_prev = np.zeros((batch, hidden)) if hx is None else hx.data
        a = x.data @ cell.weight_ih.data.T + cell.bias_ih.data
        a += h_prev @ cell.weight_hh.data.T + cell.bias_hh.data
        assert np.abs(a).min() > 1e-4, "data too close to relu's kink"
    # without a state h = 0, so W_hh multiplies zeros and the loss does not depend on it
    gradcheck(loss, inputs, independent=() if with_state else ("weight_hh",))
