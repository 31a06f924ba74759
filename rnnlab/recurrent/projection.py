"""The input projection of a recurrent layer, xp = x W_ihᵀ + b, chunk by chunk and on the
rows that run.

A layer projects the inputs of all its steps before the time loop (DESIGN.md, "Speed").
Both ways of running a layer — with a tape (:class:`~rnnlab.recurrent.layer_function.
RecurrentLayer`, which keeps all of xp as the gate store) and without
(:mod:`rnnlab.recurrent.inference`, which keeps one chunk) — do it through
:func:`project` over the same :func:`chunks`, so they issue the same GEMM calls on the
same rows and get the same numbers (:mod:`rnnlab.recurrent.inference` says how exactly).

Chunks: visit steps are grouped so that each group's projection is at least
:data:`CHUNK_BYTES` (or the whole sequence): a short batch is one chunk, one GEMM.

Running rows: in a padded batch, row b at time t is padding when t ≥ L_b, and no kernel
ever reads its xp. When fewer than :data:`PROJECT_RUNNING_BELOW` of a chunk's rows run,
only those are gathered, projected and scattered back — the character encoder's batches
(words of 1–20 characters padded to the longest) were 29 % real rows on UD EWT dev, so
most of their GEMM was spent on padding. The other rows of ``out`` are left as they were.
With three quarters of the rows running (speed.py's variable-length cases), gathering
and scattering cost as much as they saved, hence the threshold of one half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.schedule import Schedule

CHUNK_BYTES = 4 << 20  # the smallest projection of a chunk (unless the sequence is shorter)
PROJECT_RUNNING_BELOW = 0.5  # gather the running rows when fewer than this share run


@dataclass(frozen=True, eq=False)
class Chunk:
    """Visit steps [k0, k1), at times [t0, t1): ``schedule`` is theirs alone, with times
    counted from t0; ``running`` (t1 − t0, B) says which rows run at each time (in time
    order), ``None`` when all do."""

    k0: int
    k1: int
    t0: int
    t1: int
    schedule: Schedule
    running: np.ndarray | None


def chunks(schedule: Schedule, row_bytes: int) -> list[Chunk]:
    """The chunks of a layer call: ⌊K / steps⌋ of them, ``steps`` the fewest whose
    projection (``row_bytes`` per step: B · gates · H · itemsize) reaches
    :data:`CHUNK_BYTES`, the steps spread evenly over them."""
    K, B = schedule.steps, schedule.batch
    per_chunk = max(1, -(-CHUNK_BYTES // max(row_bytes, 1)))
    count = max(1, K // per_chunk)
    edges = [K * i // count for i in range(count + 1)]
    found = []
    for k0, k1 in zip(edges[:-1], edges[1:], strict=True):
        times = schedule.times[k0:k1]
        t0, t1 = min(times), max(times) + 1
        sizes = schedule.sizes[k0:k1]
        own = schedule if t0 == 0 and count == 1 else Schedule(
            times=tuple(t - t0 for t in times), sizes=sizes, batch=B, reverse=schedule.reverse)
        running = None
        if not own.full or t1 - t0 != k1 - k0:
            by_time = np.zeros(t1 - t0, np.int64)
            by_time[list(own.times)] = sizes
            running = np.arange(B) < by_time[:, None]
        found.append(Chunk(k0, k1, t0, t1, own, running))
    return found


def project(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray | None, chunk: Chunk,
            out: np.ndarray, split: bool = False) -> np.ndarray:
    """``out`` (t1 − t0, B, gates·H), C-contiguous, = x[t0:t1] W_ihᵀ + bias on the running
    rows of ``chunk`` (on all rows when most run); returns ``out``."""
    t0, t1 = chunk.t0, chunk.t1
    running = chunk.running
    if running is not None and sum(chunk.schedule.sizes) < PROJECT_RUNNING_BELOW * running.size:
        out[running] = matmul(x[t0:t1][running], w_ih.T, bias=bias, split=split)
    else:
        rows = out.shape[0] * out.shape[1]
        matmul(x[t0:t1].reshape(rows, -1), w_ih.T, bias=bias, split=split,
               out=out.reshape(rows, -1))
    return out
