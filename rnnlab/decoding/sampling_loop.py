"""The generation loop shared by the language model and the conditional generator.

One vector to a sequence (LECTURE §3.2) and free-running language-model generation are the
same loop: pick token y(t) from the scores, feed it back as the next input, carry the
recurrent state h(t) to the next step, stop at the end token or after ``length`` tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnlab.decoding.sampling import Sampler
from rnnlab.engine.tensor import no_grad

StepFunction = Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]


def sample_sequence(
    step: StepFunction,
    logits: np.ndarray,
    state: Any,
    length: int,
    sampler: Sampler,
    rng: np.random.Generator,
    stop_id: int | None = None,
) -> list[list[int]]:
    """Generate up to ``length`` tokens per row, starting from next-token ``logits`` (B, V).

    ``step(ids, state) -> (logits, state)`` advances the model by one token per row. A row
    that produces ``stop_id`` ends there (the stop token is not included); the loop ends when
    every row has stopped. Returns one id list per row.
    """
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    batch = logits.shape[0]
    outputs: list[list[int]] = [[] for _ in range(batch)]
    running = np.ones(batch, dtype=bool)
    with no_grad():
        for position in range(length):
            ids = sampler.choose(logits, rng)
            for row in np.flatnonzero(running):
                if stop_id is not None and ids[row] == stop_id:
                    running[row] = False
                else:
                    outputs[row].append(int(ids[row]))
            if not running.any() or position == length - 1:
                break
            logits, state = step(ids, state)
    return outputs
