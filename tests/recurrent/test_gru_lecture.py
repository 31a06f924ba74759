"""``GRU(form="lecture")`` computes LECTURE §7 exactly, checked against a plain NumPy loop
written from the lecture's equations; other cell types against the same loop with their
own step (the sigmoid RNN has no PyTorch counterpart)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRUCell


def _sigma(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def lecture_gru_step(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    """LECTURE §7 with W_g = [W_hh rows of g | W_ih rows of g] acting on [h, x]::

        z = σ(W_z·[h, x] + b_z)     r = σ(W_r·[h, x] + b_r)
        h̃ = tanh(W·[r * h, x] + b)  h' = (1 − z) * h + z * h̃

    rows r, z, n of the PyTorch-layout weights; b_g = b_ih[g] + b_hh[g].
    """
    (h,) = state
    H = h.shape[0]
    rows = {"r": slice(0, H), "z": slice(H, 2 * H), "n": slice(2 * H, 3 * H)}

    def W(gate):
        return np.concatenate([weight_hh[rows[gate]], weight_ih[rows[gate]]], axis=1)

    def b(gate):
        return bias_ih[rows[gate]] + bias_hh[rows[gate]]

    hx = np.concatenate([h, x])
    z = _sigma(W("z") @ hx + b("z"))
    r = _sigma(W("r") @ hx + b("r"))
    h_tilde = np.tanh(W("n") @ np.concatenate([r * h, x]) + b("n"))
    return ((1 - z) * h + z * h_tilde,)


def rnn_sigmoid_step(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    """LECTURE §2: h' = σ(W_i x + W_h h + b)."""
    return (_sigma(weight_ih @ x + bias_ih + weight_hh @ state[0] + bias_hh),)


OPTIONS = [
    pytest.param(dict(), id="1layer"),
    pytest.param(dict(lengths=[2, 4, 1]), id="lengths"),
    pytest.param(dict(bidirectional=True), id="bi"),
    pytest.param(
        dict(num_layers=2, bidirectional=True, lengths=[2, 4, 1], with_hx=True),
        id="2layers-bi-lengths-hx",
    ),
    pytest.param(
        dict(num_layers=2, bidirectional=True, lengths=[3, 1, 3], with_hx=True, batch_first=True),
        id="2layers-bi-lengths-below-T-hx-batch_first",
    ),
    pytest.param(dict(bidirectional=True, lengths=[2, 4, 1], bias=False), id="bi-lengths-nobias"),
]


@pytest.mark.parametrize(
    ("cell", "step"),
    [("gru_lecture", lecture_gru_step), ("rnn_sigmoid", rnn_sigmoid_step)],
    ids=["gru_lecture", "rnn_sigmoid"],
)
@pytest.mark.parametrize("options", OPTIONS)
def test_layer_matches_step_by_step_reference(
    cell, step, options, recurrent_case, reference_stack, relative_error
):
    case = recurrent_case(cell, seed=11, **options)
    layer = case.layer
    output, h_n = case.outputs()
    params = {name: p.data for name, p in layer.named_parameters()}
    expected_output, (expected_h_n,) = reference_stack(
        step, params, case.time_major_input(), [case.initial_h()], case.lengths,
        layer.num_layers, layer.bidirectional,
    )
    if layer.batch_first:
        expected_output = expected_output.transpose(1, 0, 2)
    assert relative_error(output.data, expected_output) < 1e-12
    assert relative_error(h_n.data, expected_h_n) < 1e-12


def test_lecture_form_is_a_different_model_from_pytorch_form(recurrent_case, relative_error):
    lecture = recurrent_case("gru_lecture", seed=2)
    pytorch = recurrent_case("gru", seed=2)
    pytorch.layer.load_state_dict(lecture.layer.state_dict())
    assert relative_error(lecture.outputs()[0].data, pytorch.outputs()[0].data) > 1e-3


def test_lecture_cell_matches_reference_step(relative_error):
    rng = np.random.default_rng(4)
    cell = GRUCell(3, 4, form="lecture", dtype=np.float64, rng=rng)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    params = {name: p.data for name, p in cell.named_parameters()}
    expected = np.stack([lecture_gru_step(x[b], (h[b],), **params)[0] for b in range(2)])
    assert relative_error(cell(Tensor(x), Tensor(h)).data, expected) < 1e-12
