"""One recurrent layer in one direction as a single node on the autograd tape.

``forward`` projects the inputs of *all* steps with one GEMM (xp = x W_ihᵀ + b), hands
xp to the cell's hand-written kernel — through the layer's entry of the cell table
(:class:`~rnnlab.recurrent.cell_table.CellKind`), with the kernels of the compute path
chosen once per call — and lays the states out as the (T, B, H) output (zero past each
sequence's end). ``backward`` runs the cell's BPTT, which returns ∂L/∂xp in time order in
xp's own buffer, and forms ∂L/∂x, ∂L/∂W_ih and ∂L/∂b with one GEMM or reduction each over
all steps (DESIGN.md, "Speed").
"""

from __future__ import annotations

import numpy as np

from rnnlab.engine.tensor import Function, is_grad_enabled
from rnnlab.recurrent.cell_table import CellKind
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.inference import bidirectional_forward_only, forward_only
from rnnlab.recurrent.parallel import run_pair
from rnnlab.recurrent.projection import chunks, project
from rnnlab.recurrent.schedule import Schedule, make_schedule


def _to_time_order(per_step: np.ndarray, schedule: Schedule, total: int) -> np.ndarray:
    """(K, B, ·) indexed by visit step → (T, B, ·) indexed by time, zero on skipped steps."""
    if schedule.steps == total:
        return per_step[::-1] if schedule.reverse else per_step
    out = np.zeros((total, *per_step.shape[1:]), per_step.dtype)
    out[list(schedule.times)] = per_step
    return out


def _padding_mask(schedule: Schedule, total: int) -> np.ndarray:
    """valid[t, b] = True where sequence b is still running at time t."""
    sizes = np.zeros(total, np.int64)
    sizes[list(schedule.times)] = schedule.sizes
    return np.arange(schedule.batch)[None, :] < sizes[:, None]


class RecurrentLayer(Function):
    """(x, W_ih, W_hh, b_ih, b_hh, h0[, c0, *extras]) → (output, h_n[, c_n]) for one
    direction.

    ``kind`` is the cell's entry of the cell table; c0 and c_n are there when it carries a
    cell state (LSTM; c0 is ``None`` otherwise when extras follow). Biases may be ``None``
    (``bias=False``). ``extras`` are the layer's further parameters of this direction
    (``weight_hr``, a kind's ``extra_parameters``), named by ``extra_names`` (their stems);
    backward returns one gradient per input, theirs last.

    With ``split`` (0 < split < B; only where :func:`can_split_rows` says so), the layer
    uses two threads on shared arrays: rows [:split] and [split:] run their time loops at
    once, and each whole-sequence product is computed in two halves. Nothing is copied.

    ``noise`` (:class:`~rnnlab.recurrent.noise.StepNoise`, or None): this call's recurrent
    dropout and zoneout, applied inside the time loop.

    When no gradient can be asked for (grad mode off, or no input requires one) and the
    layer has no noise and no extra parameters, forward keeps nothing for backward
    (:func:`rnnlab.recurrent.inference.forward_only`).
    """

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, h0, *rest, kind, schedule, split=0,
                extra_names=(), noise=None):
        c0, extras = (rest[0], rest[1:]) if rest else (None, ())
        if (noise is None and not extras and kind.bias_in_projection
                and not (is_grad_enabled() and any(self.needs_input_grad))):  # keep nothing
            return forward_only(kind, x, w_ih, w_hh, b_ih, b_hh, h0, c0, schedule=schedule,
                                split=split)
        T, B, _ = x.shape
        H = w_hh.shape[0] // kind.gates
        self.kind, self.schedule = kind, schedule
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.has_bias = b_ih is not None
        self.split = split
        self.has_c0_slot = bool(rest)
        self.extra_names = tuple(extra_names)
        self.weights = {"weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh,
                        **dict(zip(self.extra_names, extras, strict=True))}
        parallel = split > 0

        bias = None
        if self.has_bias and kind.bias_in_projection:
            bias = b_ih + b_hh  # written into xp before the product; the GRU keeps b_hn apart
            if kind.separate_b_hn:
                bias[2 * H :] = b_ih[2 * H :]
        xp = np.empty((T, B, w_ih.shape[0]), x.dtype)  # xp = x W_ihᵀ + b, as forward_only does
        for part in chunks(schedule, xp[0].nbytes):
            project(x, w_ih, bias, part, xp[part.t0 : part.t1], parallel)
        S, C, self.cache = kind.forward(xp, self.weights, h0, c0, schedule, split,
                                        kind.kernels(), noise=noise)
        output = _to_time_order(S[1:], schedule, T)
        if not schedule.full:
            output = output * _padding_mask(schedule, T)[:, :, None]
        h_n = S[-1]
        return (output, h_n, C[-1]) if kind.has_cell_state else (output, h_n)

    def backward(self, d_output, d_hn, d_cn=None):
        schedule, kind = self.schedule, self.kind
        T, B, _ = self.x.shape
        H = self.w_hh.shape[0] // kind.gates
        # the kernels read only the running rows [:n] of each step, so padding is never used
        d_output = np.ascontiguousarray(d_output)
        d_xp, grads, d_h0, d_c0 = kind.backward(self.cache, d_output, d_hn, d_cn,
                                                self.weights, schedule)
        d_xp_flat = d_xp.reshape(T * B, -1)
        needs = self.needs_input_grad
        parallel = self.split > 0
        d_x = None
        if needs[0]:
            d_x = matmul(d_xp_flat, self.w_ih, split=parallel).reshape(self.x.shape)
        d_w_ih = None
        if needs[1]:
            d_w_ih = matmul(d_xp_flat.T, self.x.reshape(T * B, -1), split=parallel)
        d_b_ih = d_b_hh = None
        if self.has_bias and not kind.bias_in_projection:
            d_b_ih, d_b_hh = grads["bias_ih"], grads["bias_hh"]
        elif self.has_bias:
            d_b_ih = d_xp_flat.sum(axis=0)
            if kind.separate_b_hn:
                d_b_hh = np.concatenate([d_b_ih[: 2 * H], grads["bias_hn"]])
            else:
                d_b_hh = d_b_ih.copy()
        result = (d_x, d_w_ih, grads["weight_hh"], d_b_ih, d_b_hh, d_h0)
        if self.has_c0_slot:
            result = (*result, d_c0)
        return (*result, *(grads[name] for name in self.extra_names))


