"""Compiled plain-RNN steps (LECTURE §2, §4): the one-pass twins of ``rnn_cell.forward_step``
and ``rnn_cell.backward_step`` — same arguments, same arithmetic. ``activation`` indexes
``rnn_cell.NONLINEARITIES``: 0 tanh, 1 logistic sigmoid, 2 relu. The loops run over one
row's 1-D views, which the compiler vectorises. ``forward_sequence`` / ``backward_sequence``
run a whole time loop of ``rnn_cell`` as one kernel, the products through MKL
(:mod:`.packed_gemm`)."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, ZERO, kernel, sigmoid, tanh
from rnnlab.recurrent.fused.noise_steps import add_into, blend_into, finish_dh, masked_copy, split
from rnnlab.recurrent.fused.packed_gemm import packed_product


@kernel
def forward_step(h, xp_t, activation):
    """h: h(t−1) W_hhᵀ in, h(t) out.     h(t) = σ(xp(t) + h(t−1) W_hhᵀ)"""
    m, H = h.shape
    for b in range(m):
        h_b, xp_b = h[b], xp_t[b]
        for j in range(H):
            a = h_b[j] + xp_b[j]
            if activation == 0:
                h_b[j] = tanh(a)
            elif activation == 1:
                h_b[j] = sigmoid(a)
            else:
                h_b[j] = a if a > ZERO else ZERO


@kernel
def backward_step(da, h, dh, d_out, activation):
    """Writes da = δa(t) = σ'(a(t)) ⊙ (dh + d_out), σ' written through h = σ(a):
    1 − h² (tanh), h(1 − h) (sigmoid), [h > 0] (relu)."""
    m, H = h.shape
    for b in range(m):
        da_b, h_b, dh_b, d_out_b = da[b], h[b], dh[b], d_out[b]
        for j in range(H):
            d = dh_b[j] + d_out_b[j]
            y = h_b[j]
            if activation == 0:
                da_b[j] = d * (ONE - y * y)
            elif activation == 1:
                da_b[j] = d * (y * (ONE - y))
            else:
                da_b[j] = d if y > ZERO else ZERO


@kernel
def forward_sequence(xp, w_packed, S, S_new, hm, h_mask, zone_h, activation, times, sizes,
                     start, stop):
    """The whole forward time loop of ``rnn_cell.forward`` for the rows [start:stop]: at
    step k, on the n = sizes[k] of them running at time t = times[k], rows
    [start:start+n], S_new[k+1] = S[k] W_hhᵀ (packed; (S[k] ⊙ h_mask) W_hhᵀ via hm with
    recurrent dropout), then ``forward_step``, then (zoneout) S[k+1] = S_new[k+1] blended
    with S[k]; the group's rows past n keep their state. Empty ``h_mask`` / ``zone_h``: that
    option is off (S_new is then S itself)."""
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            if masked:
                masked_copy(S[k, start:end], h_mask[start:end], hm[start:end])
                packed_product(hm[start:], w_packed, S_new[k + 1, start:], n)
            else:
                packed_product(S[k, start:], w_packed, S_new[k + 1, start:], n)
            forward_step(S_new[k + 1, start:end], xp[t, start:end], activation)
            if zoned:
                blend_into(S[k + 1, start:end], S_new[k + 1, start:end], S[k, start:end],
                           zone_h[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]


@kernel
def backward_sequence(dA, w_packed, S_new, dh, d_output, h_mask, zone_h, carry, zeros,
                      activation, times, sizes, start):
    """The whole BPTT loop of ``rnn_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows [start:start+n]: (zoneout: split δh into
    the unit's share and the carried share) ``backward_step`` (δa(t) into dA[t]), then
    δh(t−1) = δa(t) W_hh (packed), ⊙ h_mask with recurrent dropout, + the carried share."""
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
    for k in range(times.shape[0] - 1, -1, -1):
        t, n = times[k], sizes[k]
        if n == 0:
            continue
        end = start + n
        rows_dh = dh[start:end]
        d_out = d_output[t, start:end]
        if zoned:
            add_into(rows_dh, d_out)
            d_out = zeros[start:end]
            split(rows_dh, zone_h[t, start:end], carry[start:end])
        backward_step(dA[t, start:end], S_new[k + 1, start:end], rows_dh, d_out, activation)
        packed_product(dA[t, start:], w_packed, dh[start:], n)
        if masked or zoned:
            finish_dh(rows_dh, h_mask[start:end], carry[start:end], masked, zoned)
