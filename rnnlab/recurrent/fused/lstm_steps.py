"""Compiled LSTM steps (LECTURE §6): the one-pass twins of ``lstm_cell.forward_step`` and
``lstm_cell.backward_step`` — same arguments, same arithmetic, one loop over the running
rows instead of one NumPy call per operation.

The loops run over one row's 1-D views, each from index 0, with few arrays per loop — a σ
loop over [i, f], a tanh loop over g, a σ loop over o and a c/h loop forward; two loops
backward — which the compiler vectorises. (An index loop such as ``for j in range(2H, 3H)``
instead of a view from 0 vectorises worse: Numba cannot prove the index non-negative.)
Per call from Python, float32, at (B, H) = (32, 256) / (8, 64): forward 35–53 / 3.3–5.6 µs,
backward 14–23 / 2.3–3.6 µs (``benchmarks/speed/kernel_micro.py``, three runs, 2026-11-28).

``forward_sequence`` / ``backward_sequence`` run the training path's whole time loops;
``inference_sequence`` / ``joint_inference_sequence`` that of a forward which keeps
nothing (:mod:`rnnlab.recurrent.inference`), on two rows of state, with
``inference_row``: ``forward_step``'s arithmetic with the bias added there.
"""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, kernel, sigmoid, tanh
from rnnlab.recurrent.fused.noise_steps import (
    add_into,
    blend,
    blend_into,
    finish_dh,
    masked_copy,
    split,
)
from rnnlab.recurrent.fused.packed_gemm import packed_product


@kernel
def forward_step(gates, hh, c_prev, c, h):
    """gates: xp(t) in, activated [i, f, g, o] out; hh = h(t−1) W_hhᵀ; writes c(t), h(t).

    i = σ(xp_i + hh_i)   f = σ(xp_f + hh_f)   g = tanh(xp_g + hh_g)   o = σ(xp_o + hh_o)
    c(t) = f ⊙ c(t−1) + i ⊙ g
    h(t) = o ⊙ tanh(c(t))
    """
    n, H = c.shape
    for b in range(n):
        z, a = gates[b], hh[b]
        i_f, a_if = z[: 2 * H], a[: 2 * H]  # i and f are contiguous: one σ loop for both
        for j in range(2 * H):
            i_f[j] = sigmoid(i_f[j] + a_if[j])
        g, a_g = z[2 * H : 3 * H], a[2 * H : 3 * H]
        for j in range(H):
            g[j] = tanh(g[j] + a_g[j])
        o, a_o = z[3 * H :], a[3 * H :]
        for j in range(H):
            o[j] = sigmoid(o[j] + a_o[j])
        i, f = z[:H], z[H : 2 * H]
        c_prev_b, c_b, h_b = c_prev[b], c[b], h[b]
        for j in range(H):
            c_t = f[j] * c_prev_b[j] + i[j] * g[j]
            c_b[j] = c_t
            h_b[j] = o[j] * tanh(c_t)


@kernel
def backward_step(gates, c_prev, c, dh, d_out, dc):
    """gates: [i, f, g, o] in, δz(t) out; dc: δc(t) in, δc(t−1) out; δh = dh + d_out.

    δc += δh ⊙ o ⊙ (1 − tanh²(c))
    δz = [δc ⊙ g ⊙ i(1−i),  δc ⊙ c(t−1) ⊙ f(1−f),  δc ⊙ i ⊙ (1−g²),  δh ⊙ tanh(c) ⊙ o(1−o)]
    δc(t−1) = δc ⊙ f
    """
    n, H = c.shape
    for b in range(n):
        z = gates[b]
        gi, gf, gg, go = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        c_prev_b, c_b, dh_b, d_out_b, dc_b = c_prev[b], c[b], dh[b], d_out[b], dc[b]
        for j in range(H):  # the o half: δc and δô
            o, tc = go[j], tanh(c_b[j])
            d_h = dh_b[j] + d_out_b[j]
            dc_b[j] += d_h * (o * (ONE - tc * tc))
            go[j] = d_h * tc * (o * (ONE - o))
        for j in range(H):  # the i, f, g part, then δc(t−1)
            i, f, g, d_c = gi[j], gf[j], gg[j], dc_b[j]
            gi[j] = d_c * g * (i * (ONE - i))
            gf[j] = d_c * c_prev_b[j] * (f * (ONE - f))
            gg[j] = d_c * (i * (ONE - g * g))
            dc_b[j] = d_c * f


