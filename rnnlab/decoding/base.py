"""What the decoders need from a model, what they return, and how long they may run.

A model that generates token by token (a decoder conditioned on anything: a source
sentence, an image vector — LECTURE §3.2, §3.4) exposes two methods; the search
algorithms in :mod:`rnnlab.decoding.greedy` and :mod:`rnnlab.decoding.beam` drive them
without knowing what the model is.

Rows of a decoder state are grouped by sentence: with beam size K the rows of sentence i
are i·K … i·K + K − 1, and every row of a sentence shares that sentence's encoder memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class StepModel(Protocol):
    """A conditional generator driven one token at a time."""

    bos_id: int
    eos_id: int

    def decode_step(
        self, tokens: np.ndarray, state: Any
    ) -> tuple[np.ndarray, Any, np.ndarray | None]:
        """Feed ``tokens`` (N,) — one per row — and advance every row by one step.

        Returns log P(next token | prefix, source) as (N, V) — tokens that may never be
        generated (padding, begin-of-sequence) at −∞ — the new state, and the attention
        weights over the source (N, S) or ``None`` for a model without attention.
        """
        ...

    def reorder_state(self, state: Any, rows: np.ndarray, sentences: np.ndarray) -> Any:
        """Keep the sentences ``sentences`` (indices into the current ones, in order) and
        make new row j a copy of old row ``rows[j]``; ``rows`` lists the new rows of the kept
        sentences grouped by sentence, each drawn from its own sentence's rows."""
        ...


@dataclass
class Hypothesis:
    """One output sequence.

    ``tokens`` excludes the end-of-sequence token; ``length`` counts it when the sequence
    ended with it (a sequence cut at the length limit has ``length == len(tokens)``).
    ``score`` is the summed log-probability, ``attention`` holds one row of source weights
    per token in ``tokens`` (or is ``None``).
    """

    tokens: list[int]
    score: float
    length: int
    attention: np.ndarray | None = None

    def normalized_score(self, length_penalty: float) -> float:
        return length_normalized(self.score, self.length, length_penalty)


def length_normalized(score: float, length: int, alpha: float) -> float:
    """s / |y|^α: α = 0 keeps the raw log-probability (which favours short outputs),
    α = 1 ranks by the mean log-probability per token."""
    return float(score) / max(int(length), 1) ** float(alpha)


def max_output_lengths(source_lengths: Any, ratio: float = 1.5, extra: int = 10) -> np.ndarray:
    """The most tokens a decoder may produce for each source: ⌊ratio · |x| + extra⌋ ≥ 1."""
    lengths = np.asarray(source_lengths, dtype=np.float64)
    return np.maximum(np.floor(ratio * lengths + extra), 1).astype(np.int64)


def stack_rows(rows: list[np.ndarray], like: np.ndarray) -> np.ndarray:
    """Stack attention rows into (len(rows), S), keeping S for an empty list."""
    return np.array(rows).reshape(len(rows), like.shape[1])