class BidirectionalLayer(Function):
    """Both directions of one layer as one node: (x, the forward direction's W_ih, W_hh,
    b_ih, b_hh, h0[, c0, *extras], the reverse direction's likewise) → (output, h_n of each
    direction[, c_n of each]), output = [forward ; reverse] along the feature axis.

    Each direction is a :class:`RecurrentLayer`; the two run at the same time on two
    threads when :mod:`rnnlab.recurrent.parallel` allows it, forward and backward.
    ``noises``: each direction's :class:`~rnnlab.recurrent.noise.StepNoise` (or None).
    """

    def forward(self, x, *per_direction, kind, schedules, extra_names=(), noises=(None, None)):
        if (all(noise is None for noise in noises) and not extra_names
                and kind.bias_in_projection
                and not (is_grad_enabled() and any(self.needs_input_grad))):  # keep nothing
            return bidirectional_forward_only(kind, x, per_direction, schedules)
        width = len(per_direction) // 2
        self.directions = [RecurrentLayer(), RecurrentLayer()]
        for d, direction in enumerate(self.directions):
            own = self.needs_input_grad[1 + d * width : 1 + (d + 1) * width]
            direction.needs_input_grad = (self.needs_input_grad[0], *own)
        forward_out, reverse_out = run_pair(
            *(lambda d=d: self.directions[d].forward(
                x, *per_direction[d * width : (d + 1) * width], kind=kind,
                schedule=schedules[d], extra_names=extra_names, noise=noises[d])
            for d in (0, 1)))
        self.hidden = forward_out[0].shape[2]
        output = np.concatenate([forward_out[0], reverse_out[0]], axis=2)
        if kind.has_cell_state:
            return output, forward_out[1], reverse_out[1], forward_out[2], reverse_out[2]
        return output, forward_out[1], reverse_out[1]

    def backward(self, d_output, d_h_forward, d_h_reverse, d_c_forward=None, d_c_reverse=None):
        H = self.hidden
        d_states = [(d_h_forward, d_c_forward), (d_h_reverse, d_c_reverse)]
        grads = run_pair(
            *(lambda d=d: self.directions[d].backward(
                d_output[:, :, d * H : (d + 1) * H], d_states[d][0],
                *(() if d_states[d][1] is None else (d_states[d][1],))) for d in (0, 1)))
        (d_x_forward, *rest_forward), (d_x_reverse, *rest_reverse) = grads
        d_x = None
        if self.needs_input_grad[0]:
            d_x = d_x_forward + d_x_reverse
        return (d_x, *rest_forward, *rest_reverse)


