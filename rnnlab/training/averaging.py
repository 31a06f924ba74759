"""Exponential moving average of the weights (Polyak averaging) for evaluation.

After every optimizer update, each parameter's average moves toward it::

    θ̄ ← d·θ̄ + (1 − d)·θ        (θ̄ starts at θ, so no bias correction is needed)

The average changes more slowly than θ and smooths the step-to-step noise of SGD/Adam;
evaluating and saving θ̄ instead of θ usually scores a little better on held-out data.
With decay d the average spans roughly the last 1/(1 − d) updates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np

from rnnlab.engine.module import Parameter


class WeightAverage:
    """θ̄ for each of ``params``; :meth:`applied` swaps the averages into the parameters."""

    def __init__(self, params: Sequence[Parameter], decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"averaging decay must be in (0, 1), got {decay}")
        self.params, self.decay = list(params), float(decay)
        self.averages = [p.data.copy() for p in self.params]
        self._scratch = [np.empty_like(p.data) for p in self.params]

    def update(self) -> None:
        """θ̄ ← θ̄ + (1 − d)(θ − θ̄), in place."""
        for p, average, scratch in zip(self.params, self.averages, self._scratch, strict=True):
            np.subtract(p.data, average, out=scratch)
            scratch *= 1.0 - self.decay
            average += scratch

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block the parameters hold θ̄; afterwards θ again, exactly."""
        saved = [p.data.copy() for p in self.params]
        for p, average in zip(self.params, self.averages, strict=True):
            p.data[...] = average
        try:
            yield
        finally:
            for p, value in zip(self.params, saved, strict=True):
                p.data[...] = value

    def state_dict(self) -> dict[str, np.ndarray]:
        return {f"average.{i}": a.copy() for i, a in enumerate(self.averages)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for i, average in enumerate(self.averages):
            saved = state[f"average.{i}"]
            if saved.shape != average.shape:
                raise ValueError(f"average {i}: saved shape {saved.shape}, model {average.shape}")
            average[...] = saved
