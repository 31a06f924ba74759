"""One recurrent layer in one direction, forward only: nothing is kept for backward.

When no gradient will be asked of a layer — under :func:`rnnlab.no_grad`, or when none of
its inputs requires one — :class:`~rnnlab.recurrent.layer_function.RecurrentLayer` hands
its forward to :func:`forward_only`. It runs the same cell code (:meth:`CellKind.forward
<rnnlab.recurrent.cell_table.CellKind.forward>`, the kernels of the current compute path)
over the visit steps in chunks, and of each chunk's buffers keeps only the states the
output needs::

    for each chunk of visit steps k0 … k1−1 (times t0 … t1−1):
        xp = x[t0:t1] W_ihᵀ + b                 the chunk's input projection, a reused buffer
        S, C = cell.forward(xp, …, h, c)        S[0], C[0] = the state the chunk starts from
        output[t0:t1] = S[1:] (time order, zero past each sequence's end)
        h, c = S[-1], C[-1]

The training path keeps, until backward, the gates of every step (T × B × gates·H), the
states S and, for the LSTM, the cell states C of every step, and for the GRU the
(T, B, H) array HN; here the gates and those arrays exist for one chunk at a time, so the
peak memory of a long sequence is its output plus a chunk's buffers.

A chunk's projection is at least :data:`CHUNK_BYTES` large (or the whole sequence): every
product is then a regular BLAS GEMM, which computes each row of the result the same way
whatever the number of rows, so the numbers are those of the training path, bit for bit
(the tests check it with MKL and with NumPy's OpenBLAS). The cell's time loop itself is
the same code on the same values.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.cell_table import CellKind
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.schedule import Schedule
from rnnlab.recurrent.step_product import packs_reused

CHUNK_BYTES = 4 << 20  # the smallest input projection of one chunk


def chunk_bounds(schedule: Schedule, row_bytes: int) -> list[tuple[int, int]]:
    """Visit steps [k0, k1) of each chunk: as many chunks as fit ⌊K / steps⌋ with
    ``steps`` the fewest whose projection (``row_bytes`` per step) reaches
    :data:`CHUNK_BYTES`, the steps spread evenly over them."""
    K = schedule.steps
    per_chunk = max(1, -(-CHUNK_BYTES // max(row_bytes, 1)))
    chunks = max(1, K // per_chunk)
    edges = [K * i // chunks for i in range(chunks + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _chunk_schedule(schedule: Schedule, k0: int, k1: int, t0: int) -> Schedule:
    """Visit steps [k0, k1) alone, their times counted from ``t0``."""
    return Schedule(times=tuple(t - t0 for t in schedule.times[k0:k1]),
                    sizes=schedule.sizes[k0:k1], batch=schedule.batch,
                    reverse=schedule.reverse)


def forward_only(kind: CellKind, x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 b_ih: np.ndarray | None, b_hh: np.ndarray | None, h0: np.ndarray,
                 c0: np.ndarray | None, schedule: Schedule, split: int = 0
                 ) -> tuple[np.ndarray, ...]:
    """``(output, h_n[, c_n])`` of :class:`RecurrentLayer` for the same arguments (module
    docstring): output (T, B, H) in time order, zero past each sequence's end."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    bias = None
    if b_ih is not None:
        bias = b_ih + b_hh
        if kind.separate_b_hn:
            bias[2 * H :] = b_ih[2 * H :]
    kernels = kind.kernels()
    output = np.zeros((T, B, H), x.dtype)
    with packs_reused():  # W_hh is packed once, not once per chunk
        h_n, c_n = _chunks(kind, x, w_ih, w_hh, b_hh, bias, h0, c0, schedule, split, kernels,
                           output)
    return (output, h_n) if c_n is None else (output, h_n, c_n)


def _chunks(kind, x, w_ih, w_hh, b_hh, bias, h, c, schedule, split, kernels, output):
    """Run the chunks of :func:`forward_only`, writing ``output``; the last states."""
    B, gates = x.shape[1], w_ih.shape[0]
    bounds = chunk_bounds(schedule, B * gates * x.itemsize)
    spans = [(min(schedule.times[k0:k1]), max(schedule.times[k0:k1]) + 1) for k0, k1 in bounds]
    buffer = np.empty((max(t1 - t0 for t0, t1 in spans) * B, gates), x.dtype)
    for (k0, k1), (t0, t1) in zip(bounds, spans, strict=True):
        times = schedule.times[k0:k1]
        rows = (t1 - t0) * B
        xp = matmul(x[t0:t1].reshape(rows, -1), w_ih.T, bias=bias, split=split > 0,
                    out=buffer[:rows]).reshape(t1 - t0, B, gates)
        chunk = _chunk_schedule(schedule, k0, k1, t0)
        S, C, cache = kind.forward(xp, w_hh, b_hh, h, c, chunk, split, kernels)
        states = S[1:]
        if t1 - t0 == k1 - k0:  # consecutive times: a slice, reversed for the reverse
            target = output[t0:t1][::-1] if schedule.reverse else output[t0:t1]
        else:
            target = np.empty_like(states)
        if chunk.full:
            target[...] = states
        else:  # rows past n_t carry a state on; the output is zero there
            running = np.arange(B) < np.asarray(chunk.sizes)[:, None]
            np.multiply(states, running[:, :, None], out=target)
        if t1 - t0 != k1 - k0:
            output[list(times)] = target
        h = S[-1].copy()  # copies: the chunk's states are freed before the next one's
        c = None if C is None else C[-1].copy()
        del S, C, cache, states, target
    return h, c