def can_split_rows(kind: CellKind) -> bool:
    """Whether a :class:`RecurrentLayer` of this kind may take ``split``: its cell's time
    loops are compiled (Numba and MKL), so two threads run them on shared arrays without
    the GIL. Otherwise a batch split runs as a :class:`BatchSplitLayer`."""
    return kind.kernels().loops is not None


def balanced_split(schedule: Schedule) -> int:
    """The row ``r`` that splits the batch into rows [:r] and [r:] of equal work.

    Rows are sorted longest first, so row b runs while n_t > b and the first r rows take
    Σ_t min(n_t, r) steps; ``r`` balances that against the rest (ties: the middle)."""
    sizes = np.asarray(schedule.sizes)
    rows = np.arange(1, schedule.batch)
    work = np.minimum(sizes[None, :], rows[:, None]).sum(axis=1)
    imbalance = np.abs(2 * work - sizes.sum())
    return int(rows[np.argmin(imbalance)])


def _rows_schedule(schedule: Schedule, start: int, stop: int) -> Schedule:
    """The schedule of rows [start:stop] alone (they stay a running prefix)."""
    sizes_by_time = np.zeros(max(schedule.times, default=-1) + 1, np.int64)
    sizes_by_time[list(schedule.times)] = np.clip(np.asarray(schedule.sizes) - start, 0,
                                                   stop - start)
    return make_schedule(sizes_by_time, stop - start, schedule.reverse)


class BatchSplitLayer(Function):
    """One direction of one layer over two groups of rows at once: the same inputs and
    outputs as :class:`RecurrentLayer` (``schedule`` covers the whole batch), computed as
    two :class:`RecurrentLayer` calls on rows [:split] and [split:], one per thread — for
    when the time loops are not compiled (:func:`can_split_rows`), as each group then
    needs its own contiguous copies.

    Sequences of a batch never interact, so each group runs its whole time loop alone —
    the threads meet only at the end, not at every step. The weight gradients are the sums
    of the two groups'; everything else is the two groups' results side by side.
    """

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, h0, *rest, kind, schedule, split,
                extra_names=(), noise=None):
        c0, extras = (rest[0], rest[1:]) if rest else (None, ())
        self.states = 1 + bool(rest)  # h0 and the c0 slot get rows, the rest is summed
        B = x.shape[1]
        self.rows = (slice(0, split), slice(split, B))
        self.groups = [RecurrentLayer(), RecurrentLayer()]
        schedules = [_rows_schedule(schedule, 0, split), _rows_schedule(schedule, split, B)]
        for group in self.groups:
            group.needs_input_grad = self.needs_input_grad
        results = run_pair(*(lambda g=g: self.groups[g].forward(
            np.ascontiguousarray(x[:, self.rows[g]]), w_ih, w_hh, b_ih, b_hh,
            h0[self.rows[g]], *(() if not rest else (None if c0 is None else c0[self.rows[g]],)),
            *extras, kind=kind, schedule=schedules[g], extra_names=extra_names,
            noise=None if noise is None else noise.rows(self.rows[g]))
            for g in (0, 1)))
        output = np.concatenate([results[0][0], results[1][0]], axis=1)
        states = [np.concatenate([a, b], axis=0) for a, b in zip(results[0][1:], results[1][1:],
                                                                 strict=True)]
        return (output, *states)

    def backward(self, d_output, d_hn, d_cn=None):
        grads = run_pair(*(lambda g=g: self.groups[g].backward(
            d_output[:, self.rows[g]], d_hn[self.rows[g]],
            *(() if d_cn is None else (d_cn[self.rows[g]],))) for g in (0, 1)))
        first, second = grads
        d_x = None if first[0] is None else np.concatenate([first[0], second[0]], axis=1)
        stop = 5 + self.states
        d_states = [None if a is None else np.concatenate([a, b], axis=0)
                    for a, b in zip(first[5:stop], second[5:stop], strict=True)]
        summed = [None if a is None else a + b
                  for a, b in zip(first[1:5] + first[stop:], second[1:5] + second[stop:],
                                  strict=True)]
        return (d_x, *summed[:4], *d_states, *summed[4:])
