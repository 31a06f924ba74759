"""Compiled GRU steps (LECTURE §7), both forms: the one-pass twins of the ``*_step``
functions of ``gru_cell`` — same arguments, same arithmetic, one loop over the running
rows instead of one NumPy call per operation.

The loops run over one row's 1-D gate views (``gr, gz, gn`` of row b), each from index 0,
which the compiler vectorises (it does not when indexing the 2-D arrays directly); the
forward step's σ runs as its own loop over the contiguous [r, z] (see ``lstm_steps``).

``forward_sequence`` / ``backward_sequence`` run a whole time loop of ``gru_cell`` as one
kernel, with the recurrent products through MKL (:mod:`.packed_gemm`).
"""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, kernel, sigmoid, tanh
from rnnlab.recurrent.fused.noise_steps import (
    add_into,
    blend,
    finish_dh,
    masked_copy,
    split_sum,
)
from rnnlab.recurrent.fused.packed_gemm import packed_product


@kernel
def forward_step(gates, hh, b_hn, h_prev, hn, h):
    """PyTorch form. gates: xp(t) in, [r, z, n] out; hh = h(t−1) W_hhᵀ; writes hn, h(t).

    r = σ(xp_r + hh_r)   z = σ(xp_z + hh_z)   hn = hh_n + b_hn
    n = tanh(xp_n + r ⊙ hn)
    h(t) = n + z ⊙ (h(t−1) − n)          = (1 − z) ⊙ n + z ⊙ h(t−1)
    """
    m, H = h.shape
    for b in range(m):
        g, a = gates[b], hh[b]
        r_z, a_rz = g[: 2 * H], a[: 2 * H]  # r and z are contiguous: one σ loop for both
        for j in range(2 * H):
            r_z[j] = sigmoid(r_z[j] + a_rz[j])
        gr, gz, gn, an = g[:H], g[H : 2 * H], g[2 * H :], a[2 * H :]
        h_prev_b, hn_b, h_b = h_prev[b], hn[b], h[b]
        for j in range(H):
            hn_j = an[j] + b_hn[j]
            n = tanh(gn[j] + gr[j] * hn_j)
            h_b[j] = n + gz[j] * (h_prev_b[j] - n)
            hn_b[j] = hn_j
            gn[j] = n


@kernel
def backward_step(gates, hn, h_prev, dh, dh_skip, d_out, d_hh):
    """PyTorch form. gates: [r, z, n] in, [δr̂, δẑ, δn̂] out; hn in, δn̂ ⊙ r out;
    d_hh out = [δr̂, δẑ, δn̂ ⊙ r] = ∂L/∂(h W_hhᵀ); dh_skip: in, part of δh' that did not go
    through W_hh; out, δh' ⊙ z. δh' = dh + dh_skip + d_out.

    δẑ = δh' ⊙ (h − n) ⊙ z(1 − z)     δn̂ = δh' ⊙ (1 − z) ⊙ (1 − n²)
    δr̂ = δn̂ ⊙ hn ⊙ r(1 − r)
    """
    m, H = h_prev.shape
    for b in range(m):
        g, e = gates[b].reshape(3, H), d_hh[b].reshape(3, H)
        gr, gz, gn = g[0], g[1], g[2]
        er, ez, en = e[0], e[1], e[2]
        hn_b, h_prev_b, dh_b, skip_b, d_out_b = hn[b], h_prev[b], dh[b], dh_skip[b], d_out[b]
        for j in range(H):
            r, z, n = gr[j], gz[j], gn[j]
            d = dh_b[j] + skip_b[j] + d_out_b[j]
            d_z = d * (h_prev_b[j] - n) * (z * (ONE - z))
            d_n = d * (ONE - z) * (ONE - n * n)
            d_r = d_n * hn_b[j] * (r * (ONE - r))
            gr[j], gz[j], gn[j] = d_r, d_z, d_n
            er[j], ez[j], en[j] = d_r, d_z, d_n * r
            hn_b[j] = d_n * r
            skip_b[j] = d * z