@kernel
def forward_sequence(xp, w_packed, S, C, C_new, hh, hm, h_mask, zone_h, zone_c, times, sizes,
                     start, stop):
    """The whole forward time loop of ``lstm_cell.forward`` (see there) for the rows
    [start:stop]: at step k, on the n = sizes[k] of them still running at time
    t = times[k], rows [start:start+n]::

        hh = S[k] W_hhᵀ   (packed; (S[k] ⊙ h_mask) W_hhᵀ via hm with recurrent dropout)
        forward_step → C_new[k+1], S[k+1]     zoneout: S[k+1], C[k+1] blended with S[k], C[k]

    the group's rows past n carry their state over unchanged. Another thread may run the
    same loop on other rows of the same arrays at the same time (``parallel.py``). Empty
    ``h_mask`` / ``zone_h`` / ``zone_c``: that option is off (C_new is then C itself)."""
    masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            if masked:
                masked_copy(S[k, start:end], h_mask[start:end], hm[start:end])
                packed_product(hm[start:], w_packed, hh[start:], n)
            else:
                packed_product(S[k, start:], w_packed, hh[start:], n)
            forward_step(xp[t, start:end], hh[start:end], C[k, start:end],
                         C_new[k + 1, start:end], S[k + 1, start:end])
            if zoned_h:
                blend(S[k + 1, start:end], S[k, start:end], zone_h[t, start:end])
            if zoned_c:
                blend_into(C[k + 1, start:end], C_new[k + 1, start:end], C[k, start:end],
                           zone_c[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]
            C[k + 1, end:stop] = C[k, end:stop]


@kernel
def backward_sequence(gates, w_packed, C, C_new, dh, dc, d_output, h_mask, zone_h, zone_c,
                      carry_h, carry_c, zeros, times, sizes, start):
    """The whole BPTT loop of ``lstm_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows [start:start+n]::

        (zoneout: split δh, δc into the cell's share and the carried share)
        backward_step → δz(t) in gates[t], δc(t−1)      δh(t−1) = δz(t) W_hh   (packed)
        (recurrent dropout: δh(t−1) ⊙ h_mask; zoneout: + the carried shares)
    """
    masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
    for k in range(times.shape[0] - 1, -1, -1):
        t, n = times[k], sizes[k]
        if n == 0:
            continue
        end = start + n
        rows_dh = dh[start:end]
        d_out = d_output[t, start:end]
        if zoned_h:
            add_into(rows_dh, d_out)
            d_out = zeros[start:end]
            split(rows_dh, zone_h[t, start:end], carry_h[start:end])
        if zoned_c:
            split(dc[start:end], zone_c[t, start:end], carry_c[start:end])
        backward_step(gates[t, start:end], C[k, start:end], C_new[k + 1, start:end],
                      rows_dh, d_out, dc[start:end])
        if zoned_c:
            add_into(dc[start:end], carry_c[start:end])
        packed_product(gates[t, start:], w_packed, dh[start:], n)
        if masked or zoned_h:
            finish_dh(rows_dh, h_mask[start:end], carry_h[start:end], masked, zoned_h)


@kernel
def inference_row(z, bias, a, c, h):
    """One row of one step of :func:`inference_sequence`: z = x(t) W_ihᵀ (bias not yet
    added), a = h(t−1) W_hhᵀ in, the activated gates out (scratch); c: c(t−1) in, c(t) out;
    h(t) into h.

    The gate pre-activations are (z + bias) + a, rounded in that order — the training
    path's xp(t) = x(t) W_ihᵀ + b, stored, plus h(t−1) W_hhᵀ — and the rest is
    ``forward_step``'s arithmetic, so both give the same numbers. (h is a row of a C
    array: writing the output, a strided view for a bidirectional layer, in this loop
    would keep the compiler from vectorising it.)"""
    H = c.shape[0]
    z_if, b_if, a_if = z[: 2 * H], bias[: 2 * H], a[: 2 * H]
    for j in range(2 * H):
        a_if[j] = sigmoid((z_if[j] + b_if[j]) + a_if[j])
    z_g, b_g, a_g = z[2 * H : 3 * H], bias[2 * H : 3 * H], a[2 * H : 3 * H]
    for j in range(H):
        a_g[j] = tanh((z_g[j] + b_g[j]) + a_g[j])
    z_o, b_o, a_o = z[3 * H :], bias[3 * H :], a[3 * H :]
    for j in range(H):
        a_o[j] = sigmoid((z_o[j] + b_o[j]) + a_o[j])
    i, f = a[:H], a[H : 2 * H]
    for j in range(H):
        c_t = f[j] * c[j] + i[j] * a_g[j]
        c[j] = c_t
        h[j] = a_o[j] * tanh(c_t)


@kernel
def copy_rows(src, dst):
    """dst[b] = src[b] for each row b of two 2-D arrays of the same shape: one loop per
    row, which the compiler vectorises, where Numba's 2-D slice assignment went element by
    element (0.12 ms of 1.14 ms for the joint loop at (T, B, I, H) = (200, 8, 64, 64))."""
    for b in range(dst.shape[0]):
        source, row = src[b], dst[b]
        for j in range(row.shape[0]):
            row[j] = source[j]


@kernel
def zero_rows(dst):
    """dst = 0, row by row (see :func:`copy_rows`)."""
    for b in range(dst.shape[0]):
        row = dst[b]
        for j in range(row.shape[0]):
            row[j] = 0


@kernel
def inference_sequence(xp, bias, w_packed, output, h, c, hh, times, sizes, start, stop):
    """The time loop of a forward that keeps nothing for backward
    (:mod:`rnnlab.recurrent.inference`), rows [start:stop]: at step k, on the n = sizes[k]
    rows [start:start+n] running at time t = times[k]::

        hh = h W_hhᵀ   (packed)      inference_row → c, h in place; output[t] = h
        output[t] = 0 on the group's rows past n (their h and c carry over)

    ``xp`` (·, B, 4H) holds x W_ihᵀ without the bias, which each step adds to its own
    row; ``h`` and ``c`` (B, H) hold the state: h0 and c0 in, the last states out. Only
    these two rows of state exist, not one per step as in ``forward_sequence``."""
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            packed_product(h[start:], w_packed, hh[start:], n)
            for b in range(start, end):
                inference_row(xp[t, b], bias, hh[b], c[b], h[b])
            copy_rows(h[start:end], output[t, start:end])
        if end < stop:
            zero_rows(output[t, end:stop])


@kernel
def joint_inference_sequence(x, bias, zero, w_packed, output, hx, c, hh, times, sizes, start,
                             stop):
    """:func:`inference_sequence` with the input projection inside the loop: one product
    per step, [x(t), h(t−1)] [W_ih, W_hh]ᵀ, instead of the chunk's x W_ihᵀ beforehand and
    h(t−1) W_hhᵀ at the step (the sums round in another order: MKL's path only, which
    matches the training path to rounding anyway). ``hx`` (B, I + H): x(t) is copied into
    [:, :I] at each step, and [:, I:] holds the state h (h0 in, the last states out);
    ``w_packed``: [W_ih, W_hh]ᵀ packed; ``zero``: 4H zeros, so that ``inference_row``
    adds the bias to the product alone."""
    inputs = x.shape[2]
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            copy_rows(x[t, start:end], hx[start:end, :inputs])
            packed_product(hx[start:], w_packed, hh[start:], n)
            for b in range(start, end):
                inference_row(bias, zero, hh[b], c[b], hx[b, inputs:])
            copy_rows(hx[start:end, inputs:], output[t, start:end])
        if end < stop:
            zero_rows(output[t, end:stop])
