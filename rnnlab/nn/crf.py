"""A linear-chain conditional random field over per-token scores (a tagger's CRF head).

A tag sequence y = y_1 … y_L of a sentence with emission scores E (L, K) — one score per
word and tag, from the BiLSTM — gets the score::

    s(y) = start[y_1] + Σ_t E[t, y_t] + Σ_{t≥2} A[y_{t−1}, y_t] + end[y_L]

and probability p(y) = exp s(y) / Z with Z = Σ_{y'} exp s(y'). Training minimises
−log p(y) = log Z − s(y). log Z comes from the forward algorithm, in log space::

    α_1(j) = start_j + E[1, j]
    α_t(j) = E[t, j] + logsumexp_i (α_{t−1}(i) + A_ij)
    log Z  = logsumexp_j (α_L(j) + end_j)

and its gradient from the backward recursion (forward–backward)::

    β_L(i) = end_i
    β_t(i) = logsumexp_j (A_ij + E[t+1, j] + β_{t+1}(j))
    p(y_t = j)               = exp(α_t(j) + β_t(j) − log Z)
    p(y_{t−1} = i, y_t = j)  = exp(α_{t−1}(i) + A_ij + E[t, j] + β_t(j) − log Z)

so ∂(log Z − s(y))/∂E[t, j] = p(y_t = j) − [y_t = j], ∂/∂A_ij = Σ_t p(y_{t−1}=i, y_t=j) −
#{t: y_{t−1}=i, y_t=j}, and likewise for start (t = 1) and end (t = L). Decoding takes the
best sequence with Viterbi: the same recursion with max in place of logsumexp, plus back
pointers. Everything runs on time-major (T, B, K) scores with per-sentence lengths —
an array of them or the batch's :class:`~rnnlab.engine.padding.Padding` — and positions
past a sentence's end never count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine.module import Module, Parameter
from rnnlab.engine.padding import Padding
from rnnlab.engine.tensor import Function, Tensor


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    peak = x.max(axis=axis, keepdims=True)
    return np.squeeze(peak, axis) + np.log(np.exp(x - peak).sum(axis=axis))


def _padding(emissions: np.ndarray, lengths: Any) -> Padding:
    """The padding of (T, B, K) ``emissions``: mask[t, b] while sentence b has a word at t."""
    return Padding.of(lengths, *emissions.shape[:2])


def forward_scores(
    emissions: np.ndarray, transitions: np.ndarray, start: np.ndarray, padding: Padding
) -> np.ndarray:
    """α (T, B, K) of the forward algorithm; past a sentence's end α stays at its last value."""
    T = emissions.shape[0]
    running = padding.mask
    alpha = np.empty_like(emissions)
    alpha[0] = start + emissions[0]
    for t in range(1, T):
        step = emissions[t] + _logsumexp(alpha[t - 1][:, :, None] + transitions, axis=1)
        alpha[t] = np.where(running[t][:, None], step, alpha[t - 1])
    return alpha


def backward_scores(
    emissions: np.ndarray, transitions: np.ndarray, end: np.ndarray, padding: Padding
) -> np.ndarray:
    """β (T, B, K): β_t = end at each sentence's last word, the recursion before it."""
    T = emissions.shape[0]
    beta = np.empty_like(emissions)
    beta[T - 1] = end
    for t in range(T - 2, -1, -1):
        step = _logsumexp(transitions + (emissions[t + 1] + beta[t + 1])[:, None, :], axis=2)
        has_next = padding.mask[t + 1][:, None]
        beta[t] = np.where(has_next, step, end)
    return beta


def gold_score(
    emissions: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    tags: np.ndarray,
    padding: Padding,
) -> np.ndarray:
    """s(y) (B,) of the gold tags ``tags`` (T, B); entries past each end are ignored."""
    T, B = tags.shape
    running, lengths = padding.mask, padding.lengths
    safe = np.where(running, tags, 0)
    cols = np.arange(B)
    emitted = np.take_along_axis(emissions, safe[:, :, None], axis=2)[:, :, 0]
    score = (emitted * running).sum(axis=0) + start[safe[0]]
    if T > 1:
        score += (transitions[safe[:-1], safe[1:]] * running[1:]).sum(axis=0)
    return score + end[safe[lengths - 1, cols]]