@kernel
def lecture_gates_step(gates, hh_rz, h_prev, rh):
    """Lecture form, first half. gates[:, :2H]: xp_r, xp_z in, r, z out; hh_rz = h W_h{r,z}ᵀ.

    r = σ(xp_r + hh_r)   z = σ(xp_z + hh_z)   rh = r ⊙ h(t−1)
    """
    m, H = h_prev.shape
    for b in range(m):
        g, a = gates[b].reshape(3, H), hh_rz[b].reshape(2, H)
        gr, gz, ar, az = g[0], g[1], a[0], a[1]
        h_prev_b, rh_b = h_prev[b], rh[b]
        for j in range(H):
            r = sigmoid(gr[j] + ar[j])
            gz[j] = sigmoid(gz[j] + az[j])
            gr[j] = r
            rh_b[j] = r * h_prev_b[j]


@kernel
def lecture_state_step(gates, hh_n, b_hn, h_prev, h):
    """Lecture form, second half. gates[:, 2H:]: xp_n in, h̃ out; hh_n = (r ⊙ h) W_hnᵀ.

    h̃ = tanh(xp_n + hh_n + b_hn)
    h(t) = h(t−1) + z ⊙ (h̃ − h(t−1))    = (1 − z) ⊙ h(t−1) + z ⊙ h̃
    """
    m, H = h_prev.shape
    for b in range(m):
        g = gates[b].reshape(3, H)
        gz, gn = g[1], g[2]
        hh_n_b, h_prev_b, h_b = hh_n[b], h_prev[b], h[b]
        for j in range(H):
            n = tanh(gn[j] + hh_n_b[j] + b_hn[j])
            h_b[j] = h_prev_b[j] + gz[j] * (n - h_prev_b[j])
            gn[j] = n


@kernel
def lecture_backward_state_step(gates, h_prev, dh, dh_skip, d_out):
    """Lecture form, first half of BPTT. gates[:, H:]: z, h̃ in, δẑ, δn̂ out; dh_skip: in,
    part of δh' not from the last GEMM; out, δh' ⊙ (1 − z). δh' = dh + dh_skip + d_out.

    δẑ = δh' ⊙ (h̃ − h) ⊙ z(1 − z)     δn̂ = δh' ⊙ z ⊙ (1 − h̃²)
    """
    m, H = h_prev.shape
    for b in range(m):
        g = gates[b].reshape(3, H)
        gz, gn = g[1], g[2]
        h_prev_b, dh_b, skip_b, d_out_b = h_prev[b], dh[b], dh_skip[b], d_out[b]
        for j in range(H):
            z, n = gz[j], gn[j]
            d = dh_b[j] + skip_b[j] + d_out_b[j]
            gz[j] = d * (n - h_prev_b[j]) * (z * (ONE - z))
            gn[j] = d * z * (ONE - n * n)
            skip_b[j] = d * (ONE - z)


@kernel
def lecture_backward_gates_step(gates, d_rh, h_prev, dh_skip):
    """Lecture form, second half of BPTT. gates[:, :H]: r in, δr̂ out; d_rh = δn̂ W_hn.

    δr̂ = δ(r⊙h) ⊙ h ⊙ r(1 − r)       dh_skip += δ(r⊙h) ⊙ r
    """
    m, H = h_prev.shape
    for b in range(m):
        gr = gates[b].reshape(3, H)[0]
        d_rh_b, h_prev_b, skip_b = d_rh[b], h_prev[b], dh_skip[b]
        for j in range(H):
            r = gr[j]
            gr[j] = d_rh_b[j] * h_prev_b[j] * (r * (ONE - r))
            skip_b[j] += d_rh_b[j] * r


