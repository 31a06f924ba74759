"""Sentence-vector pooling (rnnlab.nn.pooling): float64 finite-difference gradient checks
with padded batches, and the guarantee that padding never changes a result or receives
a gradient."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine import ops
from rnnlab.engine.padding import length_mask
from rnnlab.engine.tensor import Tensor
from rnnlab.nn.pooling import (
    AttentionPooling,
    SentencePooling,
    last_pool,
    masked_softmax,
    max_pool,
    mean_pool,
)

T, B, H = 5, 4, 3
LENGTHS = np.array([3, 5, 1, 2])  # unsorted; one full, one of length 1


def _states(seed: int = 0, features: int = 2 * H) -> np.ndarray:
    """(T, B, F) float64 states with distinct values (so max has a unique arg-max) and
    large junk in the padded steps."""
    rng = np.random.default_rng(seed)
    states = rng.permutation(T * B * features).reshape(T, B, features) / 7.0 - 8.0
    states += 0.01 * rng.standard_normal(states.shape)
    pad = ~length_mask(LENGTHS, T)
    states[pad] = 1e3 * rng.standard_normal((int(pad.sum()), features))
    return states


def _projected(pool, projection: np.ndarray):
    """The loss Σ pool() ⊙ P, so that every element of the pooled vector counts."""
    return lambda: ops.sum(ops.mul(pool(), projection))


POOLS = {
    "last": lambda s, lengths: last_pool(s, lengths, num_directions=2),
    "last_unidirectional": lambda s, lengths: last_pool(s, lengths, num_directions=1),
    "max": max_pool,
    "mean": mean_pool,
}


@pytest.mark.parametrize("name", list(POOLS))
def test_fixed_pooling_gradients_match_finite_differences(name, gradcheck):
    states = Tensor(_states(), requires_grad=True)
    projection = np.random.default_rng(1).standard_normal((B, 2 * H))
    loss = _projected(lambda: POOLS[name](states, LENGTHS), projection)
    gradcheck(loss, {"states": states}, tol=1e-7)


@pytest.mark.parametrize("name", list(POOLS))
def test_padding_gets_zero_gradient_and_never_changes_the_result(name):
    base = _states()
    states = Tensor(base.copy(), requires_grad=True)
    out = POOLS[name](states, LENGTHS)
    ops.sum(ops.mul(out, np.ones_like(out.data))).backward()
    pad = ~length_mask(LENGTHS, T)
    assert not states.grad[pad].any()
    assert states.grad[~pad].any()
    other = base.copy()
    other[pad] = -other[pad] + 17.0
    assert np.array_equal(POOLS[name](Tensor(other), LENGTHS).data, out.data)


def test_fixed_pooling_values_against_a_per_sequence_loop():
    states = _states()
    for b, length in enumerate(LENGTHS):
        own = states[:length, b]
        assert np.allclose(max_pool(states, LENGTHS).data[b], own.max(axis=0))
        assert np.allclose(mean_pool(states, LENGTHS).data[b], own.mean(axis=0))
        last = last_pool(states, LENGTHS, num_directions=2).data[b]
        assert np.array_equal(last[:H], own[-1, :H])  # forward direction: its last step
        assert np.array_equal(last[H:], own[0, H:])  # backward direction: step 0
        assert np.array_equal(last_pool(states, LENGTHS).data[b], own[-1])


def test_without_lengths_every_step_counts():
    states = _states()
    assert np.allclose(mean_pool(states).data, states.mean(axis=0))
    assert np.allclose(max_pool(states).data, states.max(axis=0))


def test_attention_pooling_gradients_for_states_and_parameters(gradcheck):
    rng = np.random.default_rng(2)
    states = Tensor(_states() / 10.0, requires_grad=True)
    pooling = AttentionPooling(2 * H, 4, dtype=np.float64, rng=rng)
    tensors = {"states": states, **dict(pooling.named_parameters())}
    projection = rng.standard_normal((B, 2 * H))
    states.data[~length_mask(LENGTHS, T)] = 0.0  # finite differences need moderate values
    gradcheck(_projected(lambda: pooling(states, LENGTHS), projection), tensors, tol=1e-7)


def test_attention_ignores_padding_and_weights_sum_to_one():
    rng = np.random.default_rng(3)
    pooling = AttentionPooling(2 * H, 4, dtype=np.float64, rng=rng)
    base = _states()
    states = Tensor(base.copy(), requires_grad=True)
    alpha = pooling.weights(states, LENGTHS).data
    pad = ~length_mask(LENGTHS, T)
    assert np.allclose(alpha.sum(axis=0), 1.0)
    assert not alpha[pad].any() and (alpha[~pad] > 0).all()
    out = pooling(states, LENGTHS)
    ops.sum(out).backward()
    assert not states.grad[pad].any()
    other = base.copy()
    other[pad] = 5.0
    assert np.allclose(pooling(Tensor(other), LENGTHS).data, out.data, rtol=0, atol=1e-12)
    assert np.allclose(out.data[2], base[0, 2])  # length 1: all weight on the only step


def test_masked_softmax_gradient(gradcheck):
    rng = np.random.default_rng(4)
    scores = Tensor(rng.standard_normal((T, B)), requires_grad=True)
    projection = rng.standard_normal((T, B))
    loss = _projected(lambda: masked_softmax(scores, LENGTHS), projection)
    gradcheck(loss, {"scores": scores}, tol=1e-7)


@pytest.mark.parametrize("method", ["last", "max", "mean", "attention"])
def test_sentence_pooling_module_dispatches(method):
    pooling = SentencePooling(method, 2 * H, num_directions=2, attention_dim=4,
                              dtype=np.float64, rng=np.random.default_rng(0))
    out = pooling(Tensor(_states()), LENGTHS)
    assert out.shape == (B, 2 * H)
    assert bool(pooling.parameters()) == (method == "attention")


def test_bad_lengths_and_methods_are_rejected():
    states = _states()
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\]"):
        max_pool(states, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        mean_pool(states, [1, 2])
    with pytest.raises(ValueError, match="3-D"):
        max_pool(states[0])
    with pytest.raises(ValueError, match="pooling must be one of"):
        SentencePooling("median", 6)
    with pytest.raises(ValueError, match="num_directions"):
        last_pool(states[:, :, :5], LENGTHS, num_directions=2)