class CRFNegLogLikelihood(Function):
    """(E, A, start, end) → Σ_b (log Z_b − s_b(y_b)); backward from forward–backward marginals."""

    def forward(self, emissions, transitions, start, end, tags, lengths):
        T, B, K = emissions.shape
        if tags.shape != (T, B):
            raise ValueError(f"CRF: tags must be (T, B) = {(T, B)}, got {tags.shape}")
        padding = _padding(emissions, lengths)
        alpha = forward_scores(emissions, transitions, start, padding)
        cols = np.arange(B)
        log_z = _logsumexp(alpha[padding.lengths - 1, cols] + end, axis=1)
        score = gold_score(emissions, transitions, start, end, tags, padding)
        self.saved = (emissions, transitions, end, tags, padding, alpha, log_z)
        return np.asarray((log_z - score).sum(), dtype=emissions.dtype)

    def backward(self, g):
        emissions, transitions, end, tags, padding, alpha, log_z = self.saved
        T, B, K = emissions.shape
        beta = backward_scores(emissions, transitions, end, padding)
        running = padding.mask
        # unary marginals p(y_t = j), zero past each end
        unary = np.exp(alpha + beta - log_z[None, :, None]) * running[:, :, None]
        # pairwise marginals p(y_{t−1} = i, y_t = j) for t = 1 … L−1 (0-based)
        pair_logits = (
            alpha[:-1, :, :, None] + transitions + (emissions[1:] + beta[1:])[:, :, None, :]
        )
        pairwise = np.exp(pair_logits - log_z[None, :, None, None]) * running[1:, :, None, None]

        safe = np.where(running, tags, 0)
        onehot = np.zeros_like(emissions)
        np.put_along_axis(onehot, safe[:, :, None], 1.0, axis=2)
        onehot *= running[:, :, None]
        d_emissions = unary - onehot
        d_transitions = pairwise.sum(axis=(0, 1))
        if T > 1:
            np.add.at(d_transitions, (safe[:-1][running[1:]], safe[1:][running[1:]]), -1.0)
        d_start = unary[0].sum(axis=0) - np.bincount(safe[0], minlength=K)
        cols = np.arange(B)
        last = padding.lengths - 1
        d_end = unary[last, cols].sum(axis=0) - np.bincount(safe[last, cols], minlength=K)
        dtype = emissions.dtype
        return (
            (g * d_emissions).astype(dtype, copy=False),
            (g * d_transitions).astype(dtype, copy=False),
            (g * d_start).astype(dtype, copy=False),
            (g * d_end).astype(dtype, copy=False),
            None,
            None,
        )


def viterbi_decode(
    emissions: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    lengths: Any,
) -> list[list[int]]:
    """The highest-scoring tag sequence of each sentence (max-product recursion)::

        δ_1(j) = start_j + E[1, j];   δ_t(j) = E[t, j] + max_i (δ_{t−1}(i) + A_ij)
        y_L = argmax_j (δ_L(j) + end_j);   y_{t−1} = argmax_i (δ_{t−1}(i) + A_{i, y_t})
    """
    T, B, K = emissions.shape
    padding = _padding(emissions, lengths)
    delta = start + emissions[0]
    pointers = np.zeros((T, B, K), np.int64)
    history = [delta]
    for t in range(1, T):
        candidates = delta[:, :, None] + transitions
        pointers[t] = candidates.argmax(axis=1)
        step = emissions[t] + candidates.max(axis=1)
        delta = np.where(padding.mask[t][:, None], step, delta)
        history.append(delta)
    paths = []
    for b in range(B):
        n = int(padding.lengths[b])
        best = [int(np.argmax(history[n - 1][b] + end))]
        for t in range(n - 1, 0, -1):
            best.append(int(pointers[t, b, best[-1]]))
        paths.append(best[::-1])
    return paths


class LinearChainCRF(Module):
    """Transition, start and end scores of a K-tag linear-chain CRF (see the module doc)."""

    def __init__(
        self, num_tags: int, dtype: Any = np.float32, rng: np.random.Generator | None = None
    ) -> None:
        super().__init__()
        rng = rng or rnd.generator()
        self.num_tags = num_tags
        self.transitions = Parameter(rng.uniform(-0.1, 0.1, (num_tags, num_tags)), dtype)
        self.start = Parameter(rng.uniform(-0.1, 0.1, num_tags), dtype)
        self.end = Parameter(rng.uniform(-0.1, 0.1, num_tags), dtype)

    def neg_log_likelihood(self, emissions: Tensor, tags: np.ndarray, lengths: Any) -> Tensor:
        """Σ over the batch of log Z − s(y) for emissions (T, B, K) and gold tags (T, B)."""
        return CRFNegLogLikelihood.apply(
            emissions, self.transitions, self.start, self.end, np.asarray(tags), lengths
        )

    def decode(self, emissions: np.ndarray, lengths: Any) -> list[list[int]]:
        """Viterbi paths (one list of tag ids per sentence) for emissions (T, B, K)."""
        return viterbi_decode(
            emissions, self.transitions.data, self.start.data, self.end.data, lengths
        )

    def log_partition(self, emissions: np.ndarray, lengths: Any) -> np.ndarray:
        """log Z (B,) by the forward algorithm."""
        padding = _padding(emissions, lengths)
        alpha = forward_scores(emissions, self.transitions.data, self.start.data, padding)
        final = alpha[padding.lengths - 1, np.arange(padding.size)] + self.end.data
        return _logsumexp(final, axis=1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}"
