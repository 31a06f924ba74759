"""Sentence vectors from the states of a recurrent encoder (the "one" of many-to-one, LECTURE §3.3).

Every function here reads time-major states ``h`` of shape (T, B, F) — the output of
``rnnlab.RNN/LSTM/GRU`` — and the true length L_b of each sequence, and returns one
(B, F) vector per sequence. Steps t ≥ L_b are padding: they never change the result and
receive exactly zero gradient. ``lengths`` are the B lengths, or the batch's
:class:`~rnnlab.engine.padding.Padding` (its mask is used as it is), or None: no padding.

* ``last``:  s_b = [→h_{L_b−1, b}; ←h_{0, b}] — each direction's final state: the forward
  direction ends at the sequence's own last step, the backward one at step 0 (LECTURE §9).
* ``max``:   s_b = max_{t < L_b} h_{t, b}, element by element.
* ``mean``:  s_b = (1 / L_b) Σ_{t < L_b} h_{t, b}.
* ``attention``: e_{t,b} = vᵀ tanh(W h_{t,b} + c),  α_{·,b} = softmax over t < L_b of e,
  s_b = Σ_t α_{t,b} h_{t,b}  (additive attention, Bahdanau et al. 2015; Yang et al. 2016).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.padding import Padding
from rnnlab.engine.tensor import Function, Tensor
from rnnlab.nn.layers import Linear

POOLING_METHODS = ("last", "max", "mean", "attention")


def _mask(lengths: Any, steps: int, batch: int) -> np.ndarray:
    """The (T, B) mask of ``lengths`` (a :class:`Padding` brings its own; None: no padding)."""
    return Padding.of(lengths, steps, batch).mask


def _as_states(states: Any) -> Tensor:
    states = states if isinstance(states, Tensor) else Tensor(states)
    if states.ndim != 3:
        raise ValueError(f"states must be 3-D (time, batch, features), got shape {states.shape}")
    return states


class LastStates(Function):
    """s_b = [→h_{L_b−1, b}; ←h_{0, b}] (only the first half when there is one direction).

    The backward puts g_b back at those two positions and zero everywhere else.
    """

    def forward(self, states, valid, num_directions):
        T, B, F = states.shape
        self.shape, self.dtype = states.shape, states.dtype
        self.last = valid.sum(axis=0) - 1
        self.rows = np.arange(B)
        self.half = F // num_directions
        pooled = states[self.last, self.rows].copy()
        if num_directions == 2:
            pooled[:, self.half :] = states[0, :, self.half :]
        return pooled

    def backward(self, g):
        grad = np.zeros(self.shape, self.dtype)
        grad[self.last, self.rows, : self.half] = g[:, : self.half]
        grad[0, :, self.half :] += g[:, self.half :]
        return grad, None, None


class MaskedMax(Function):
    """s_{b,f} = max_{t < L_b} h_{t,b,f}; the gradient goes to the (first) arg-max step."""

    def forward(self, states, valid):
        self.shape, self.dtype = states.shape, states.dtype
        masked = np.where(valid[:, :, None], states, -np.inf)
        self.argmax = np.argmax(masked, axis=0)[None]
        return np.take_along_axis(states, self.argmax, axis=0)[0]

    def backward(self, g):
        grad = np.zeros(self.shape, self.dtype)
        np.put_along_axis(grad, self.argmax, g[None], axis=0)
        return grad, None


class MaskedMean(Function):
    """s_b = Σ_{t < L_b} h_{t,b} / L_b;  ∂s_b/∂h_{t,b} = [t < L_b] / L_b."""

    def forward(self, states, valid):
        self.weights = (valid / valid.sum(axis=0)).astype(states.dtype)[:, :, None]
        return (states * self.weights).sum(axis=0)

    def backward(self, g):
        return g[None] * self.weights, None


class MaskedSoftmax(Function):
    """α_{t,b} = exp(e_{t,b}) / Σ_{u < L_b} exp(e_{u,b}) for t < L_b, and 0 on padding.

    ∂e = α ⊙ (g − Σ_t g ⊙ α), which is 0 on padding because α is.
    """

    def forward(self, scores, valid):
        shifted = np.where(valid, scores, -np.inf)
        shifted = shifted - shifted.max(axis=0, keepdims=True)
        weights = np.exp(shifted)
        self.alpha = weights / weights.sum(axis=0, keepdims=True)
        return self.alpha

    def backward(self, g):
        return self.alpha * (g - (g * self.alpha).sum(axis=0, keepdims=True)), None


def last_pool(states: Any, lengths: Any = None, num_directions: int = 1) -> Tensor:
    """Final state of each direction; ``states`` is [→h; ←h] when ``num_directions`` is 2."""
    states = _as_states(states)
    T, B, F = states.shape
    if num_directions not in (1, 2) or F % num_directions:
        raise ValueError(
            f"num_directions must be 1 or 2 and divide the {F} features, got {num_directions}"
        )
    return LastStates.apply(states, _mask(lengths, T, B), num_directions)


def max_pool(states: Any, lengths: Any = None) -> Tensor:
    """Element-wise maximum over each sequence's own steps."""
    states = _as_states(states)
    return MaskedMax.apply(states, _mask(lengths, *states.shape[:2]))