@kernel
def forward_sequence(xp, w_packed, w_packed_n, b_hn, S, HN, hh, hh_n, hm, h_mask, zone_h,
                     lecture, times, sizes, start, stop):
    """The whole forward time loop of ``gru_cell.forward`` for the rows [start:stop]: at
    step k, on the n = sizes[k] of them still running at time t = times[k], rows
    [start:start+n]; the group's rows past n keep their state.

    PyTorch form: hh = S[k] W_hhᵀ (``w_packed``), then ``forward_step``.
    Lecture form: hh = S[k] W_h{r,z}ᵀ (``w_packed``), ``lecture_gates_step`` (r ⊙ h into
    HN[t]), hh_n = HN[t] W_hnᵀ (``w_packed_n``), ``lecture_state_step``.
    Recurrent dropout (non-empty ``h_mask``): the products read hm = S[k] ⊙ h_mask (and
    r ⊙ hm); zoneout (non-empty ``zone_h``): S[k+1] is blended with S[k] in place.
    """
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            gates, h_prev, h = xp[t, start:end], S[k, start:end], S[k + 1, start:end]
            h_in = h_prev
            if masked:
                masked_copy(h_prev, h_mask[start:end], hm[start:end])
                packed_product(hm[start:], w_packed, hh[start:], n)
                h_in = hm[start:end]
            else:
                packed_product(S[k, start:], w_packed, hh[start:], n)
            if lecture:
                lecture_gates_step(gates, hh[start:end], h_in, HN[t, start:end])
                packed_product(HN[t, start:], w_packed_n, hh_n[start:], n)
                lecture_state_step(gates, hh_n[start:end], b_hn, h_prev, h)
            else:
                forward_step(gates, hh[start:end], b_hn, h_prev, HN[t, start:end], h)
            if zoned:
                blend(h, h_prev, zone_h[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]


@kernel
def backward_sequence(gates, w_packed, w_packed_rz, S, HN, dh, dh_skip, d_output, d_hh,
                      d_rh, h_mask, zone_h, carry, zeros, lecture, times, sizes, start):
    """The whole BPTT loop of ``gru_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows [start:start+n].

    PyTorch form: ``backward_step`` (∂L/∂(h W_hhᵀ) into d_hh), δh = d_hh W_hh
    (``w_packed``). Lecture form: ``lecture_backward_state_step``, δ(r⊙h) = δn̂ W_hn
    (``w_packed``), ``lecture_backward_gates_step``, δh = [δr̂, δẑ] W_h{r,z}
    (``w_packed_rz``). Zoneout splits δh' before the step (the carried share joins
    dh_skip after it); recurrent dropout masks δ after each product.
    """
    H = S.shape[2]
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
    for k in range(times.shape[0] - 1, -1, -1):
        t, n = times[k], sizes[k]
        if n == 0:
            continue
        end = start + n
        g, h_prev, d_out = gates[t, start:end], S[k, start:end], d_output[t, start:end]
        if zoned:
            split_sum(dh[start:end], dh_skip[start:end], d_out, zone_h[t, start:end],
                      carry[start:end])
            d_out = zeros[start:end]
        if lecture:
            lecture_backward_state_step(g, h_prev, dh[start:end], dh_skip[start:end], d_out)
        else:
            backward_step(g, HN[t, start:end], h_prev, dh[start:end], dh_skip[start:end],
                          d_out, d_hh[start:end])
        if zoned:
            add_into(dh_skip[start:end], carry[start:end])
        if lecture:
            packed_product(gates[t, start:, 2 * H :], w_packed, d_rh[start:], n)
            if masked:
                finish_dh(d_rh[start:end], h_mask[start:end], carry[start:end], True, False)
            lecture_backward_gates_step(g, d_rh[start:end], h_prev, dh_skip[start:end])
            packed_product(gates[t, start:, : 2 * H], w_packed_rz, dh[start:], n)
        else:
            packed_product(d_hh[start:], w_packed, dh[start:], n)
        if masked:
            finish_dh(dh[start:end], h_mask[start:end], carry[start:end], True, False)
