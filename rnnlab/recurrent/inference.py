"""One recurrent layer in one direction, forward only: nothing is kept for backward.

When no gradient will be asked of a layer — under :func:`rnnlab.no_grad`, or when none of
its inputs requires one — :class:`~rnnlab.recurrent.layer_function.RecurrentLayer` hands
its forward to :func:`forward_only`. On the NumPy steps (until Numba pays for itself:
:func:`rnnlab.recurrent.compute_path.for_call`), and for cells without a loop of their
own, it runs the same cell code as the training path (:meth:`CellKind.forward
<rnnlab.recurrent.cell_table.CellKind.forward>`) over the visit steps in chunks, and of
each chunk's buffers keeps only the states the output needs::

    for each chunk of visit steps k0 … k1−1 (times t0 … t1−1):
        xp = x[t0:t1] W_ihᵀ + b                 the chunk's input projection, a reused buffer
        S, C = cell.forward(xp, …, h, c)        S[0], C[0] = the state the chunk starts from
        output[t0:t1] = S[1:] (time order, zero past each sequence's end)
        h, c = S[-1], C[-1]

The LSTM on the compiled-loop paths has loops of its own for this
(``lstm_steps.inference_sequence`` and ``joint_inference_sequence``): the state lives in
two (B, H) arrays updated in place, h(t) is copied into the output at its step, and the
bias is added at each step to that step's row, in L1, rather than written over the whole
projection beforehand::

    projected (NumPy's BLAS; MKL where W_hh fits the cache but [W_ih, W_hh] does not):
        for each chunk:  xp = x[t0:t1] W_ihᵀ;  then per step  z = (xp(t) + b) + h W_hhᵀ
    joint (MKL, where [W_ih, W_hh] is at most JOINT_MAX_BYTES or W_hh over SPLIT_MAX_BYTES):
        per step  z = [x(t), h] [W_ih, W_hh]ᵀ + b      one product, no projection buffer

Which of the two ran faster on MKL's path depended on the weights' size (a call of
``rnnlab.LSTM(I, H)`` under ``no_grad``, one thread, CPU clock, medians of 15 alternating
rounds, 2026-12-06 16:16, load average 2.6–2.9 on two cores), joint against projected: at
(T, B, I, H) = (200, 8, 64, 64) 1.36 against 1.50 ms, (50, 16, 128, 128) 2.08 / 2.21,
(35, 20, 200, 200) 4.29 / 3.92, (50, 32, 256, 256) 16.3 / 13.9, (100, 64, 512, 512)
186 / 193 — hence the two thresholds.

The training path keeps, until backward, the gates of every step (T × B × gates·H), the
states S and, for the LSTM, the cell states C of every step, and for the GRU the
(T, B, H) array HN; here the gates exist for one chunk at a time (or one step), so the
peak memory of a long sequence is its output plus a chunk's buffers. One LSTM layer at
(T, B, I, H) = (1000, 32, 256, 256), float32, under ``rnnlab.no_grad()`` on the compiled
path: 37 MB of extra resident memory at the peak (the output alone is 33 MB; tracemalloc's
peak 37 MB, 50 MB with the cell's own forward per chunk), against 196 MB for the training
forward's buffers and 68 MB for ``torch.nn.LSTM`` under ``torch.no_grad()``
(``benchmarks/speed/speed_memory.py --mode forward``, Numba set up first, 2026-12-06).

The numbers are the training path's. The chunks and their projections are the training
path's (:mod:`rnnlab.recurrent.projection`: the same GEMM calls on the same rows), the
cell's time loop is the same code on the same values, and the LSTM's own loops round
(x W_ihᵀ + b) + h W_hhᵀ in the training path's order with its step arithmetic: bit for
bit on NumPy's BLAS and the NumPy steps. With MKL to the last bit or so: MKL may take
another code path, rounding differently, when the same operands lie at other memory
alignments (the buffers here are not the training path's), and the joint product sums
x W_ihᵀ and h W_hhᵀ in one pass.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent import compute_path
from rnnlab.recurrent.cell_table import CellKind
from rnnlab.recurrent.parallel import run_each, run_pair
from rnnlab.recurrent.projection import chunks, project
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import pack, packs_reused, scratch_array

JOINT_MAX_BYTES = 512 << 10  # the LSTM's joint loop where [W_ih, W_hh] is at most this …
SPLIT_MAX_BYTES = 2 << 20  # … or W_hh more than this (MKL's path; module docstring)


def forward_only(kind: CellKind, x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 b_ih: np.ndarray | None, b_hh: np.ndarray | None, h0: np.ndarray,
                 c0: np.ndarray | None = None, *, schedule: Schedule, split: int = 0,
                 out: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """``(output, h_n[, c_n])`` of :class:`RecurrentLayer` for the same arguments (module
    docstring): output (T, B, H) in time order, zero past each sequence's end — written
    into ``out`` when it is given (a view, e.g. one direction's half of a wider array)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = w_ih.shape[0]
    bias = None
    if b_ih is not None:
        bias = b_ih + b_hh
        if kind.separate_b_hn:
            bias[2 * H :] = b_ih[2 * H :]
    kernels = kind.kernels(None if split else compute_path.for_call(schedule.steps, B, gates))
    loop = getattr(kernels.loops, "inference_sequence", None)
    joint = loop is not None and _joint(kernels, x, w_hh)
    parts = None if joint else chunks(schedule, B * gates * x.itemsize)
    # one chunk without padding: its states are the output, a view (as on the training path)
    direct = loop is None and out is None and len(parts) == 1 and parts[0].running is None
    output = None if direct else np.empty((T, B, H), x.dtype) if out is None else out
    if output is not None and schedule.steps != T:  # times no sequence reaches: zero
        unvisited = np.ones(T, bool)
        unvisited[list(schedule.times)] = False
        output[unvisited] = 0
    if joint:
        h_n, c_n = _run_joint(kernels.loops, x, w_ih, w_hh, bias, h0, c0, schedule, split,
                              output)
    elif loop is not None:
        h_n, c_n = _run_loop(loop, x, w_ih, w_hh, bias, h0, c0, parts, split, output)
    else:
        with packs_reused():  # W_hh is packed once, not once per chunk
            h_n, c_n, states = _run_chunks(kind, kernels, x, w_ih, w_hh, b_hh, bias, h0, c0,
                                           parts, split, output)
    if direct:
        output = states[::-1] if schedule.reverse else states
    return (output, h_n) if c_n is None else (output, h_n, c_n)


def _joint(kernels, x: np.ndarray, w_hh: np.ndarray) -> bool:
    """Whether :func:`_run_joint` runs the call: on MKL's path (its numbers match the
    training path's only to rounding there anyway), where the joint weights [W_ih, W_hh]
    are at most :data:`JOINT_MAX_BYTES` or W_hh alone more than :data:`SPLIT_MAX_BYTES`."""
    if kernels.path != compute_path.NUMBA_MKL:
        return False
    gates, H = w_hh.shape
    return ((x.shape[2] + H) * gates * x.itemsize <= JOINT_MAX_BYTES
            or w_hh.nbytes > SPLIT_MAX_BYTES)


def _run_joint(loops, x, w_ih, w_hh, bias, h0, c0, schedule, split, output):
    """:func:`forward_only` on MKL's path, by the cell's ``joint_inference_sequence``: no
    projection beforehand, one product per step with [W_ih, W_hh] (packed once, into this
    thread's scratch buffer), the state in two small arrays; returns the last states."""
    B, inputs = x.shape[1], x.shape[2]
    gates, H = w_hh.shape
    hx = np.empty((B, inputs + H), x.dtype)
    hx[:, inputs:] = h0
    c = np.zeros((B, H), x.dtype) if c0 is None else c0.copy()
    hh = np.empty((B, gates), x.dtype)
    zero = np.zeros(gates, x.dtype)
    bias = zero if bias is None else bias
    joint = scratch_array("joint", (gates, inputs + H), x.dtype)
    joint[:, :inputs], joint[:, inputs:] = w_ih, w_hh
    w_packed = pack(joint.T, B, scratch=True)
    times = schedule.arrays[0]
    run_each(lambda g: loops.joint_inference_sequence(x, bias, zero, w_packed, output, hx, c,
                                                      hh, times, g.sizes, g.start, g.stop),
             row_groups(schedule, split))
    return hx[:, inputs:].copy(), c


def _run_loop(loop, x, w_ih, w_hh, bias, h0, c0, parts, split, output):
    """The chunks of :func:`forward_only` on a cell's compiled ``inference_sequence``:
    each chunk's projection without the bias (the loop adds it step by step), then the
    loop, which carries the state in two (B, H) arrays and writes ``output`` itself.
    Returns the last states."""
    B, gates = x.shape[1], w_ih.shape[0]
    h = h0.copy()
    c = np.zeros_like(h) if c0 is None else c0.copy()
    hh = np.empty((B, gates), x.dtype)
    bias = np.zeros(gates, x.dtype) if bias is None else bias
    w_packed = pack(w_hh.T, B, scratch=True)
    buffer = np.empty((max(p.t1 - p.t0 for p in parts), B, gates), x.dtype)
    for part in parts:
        xp = project(x, w_ih, None, part, buffer[: part.t1 - part.t0], split > 0)
        arrays = (xp, bias, w_packed, output[part.t0 : part.t1], h, c, hh,
                  part.schedule.arrays[0])
        run_each(lambda g, arrays=arrays: loop(*arrays, g.sizes, g.start, g.stop),
                 row_groups(part.schedule, split))
    return h, c


def _run_chunks(kind, kernels, x, w_ih, w_hh, b_hh, bias, h, c, parts, split, output):
    """The chunks of :func:`forward_only` on the cell's own forward, writing ``output``;
    returns the last states and, when ``output`` is None (one chunk), the chunk's states
    S[1:] in visit order."""
    B, gates = x.shape[1], w_ih.shape[0]
    weights = {"weight_hh": w_hh, "bias_ih": None, "bias_hh": b_hh}
    buffer = np.empty((max(p.t1 - p.t0 for p in parts), B, gates), x.dtype)
    for part in parts:
        xp = project(x, w_ih, bias, part, buffer[: part.t1 - part.t0], split > 0)
        S, C, cache = kind.forward(xp, weights, h, c, part.schedule, split, kernels)
        if output is None:
            return S[-1], None if C is None else C[-1], S[1:]
        states = S[1:]
        times = part.schedule.times
        consecutive = part.t1 - part.t0 == part.k1 - part.k0
        if consecutive:  # a slice of the output, reversed for the reverse direction
            target = output[part.t0 : part.t1]
            target = target[::-1] if part.schedule.reverse else target
        else:
            target = np.empty_like(states)
        target[...] = states
        if part.running is not None:  # rows past n_t carry a state on; the output is 0 there
            target[~part.running[list(times)]] = 0
        if not consecutive:
            output[[part.t0 + t for t in times]] = target
        h = S[-1].copy()  # copies: the chunk's states are freed before the next one's
        c = None if C is None else C[-1].copy()
        del S, C, cache, states, target
    return h, c, None


def bidirectional_forward_only(kind: CellKind, x: np.ndarray, per_direction: tuple,
                               schedules: list[Schedule]) -> tuple[np.ndarray, ...]:
    """The outputs of :class:`BidirectionalLayer` for the same arguments, each direction
    by :func:`forward_only` on its own thread (:func:`run_pair`), writing its half of the
    (T, B, 2H) output in place (no concatenation)."""
    width = len(per_direction) // 2
    T, B, _ = x.shape
    H = per_direction[1].shape[1]
    output = np.empty((T, B, 2 * H), x.dtype)
    forward, reverse = run_pair(*(lambda d=d: forward_only(
        kind, x, *per_direction[d * width : (d + 1) * width], schedule=schedules[d],
        out=output[:, :, d * H : (d + 1) * H]) for d in (0, 1)))
    return (output, forward[1], reverse[1], *forward[2:], *reverse[2:])
