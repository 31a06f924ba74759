"""The order in which a recurrent layer visits time steps, and who is still running.

Sequences in a batch are sorted by length, longest first, so at time t the sequences
still running are a prefix ``[:n_t]`` of the batch — ``n_t`` is PyTorch's
``batch_sizes[t]`` of a packed sequence. A forward-direction layer visits t = 0 … T−1;
a reverse-direction layer visits t = T−1 … 0, and a sequence of length L starts at its
own last step L−1 (LECTURE §9). Rows past ``n_t`` are simply not touched at step t, so a
finished sequence keeps its final state and a not-yet-started one keeps its initial state:
padding never enters a state or a gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from rnnlab.engine.padding import length_mask


@dataclass(frozen=True)
class Schedule:
    """Processing order of one direction: step k handles time ``times[k]`` on rows ``[:sizes[k]]``.

    ``full`` is True when every step covers the whole batch (no padding), which lets the
    kernels skip the bookkeeping for finished rows.
    """

    times: tuple[int, ...]
    sizes: tuple[int, ...]
    batch: int
    reverse: bool

    @cached_property
    def full(self) -> bool:
        return min(self.sizes, default=self.batch) == self.batch

    @property
    def steps(self) -> int:
        return len(self.times)

    @cached_property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``times`` and ``sizes`` as int64 arrays, for the compiled time loops."""
        return np.array(self.times, np.int64), np.array(self.sizes, np.int64)


@dataclass(frozen=True, eq=False)
class RowGroup:
    """Rows [start:stop] of a batch, whose time loop one thread runs: at visit step k the
    first ``sizes[k]`` of them (rows [start:start+sizes[k]]) are running, perhaps none."""

    start: int
    stop: int
    sizes: np.ndarray


def row_groups(schedule: Schedule, split: int = 0) -> tuple[RowGroup, ...]:
    """The whole batch as one group, or, with 0 < ``split`` < batch, as rows [:split] and
    [split:], each with the running rows of every step clipped to it."""
    sizes = schedule.arrays[1]
    if not 0 < split < schedule.batch:
        return (RowGroup(0, schedule.batch, sizes),)
    return (RowGroup(0, split, np.minimum(sizes, split)),
            RowGroup(split, schedule.batch, np.clip(sizes - split, 0, None)))


def batch_sizes(lengths: np.ndarray, total_steps: int) -> np.ndarray:
    """n_t = number of sequences longer than t, for t = 0 … T−1 (lengths sorted or not)."""
    return length_mask(np.asarray(lengths), total_steps).sum(axis=1)


def make_schedule(sizes_by_time: np.ndarray, batch: int, reverse: bool) -> Schedule:
    """Visit order for one direction given ``n_t`` per time step."""
    sizes_by_time = np.asarray(sizes_by_time)
    times = np.flatnonzero(sizes_by_time > 0)
    if reverse:
        times = times[::-1]
    return Schedule(
        times=tuple(times.tolist()),
        sizes=tuple(sizes_by_time[times].tolist()),
        batch=batch,
        reverse=reverse,
    )


@lru_cache(maxsize=64)
def dense_schedule(steps: int, batch: int, reverse: bool) -> Schedule:
    """:func:`make_schedule` for ``steps`` steps that all cover the whole batch (no
    lengths), made once per shape and direction: a Schedule is frozen, and the arrays it
    caches are only read, so calls on batches of the same shape share it."""
    return make_schedule(np.full(steps, batch, np.int64), batch, reverse)
