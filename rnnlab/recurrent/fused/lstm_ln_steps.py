"""Compiled steps and time loops of the layer-normalised LSTM: the one-pass twins of
``lstm_ln_cell.forward_step`` / ``backward_step`` (same arguments, same arithmetic, each
row's work in a few loops over its 1-D views) and ``forward_sequence`` /
``backward_sequence``, the whole loop with MKL's packed products (:mod:`.packed_gemm`).
The normalisations are :mod:`.layer_norm_steps`'; recurrent dropout and zoneout
:mod:`.noise_steps`' (an empty ``h_mask`` / ``zone_h`` / ``zone_c`` means off)."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, sigmoid, tanh
from rnnlab.recurrent.fused.layer_norm_steps import (
    ln_kernel,
    mean_rstd,
    normalize_block,
    normalize_block_backward,
    normalize_rows,
    normalize_rows_backward,
)
from rnnlab.recurrent.fused.noise_steps import (
    add_into,
    blend,
    blend_into,
    finish_dh,
    masked_copy,
    split,
)
from rnnlab.recurrent.fused.packed_gemm import packed_product

__all__ = ["normalize_rows", "normalize_rows_backward", "forward_step", "backward_step",
           "forward_sequence", "backward_sequence"]


@ln_kernel
def forward_step(gates, hh, gamma_h, c_prev, c, c_hat, gamma_c, beta_c, rstd_h, rstd_c, h):
    """gates: LN_γx(xp) + b in, [i, f, g, o] out; hh: h(t−1) W_hhᵀ in, ĥ out; writes c(t),
    ĉ, h(t) and the reciprocal deviations.

    [i, f, g, o] = σ, σ, tanh, σ of (gates + γh ⊙ ĥ)     c = f ⊙ c(t−1) + i ⊙ g
    h = o ⊙ tanh(γc ⊙ ĉ + βc)
    """
    n, H = c.shape
    for b in range(n):
        z, a = gates[b], hh[b]
        for k in range(4):
            rstd_h[b, k] = normalize_block(a[k * H : (k + 1) * H])
        i_f, a_if, g_if = z[: 2 * H], a[: 2 * H], gamma_h[: 2 * H]
        for j in range(2 * H):
            i_f[j] = sigmoid(i_f[j] + g_if[j] * a_if[j])
        g, a_g, g_g = z[2 * H : 3 * H], a[2 * H : 3 * H], gamma_h[2 * H : 3 * H]
        for j in range(H):
            g[j] = tanh(g[j] + g_g[j] * a_g[j])
        o, a_o, g_o = z[3 * H :], a[3 * H :], gamma_h[3 * H :]
        for j in range(H):
            o[j] = sigmoid(o[j] + g_o[j] * a_o[j])
        i, f = z[:H], z[H : 2 * H]
        c_prev_b, c_b = c_prev[b], c[b]
        for j in range(H):
            c_b[j] = f[j] * c_prev_b[j] + i[j] * g[j]
        mu, r = mean_rstd(c_b)
        rstd_c[b, 0] = r
        ch, h_b = c_hat[b], h[b]
        for j in range(H):
            x = (c_b[j] - mu) * r
            ch[j] = x
            h_b[j] = o[j] * tanh(gamma_c[j] * x + beta_c[j])


@ln_kernel
def backward_step(gates, hh, gamma_h, c_prev, c_hat, gamma_c, beta_c, rstd_h, rstd_c, dh,
                  d_out, dc, acc_h, acc_c):
    """gates: [i, f, g, o] in, δz(t) out; hh: ĥ in, δ(h W_hhᵀ) out; dc: δc(t) in, δc(t−1)
    out; δh = dh + d_out (dh: scratch); acc_h += δz ⊙ ĥ, acc_c += [δc̄ ⊙ ĉ, δc̄].

    τ = tanh(γc ⊙ ĉ + βc)   δc̄ = δh ⊙ o ⊙ (1 − τ²)   δc += LN backward of γc ⊙ δc̄
    δz = [δc ⊙ g ⊙ i(1−i), δc ⊙ c(t−1) ⊙ f(1−f), δc ⊙ i ⊙ (1−g²), δh ⊙ τ ⊙ o(1−o)]
    δc(t−1) = δc ⊙ f        δ(h W_hhᵀ) = LN backward of γh ⊙ δz, block by block
    """
    n, H = c_hat.shape
    for b in range(n):
        z, a = gates[b], hh[b]
        gi, gf, gg, go = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        ch, cp, dh_b, d_out_b, dc_b = c_hat[b], c_prev[b], dh[b], d_out[b], dc[b]
        ac, ah = acc_c[b], acc_h[b]
        for j in range(H):  # δc̄ (into dh, scratch), δô, the cell LN's sums
            o, tc = go[j], tanh(gamma_c[j] * ch[j] + beta_c[j])
            d_h = dh_b[j] + d_out_b[j]
            d_cbar = d_h * (o * (ONE - tc * tc))
            ac[j] += d_cbar * ch[j]
            ac[H + j] += d_cbar
            dh_b[j] = d_cbar
            go[j] = d_h * tc * (o * (ONE - o))
        normalize_block_backward(dh_b, gamma_c, ch, rstd_c[b, 0], dh_b)  # δc from LN(c)
        for j in range(H):
            i, f, g = gi[j], gf[j], gg[j]
            d_c = dc_b[j] + dh_b[j]
            gi[j] = d_c * g * (i * (ONE - i))
            gf[j] = d_c * cp[j] * (f * (ONE - f))
            gg[j] = d_c * (i * (ONE - g * g))
            dc_b[j] = d_c * f
        for j in range(4 * H):
            ah[j] += z[j] * a[j]
        for k in range(4):
            block = slice(k * H, (k + 1) * H)
            normalize_block_backward(z[block], gamma_h[block], a[block], rstd_h[b, k],
                                     a[block])


@ln_kernel
def forward_sequence(xp, w_packed, gamma_h, gamma_c, beta_c, S, C, C_new, HH, RH, CH, RC, hm,
                     h_mask, zone_h, zone_c, times, sizes, start, stop):
    """The forward time loop of ``lstm_ln_cell.forward`` for the rows [start:stop]: at
    step k, on the n = sizes[k] of them running at time t = times[k]::

        HH[t] = S[k] W_hhᵀ  (packed; (S[k] ⊙ h_mask) W_hhᵀ via hm with recurrent dropout)
        forward_step → C_new[k+1], S[k+1]     zoneout: S[k+1], C[k+1] blended

    the group's rows past n carry their state over unchanged."""
    masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            if masked:
                masked_copy(S[k, start:end], h_mask[start:end], hm[start:end])
                packed_product(hm[start:], w_packed, HH[t, start:], n)
            else:
                packed_product(S[k, start:], w_packed, HH[t, start:], n)
            forward_step(xp[t, start:end], HH[t, start:end], gamma_h, C[k, start:end],
                         C_new[k + 1, start:end], CH[t, start:end], gamma_c, beta_c,
                         RH[t, start:end], RC[t, start:end], S[k + 1, start:end])
            if zoned_h:
                blend(S[k + 1, start:end], S[k, start:end], zone_h[t, start:end])
            if zoned_c:
                blend_into(C[k + 1, start:end], C_new[k + 1, start:end], C[k, start:end],
                           zone_c[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]
            C[k + 1, end:stop] = C[k, end:stop]


@ln_kernel
def backward_sequence(gates, w_packed, gamma_h, gamma_c, beta_c, C, HH, RH, CH, RC, dh, dc,
                      d_output, acc_h, acc_c, h_mask, zone_h, zone_c, carry_h, carry_c, zeros,
                      times, sizes, start):
    """The BPTT loop of ``lstm_ln_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows::

        (zoneout: split δh, δc)   backward_step → δz(t), δ(h W_hhᵀ)(t) in HH[t], δc(t−1)
        δh(t−1) = HH[t] W_hh   (packed; ⊙ h_mask, + the carried share)
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
        backward_step(gates[t, start:end], HH[t, start:end], gamma_h, C[k, start:end],
                      CH[t, start:end], gamma_c, beta_c, RH[t, start:end], RC[t, start:end],
                      rows_dh, d_out, dc[start:end], acc_h[start:end], acc_c[start:end])
        if zoned_c:
            add_into(dc[start:end], carry_c[start:end])
        packed_product(HH[t, start:], w_packed, dh[start:], n)
        if masked or zoned_h:
            finish_dh(rows_dh, h_mask[start:end], carry_h[start:end], masked, zoned_h)