def mean_pool(states: Any, lengths: Any = None) -> Tensor:
    """Average over each sequence's own steps."""
    states = _as_states(states)
    return MaskedMean.apply(states, _mask(lengths, *states.shape[:2]))


def masked_softmax(scores: Any, lengths: Any = None) -> Tensor:
    """Softmax of (T, B) scores over time within each sequence's length; 0 on padding."""
    scores = scores if isinstance(scores, Tensor) else Tensor(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be 2-D (time, batch), got shape {scores.shape}")
    return MaskedSoftmax.apply(scores, _mask(lengths, *scores.shape))


class AttentionPooling(Module):
    """Additive attention over time: s_b = Σ_t α_{t,b} h_{t,b} (see the module docstring).

    ``proj`` holds W and c, ``score`` holds v; both are trained with the classifier.
    """

    def __init__(
        self,
        features: int,
        attention_dim: int,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        rng = rng or rnd.generator()
        self.proj = Linear(features, attention_dim, dtype=dtype, rng=rng)
        self.score = Linear(attention_dim, 1, bias=False, dtype=dtype, rng=rng)

    def weights(self, states: Any, lengths: Any = None) -> Tensor:
        """α, the (T, B) attention weights; each column sums to 1 over its valid steps."""
        states = _as_states(states)
        T, B, _ = states.shape
        scores = self.score(ops.tanh(self.proj(states)))  # e = vᵀ tanh(W h + c), (T, B, 1)
        return masked_softmax(ops.reshape(scores, (T, B)), lengths)

    def forward(self, states: Any, lengths: Any = None) -> Tensor:
        states = _as_states(states)
        T, B, _ = states.shape
        alpha = ops.reshape(self.weights(states, lengths), (T, B, 1))
        return ops.sum(ops.mul(states, alpha), axis=0)


class SentencePooling(Module):
    """One of :data:`POOLING_METHODS` as a module: ``pooling(states, lengths) -> (B, F)``."""

    def __init__(
        self,
        method: str,
        features: int,
        num_directions: int = 1,
        attention_dim: int = 100,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if method not in POOLING_METHODS:
            raise ValueError(f"pooling must be one of {POOLING_METHODS}, got {method!r}")
        self.method, self.num_directions = method, num_directions
        self.attention = (
            AttentionPooling(features, attention_dim, dtype=dtype, rng=rng)
            if method == "attention"
            else None
        )

    def forward(self, states: Any, lengths: Any = None) -> Tensor:
        if self.attention is not None:
            return self.attention(states, lengths)
        if self.method == "last":
            return last_pool(states, lengths, self.num_directions)
        if self.method == "max":
            return max_pool(states, lengths)
        return mean_pool(states, lengths)

    def extra_repr(self) -> str:
        return f"{self.method!r}"
