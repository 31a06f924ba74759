"""Move per-step arrays between visit order (step k) and time order (t = times[k]).

The gate buffers of the cells are indexed by time (they are the input projection xp,
updated in place), the states by visit step (S[k] is the state *before* step k). The
weight gradient ∂L/∂W_hh = Σ_t δz(t)ᵀ h_prev(t) needs both in the same order.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.schedule import Schedule


def previous_states_by_time(S: np.ndarray, schedule: Schedule, total: int) -> np.ndarray:
    """(T, B, H) with row t = the state the step at time t started from, S[k] for
    t = times[k]; zero at times no sequence reaches. A view when no reordering is needed."""
    if schedule.steps == total:
        return S[-2::-1] if schedule.reverse else S[:-1]
    out = np.zeros((total, *S.shape[1:]), S.dtype)
    out[list(schedule.times)] = S[:-1]
    return out


def zero_padding_(per_time: np.ndarray, schedule: Schedule) -> None:
    """Zero, in place, the rows of a (T, B, ·) array that no step touched: rows ≥ n_t at
    time t and whole times that no sequence reaches."""
    if schedule.full and schedule.steps == per_time.shape[0]:
        return
    visited = np.zeros(per_time.shape[0], bool)
    for t, n in zip(schedule.times, schedule.sizes, strict=True):
        per_time[t, n:] = 0
        visited[t] = True
    per_time[~visited] = 0
