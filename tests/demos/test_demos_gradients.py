"""The gradient-norm measurement of the gradients demo agrees with finite differences."""

import numpy as np
import pytest

import rnnlab
from rnnlab.demos.gradients import (
    KINDS,
    RecallModel,
    decay_per_step,
    float64_step_parts,
    probed_loss,
    recall_batch,
    state_gradient_norms,
    with_recurrent_gain,
)


@pytest.mark.parametrize("kind", KINDS)
def test_probe_gradient_matches_finite_differences(kind):
    rnnlab.seed(0)
    model = RecallModel(kind, symbols=3, hidden_size=5)
    inputs, targets = recall_batch(np.random.default_rng(1), 2, 6, 3)
    cell, head = float64_step_parts(model)
    loss, probes = probed_loss(cell, head, inputs, targets)
    loss.backward()
    eps = 1e-6
    for t, b, j in [(0, 0, 1), (2, 1, 4), (5, 0, 0), (3, 1, 2)]:
        shifted = []
        for sign in (1.0, -1.0):
            values = [np.zeros((2, 5)) for _ in range(6)]
            values[t][b, j] = sign * eps
            shifted.append(probed_loss(cell, head, inputs, targets, values)[0].item())
        numeric = (shifted[0] - shifted[1]) / (2 * eps)
        assert probes[t].grad[b, j] == pytest.approx(numeric, rel=1e-5, abs=1e-10)


def test_norms_are_indexed_by_distance_from_the_loss():
    rnnlab.seed(0)
    model = RecallModel("rnn-tanh", symbols=3, hidden_size=5)
    inputs, targets = recall_batch(np.random.default_rng(2), 4, 7, 3)
    norms = state_gradient_norms(model, inputs, targets)
    cell, head = float64_step_parts(model)
    loss, probes = probed_loss(cell, head, inputs, targets)
    loss.backward()
    by_time = [np.linalg.norm(p.grad, axis=1).mean() for p in probes]
    assert np.allclose(norms, by_time[::-1])
    assert norms[0] == pytest.approx(by_time[-1])  # distance 0 is the last step


def test_recurrent_gain_makes_gradients_vanish_or_explode():
    inputs, targets = recall_batch(np.random.default_rng(3), 8, 30, 4)
    far = {}
    for gain in (0.5, 3.0):
        rnnlab.seed(0)
        model = RecallModel("rnn-tanh", symbols=4, hidden_size=16)
        with_recurrent_gain(model, gain, np.random.default_rng(4))
        norms = state_gradient_norms(model, inputs, targets)
        far[gain] = norms[-1] / norms[0]
    assert far[0.5] < 1e-5 < 1e2 < far[3.0]


def test_decay_per_step_is_the_geometric_mean_factor():
    assert decay_per_step(np.array([1.0, 0.5, 0.25, 0.125])) == pytest.approx(0.5)
    assert decay_per_step(np.array([2.0, 4.0, 8.0])) == pytest.approx(2.0)
    assert decay_per_step(np.array([1.0, 0.0])) == 0.0


def test_recall_targets_are_the_first_symbol():
    inputs, targets = recall_batch(np.random.default_rng(5), 10, 4, 6)
    assert inputs.shape == (4, 10, 6)
    assert np.array_equal(inputs[0].argmax(-1), targets)
