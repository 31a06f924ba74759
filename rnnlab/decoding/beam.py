"""Batched beam search with length normalisation.

Each sentence keeps K partial outputs (beams). At step t every beam y_<t is extended by
every token w and scored s(y_<t w) = s(y_<t) + log P(w | y_<t, x); the 2K best
candidates of the sentence are read best first:

* an end-of-sequence candidate among the first K finishes a hypothesis, ranked later by
  s / |y|^α (:func:`~rnnlab.decoding.base.length_normalized`);
* the first K other candidates become the beams of step t + 1.

A sentence is done when it has K finished hypotheses, when step t reaches its length limit
(its open beams then finish as they are) or when no beam has a finite score; done
sentences leave the batch. With K = 1 this is exactly greedy decoding; with K at least
the number of possible outputs it is exhaustive search.

All B·K beams run through the model as one batch; back-pointers recorded at each step
rebuild the tokens (and the attention rows) of a finished hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab.decoding.base import Hypothesis, StepModel, stack_rows


@dataclass
class _Ending:
    """A finished hypothesis, before its tokens are read back from the history."""

    step: int  # the step that produced its last token
    parent: int  # node at step − 1 it extends
    score: float
    last_token: int | None = None  # None when it ended with end-of-sequence
    last_attention: np.ndarray | None = None  # the weights behind last_token


@dataclass
class _History:
    """Back-pointers. The nodes of step t are the beams kept after step t, in state-row
    order; node j extends node ``parents[t][j]`` of step t − 1 by ``tokens[t][j]``, having
    attended with ``attention[t][j]``. Step 0 is the start, one node per initial row."""

    parents: list[np.ndarray]
    tokens: list[np.ndarray]
    attention: list[np.ndarray | None]

    def read(self, ending: _Ending, like: np.ndarray | None) -> Hypothesis:
        """Walk back from ``ending`` to step 1; ``like`` is any attention array (or None)."""
        tokens: list[int] = []
        rows: list[np.ndarray] = []
        step, node = ending.step, ending.parent
        has_attention = like is not None
        if ending.last_token is not None:
            tokens.append(ending.last_token)
            if has_attention:
                rows.append(ending.last_attention)
        while step > 1:
            step -= 1
            tokens.append(int(self.tokens[step][node]))
            if has_attention:
                rows.append(self.attention[step][node])
            node = int(self.parents[step][node])
        tokens.reverse()
        rows.reverse()
        length = len(tokens) + (ending.last_token is None)
        attention = stack_rows(rows, like) if has_attention else None
        return Hypothesis(tokens=tokens, score=ending.score, length=length, attention=attention)


def beam_search(
    model: StepModel,
    state: Any,
    max_lengths: Any,
    beam_size: int = 5,
    length_penalty: float = 1.0,
) -> list[Hypothesis]:
    """The best hypothesis per sentence of ``state`` (one row per sentence on entry).

    ``max_lengths`` (B,) caps each sentence's output; ``length_penalty`` is α in s / |y|^α.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    max_lengths = np.asarray(max_lengths, dtype=np.int64)
    batch, K = len(max_lengths), int(beam_size)
    state = model.reorder_state(state, np.repeat(np.arange(batch), K), np.arange(batch))
    active = np.arange(batch)
    scores = np.full((batch, K), -np.inf)
    scores[:, 0] = 0.0  # all beams start identical: only one may expand at step 1
    inputs = np.full(batch * K, model.bos_id, dtype=np.int64)
    endings: list[list[_Ending]] = [[] for _ in range(batch)]
    history = _History(parents=[np.empty(0)], tokens=[np.empty(0)], attention=[None])
    weights: np.ndarray | None = None
    step = 0
    while len(active):
        step += 1
        log_probs, state, weights = model.decode_step(inputs, state)
        vocab = log_probs.shape[1]
        candidates = scores[:, :, None] + log_probs.reshape(len(active), K, vocab)
        top, values = _best_candidates(candidates.reshape(len(active), K * vocab), 2 * K)
        new_parents = np.repeat(np.arange(len(active)) * K, K).reshape(len(active), K)
        new_tokens = np.full((len(active), K), model.bos_id, dtype=np.int64)
        new_scores = np.full((len(active), K), -np.inf)
        kept: list[int] = []
        for i, sentence in enumerate(active):
            ended, extended = _read_candidates(top[i], values[i], vocab, K, i * K, model.eos_id)
            endings[sentence] += [_Ending(step, parent, score) for parent, score in ended]
            for j, (parent, token, score) in enumerate(extended):
                new_parents[i, j], new_tokens[i, j], new_scores[i, j] = parent, token, score
            at_limit = step >= max_lengths[sentence]
            if at_limit:  # open beams end here, cut off
                endings[sentence] += [
                    _Ending(step, parent, score, token, _row(weights, parent))
                    for parent, token, score in extended
                ]
            elif extended and len(endings[sentence]) < K:
                kept.append(i)
        keep = np.array(kept, dtype=np.int64)
        rows = new_parents[keep].reshape(-1)
        history.parents.append(rows)
        history.tokens.append(new_tokens[keep].reshape(-1))
        history.attention.append(None if weights is None else weights[rows])
        if len(keep):
            state = model.reorder_state(state, rows, keep)
        active, scores, inputs = active[keep], new_scores[keep], new_tokens[keep].reshape(-1)
    return [
        max(
            (history.read(ending, weights) for ending in endings[b]),
            key=lambda h: h.normalized_score(length_penalty),
        )
        for b in range(batch)
    ]


def _row(weights: np.ndarray | None, row: int) -> np.ndarray | None:
    return None if weights is None else weights[row]


def _read_candidates(
    flat: np.ndarray, values: np.ndarray, vocab: int, K: int, first_row: int, eos_id: int
) -> tuple[list[tuple[int, float]], list[tuple[int, int, float]]]:
    """One sentence's candidates, best first → (ended, extended).

    ``ended``: (parent row, score) of the end-of-sequence candidates ranked among the first
    K; ``extended``: (parent row, token, score) of the first K other candidates.
    """
    ended: list[tuple[int, float]] = []
    extended: list[tuple[int, int, float]] = []
    for rank, (index, value) in enumerate(zip(flat, values, strict=True)):
        if not np.isfinite(value) or len(extended) == K:
            break
        beam, token = divmod(int(index), vocab)
        if token != eos_id:
            extended.append((first_row + beam, token, float(value)))
        elif rank < K:
            ended.append((first_row + beam, float(value)))
    return ended, extended


def _best_candidates(candidates: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``count`` largest entries, best first (ties: lower index first).

    Returns their flat indices and values, both (rows, count).
    """
    count = min(count, candidates.shape[1])
    part = np.argpartition(-candidates, count - 1, axis=1)[:, :count]
    values = np.take_along_axis(candidates, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)
