"""Luong-style global attention ("general" score) over encoder outputs, padding masked.

For an encoder–decoder (LECTURE §3.4, §11) the decoder state h_t looks at every encoder
output h̄_s of its own sentence (Luong, Pham & Manning 2015, "global attention")::

    score(h_t, h̄_s) = h_tᵀ W_a h̄_s / √D     = h_t · k_s with keys k_s = W_a h̄_s / √D
    a_t(s)          = softmax_s(score)       (positions past the source's end get 0)
    c_t             = Σ_s a_t(s) h̄_s          the context vector
    h̃_t             = tanh(W_c [c_t; h_t])    the attentional hidden state

Why Luong and not Bahdanau: the score needs only h_t, the decoder output *after* its step,
so without input feeding the decoder RNN runs over the whole target as one layer call and
attention for all T steps is three batched matrix products (scores, softmax, context) —
no Python loop per step in training. Bahdanau's additive score uses h_{t−1} inside the
recurrence, which forces a step-by-step decoder. The keys W_a h̄_s are computed once per
sentence and reused at every step of decoding.

The 1/√D (D = decoder size) is Vaswani et al.'s scaling, not Luong's. Without it the
scores of saturated LSTM outputs reach tens: in a De→En Multi30k run (256-d decoder) the
softmax collapsed onto the last source position, the forward encoder's sentence summary
(mean entropy 0.01 nats, 94% of the arg-maxes there, on test sentences early in epoch 2),
and a one-hot softmax passes almost no gradient to the other positions. The same run with
the scaling: entropy 1.0 nats, near-diagonal alignments, dev BLEU 12.8 instead of 7.3
after the first epoch (benchmarks/RESULTS.md, "Translation").

The core — scores, masked softmax, context — is one :class:`MaskedAttention` node whose
forward and backward are written side by side.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Function, Tensor
from rnnlab.nn.layers import Linear


class MaskedAttention(Function):
    """(query, keys, values, valid) → (context, weights), batched over sentences.

    Shapes: query (B, T, D), keys (B, S, D), values (B, S, M), valid (B, S) bool — the
    source batch's padding mask read batch-major, ``source.mask.T`` (rnnlab.engine.padding);
    context (B, T, M), weights (B, T, S)::

        E = Q Kᵀ,  E[b, :, s] = −∞ where not valid[b, s]
        A = softmax(E) over s,  C = A V

    Backward, with δC and δA arriving from above::

        δA += δC Vᵀ               δV = Aᵀ δC
        δE  = A ⊙ (δA − Σ_s δA ⊙ A)        (0 on masked positions, since A = 0 there)
        δQ  = δE K                δK = δEᵀ Q
    """

    def forward(self, query, keys, values, valid):
        valid = np.asarray(valid, dtype=bool)
        if not valid.any(axis=1).all():
            raise ValueError("attention: every sentence needs at least one unmasked position")
        scores = query @ np.swapaxes(keys, 1, 2)
        scores = np.where(valid[:, None, :], scores, -np.inf)
        scores -= scores.max(axis=2, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=2, keepdims=True)
        self.query, self.keys, self.values, self.weights = query, keys, values, weights
        return weights @ values, weights

    def backward(self, d_context, d_weights):
        A = self.weights
        d_A = d_context @ np.swapaxes(self.values, 1, 2) + d_weights
        d_values = np.swapaxes(A, 1, 2) @ d_context if self.needs_input_grad[2] else None
        d_scores = A * (d_A - (d_A * A).sum(axis=2, keepdims=True))
        d_query = d_scores @ self.keys if self.needs_input_grad[0] else None
        d_keys = np.swapaxes(d_scores, 1, 2) @ self.query if self.needs_input_grad[1] else None
        return d_query, d_keys, d_values, None


def masked_attention(
    query: Any, keys: Any, values: Any, valid: np.ndarray
) -> tuple[Tensor, Tensor]:
    """Context vectors and attention weights; see :class:`MaskedAttention`."""
    return MaskedAttention.apply(query, keys, values, valid)


class LuongAttention(Module):
    """Global attention with the "general" score and the attentional hidden state h̃_t.

    ``memory_size`` is the size of an encoder output h̄_s (2·H for a bidirectional encoder),
    ``query_size`` the decoder's hidden size. See the module docstring for the equations.
    """

    def __init__(
        self,
        query_size: int,
        memory_size: int,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.query_size, self.memory_size = query_size, memory_size
        self.key_projection = Linear(memory_size, query_size, bias=False, dtype=dtype, rng=rng)
        self.output_projection = Linear(
            memory_size + query_size, query_size, bias=False, dtype=dtype, rng=rng
        )

    def keys(self, memory: Any) -> Tensor:
        """k_s = W_a h̄_s / √D for every source position: (B, S, M) → (B, S, D)."""
        return ops.mul(self.key_projection(memory), 1.0 / math.sqrt(self.query_size))

    def forward(
        self, query: Any, keys: Any, memory: Any, valid: np.ndarray
    ) -> tuple[Tensor, Tensor]:
        """h̃ (B, T, D) and the weights a (B, T, S) for queries h_t (B, T, D)."""
        context, weights = masked_attention(query, keys, memory, valid)
        attentional = ops.tanh(self.output_projection(ops.concat([context, query], axis=2)))
        return attentional, weights

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, memory_size={self.memory_size}"
