"""Greedy decoding: at every step take the most probable next token, ŷ_t = argmax P(y | ŷ_<t, x).

All sentences of a batch advance together; a sentence leaves the batch when it produces
the end-of-sequence token or reaches its length limit, so finished rows cost nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.decoding.base import Hypothesis, StepModel, stack_rows


def greedy_search(model: StepModel, state: Any, max_lengths: Any) -> list[Hypothesis]:
    """Decode every sentence of ``state`` (one row each); ``max_lengths`` (B,) caps each."""
    max_lengths = np.asarray(max_lengths, dtype=np.int64)
    batch = len(max_lengths)
    tokens: list[list[int]] = [[] for _ in range(batch)]
    attention: list[list[np.ndarray]] = [[] for _ in range(batch)]
    results: list[Hypothesis | None] = [None] * batch
    scores = np.zeros(batch)
    alive = np.arange(batch)
    inputs = np.full(batch, model.bos_id, dtype=np.int64)
    step = 0
    while len(alive):
        step += 1
        log_probs, state, weights = model.decode_step(inputs, state)
        best = log_probs.argmax(axis=1)
        scores[alive] += log_probs[np.arange(len(alive)), best]
        keep = []
        for row, sentence in enumerate(alive):
            ended = best[row] == model.eos_id
            if not ended:
                tokens[sentence].append(int(best[row]))
                if weights is not None:
                    attention[sentence].append(weights[row])
            if ended or step >= max_lengths[sentence]:
                results[sentence] = Hypothesis(
                    tokens=tokens[sentence],
                    score=float(scores[sentence]),
                    length=step,
                    attention=None if weights is None else stack_rows(attention[sentence], weights),
                )
            else:
                keep.append(row)
        keep_rows = np.array(keep, dtype=np.int64)
        if len(keep_rows) and len(keep_rows) < len(alive):
            state = model.reorder_state(state, keep_rows, keep_rows)
        alive, inputs = alive[keep_rows], best[keep_rows]
    return results  # type: ignore[return-value]
