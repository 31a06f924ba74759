"""Choosing the next token from the scores y(t) = softmax(W_o h(t)) (LECTURE §2).

Greedy decoding takes the arg-max. Sampling draws from the softmax of ``logits / T``
(temperature T: below 1 sharper, above 1 flatter), optionally restricted first to the
``top_k`` highest-scoring tokens and then to the smallest set whose probability reaches
``top_p`` (nucleus sampling, Holtzman et al. 2020); the kept probabilities are renormalised.
Every draw comes from the ``numpy.random.Generator`` passed in, so a seed reproduces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sampler:
    """How the next token is picked: ``greedy`` or sampling with temperature, top-k, top-p.

    ``top_k=0`` and ``top_p=1.0`` switch those filters off.
    """

    greedy: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0 (greedy is T → 0), got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """The distribution sampling draws from, rows of (B, V): filtered and renormalised."""
        return filtered_probabilities(logits, self.temperature, self.top_k, self.top_p)

    def choose(self, logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One token id per row of ``logits`` (B, V)."""
        logits = np.asarray(logits, dtype=np.float64)
        if self.greedy:
            return logits.argmax(axis=-1)
        return sample_rows(self.probabilities(logits), rng)


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """softmax over the last axis, shifted by the row maximum for stability."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def top_k_mask(logits: np.ndarray, k: int) -> np.ndarray:
    """True on the ``k`` highest scores of each row (exactly k, ties broken by position)."""
    if k <= 0 or k >= logits.shape[-1]:
        return np.ones(logits.shape, dtype=bool)
    order = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(logits.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def top_p_mask(probs: np.ndarray, p: float) -> np.ndarray:
    """True on the smallest set of most probable tokens whose total probability is ≥ p.

    The most probable token is always kept; token j (in descending order) is kept when the
    mass of the tokens before it is still below ``p``.
    """
    if p >= 1.0:
        return probs > 0
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep_sorted = mass_before < p
    keep_sorted[..., 0] = True
    mask = np.zeros(probs.shape, dtype=bool)
    np.put_along_axis(mask, order, keep_sorted, axis=-1)
    return mask


def filtered_probabilities(
    logits: np.ndarray, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0
) -> np.ndarray:
    """softmax(logits / T) restricted to top-k, then to top-p, then renormalised."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = np.where(top_k_mask(scaled, top_k), scaled, -np.inf)
    probs = softmax_rows(scaled)
    probs = np.where(top_p_mask(probs, top_p), probs, 0.0)
    return probs / probs.sum(axis=-1, keepdims=True)


def sample_rows(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``probs`` (B, V) by inverse-CDF sampling with one uniform draw."""
    cdf = np.cumsum(probs, axis=-1)
    u = rng.random((probs.shape[0], 1)) * cdf[:, -1:]
    chosen = (cdf <= u).sum(axis=-1)
    # guard against float round-off landing on a zero-probability tail token
    last_positive = probs.shape[-1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=-1)
    return np.minimum(chosen, last_positive)
