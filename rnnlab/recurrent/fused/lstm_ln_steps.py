"""Compiled steps and time loops of the layer-normalised LSTM: the one-pass twins of
``lstm_ln_cell.forward_step`` / ``backward_step`` (same arguments, same arithmetic, each
row's work in short loops over its 1-D views) and ``forward_sequence`` /
``backward_sequence``, the whole loop with MKL's packed products (:mod:`.packed_gemm`).
The normalisations are :mod:`.layer_norm_steps`'; recurrent dropout and zoneout
:mod:`.noise_steps`' (an empty ``h_mask`` / ``zone_h`` / ``zone_c`` means off)."""

from __future__ import annotations

import numpy as np

from rnnlab.engine.kernels.scalar import ONE, tanh
from rnnlab.recurrent.fused.layer_norm_steps import (
    EPS,
    accumulate,
    accumulate_product,
    block_backward,
    block_sums,
    finish_block_backward,
    input_block,
    like,
    ln_kernel,
    sigmoid_block,
    tanh_block,
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

__all__ = ["forward_step", "backward_step", "forward_sequence", "backward_sequence"]


@ln_kernel
def forward_step(gates, hh, x_hat, rstd_x, gamma_x, shift, gamma_h, c_prev, c, c_hat, gamma_c,
                 beta_c, rstd_h, rstd_c, h):
    """gates: xp(t) = x W_ihᵀ in, [i, f, g, o] out, x̂ into x_hat; hh: h(t−1) W_hhᵀ in, ĥ
    out; writes c(t), ĉ, h(t) and the reciprocal deviations.

    [i, f, g, o] = σ, σ, tanh, σ of (γx ⊙ x̂ + shift + γh ⊙ ĥ)     c = f ⊙ c(t−1) + i ⊙ g
    h = o ⊙ tanh(γc ⊙ ĉ + βc)

    Per block and normalisation: one pass for the mean and variance
    (:func:`.layer_norm_steps.mean_rstd`), one normalising (and activating); c's sums are
    taken as c is formed.
    """
    n, H = c.shape
    inv = like(c[0, 0], 1.0) / like(c[0, 0], H)
    for b in range(n):
        z, a, xh = gates[b], hh[b], x_hat[b]
        for k in range(4):
            block = slice(k * H, (k + 1) * H)
            rstd_x[b, k] = input_block(z[block], xh[block], gamma_x[block], shift[block])
            if k == 2:
                rstd_h[b, k] = tanh_block(z[block], a[block], gamma_h[block])
            else:
                rstd_h[b, k] = sigmoid_block(z[block], a[block], gamma_h[block])
        i, f, g, o = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        c_prev_b, c_b = c_prev[b], c[b]
        first = f[0] * c_prev_b[0] + i[0] * g[0]  # the shift of mean_rstd's sums
        s = q = like(c[0, 0], 0.0)
        for j in range(H):
            c_t = f[j] * c_prev_b[j] + i[j] * g[j]
            c_b[j] = c_t
            d = c_t - first
            s += d
            q += d * d
        m = s * inv
        var = max(q * inv - m * m, like(c[0, 0], 0.0))
        mu = first + m
        r = like(c[0, 0], 1.0) / np.sqrt(var + like(c[0, 0], EPS))
        rstd_c[b, 0] = r
        ch, h_b = c_hat[b], h[b]
        for j in range(H):
            x = (c_b[j] - mu) * r
            ch[j] = x
            h_b[j] = o[j] * tanh(gamma_c[j] * x + beta_c[j])


@ln_kernel
def backward_step(gates, hh, x_hat, rstd_x, gamma_x, gamma_h, c_prev, c_hat, gamma_c, beta_c,
                  rstd_h, rstd_c, dh, d_out, dc, acc_x, acc_h, acc_c):
    """gates: [i, f, g, o] in, ∂L/∂xp(t) out; hh: ĥ in, δ(h W_hhᵀ) out; dc: δc(t) in,
    δc(t−1) out; δh = dh + d_out (dh: scratch); acc_x += [δz ⊙ x̂, δz], acc_h += δz ⊙ ĥ,
    acc_c += [δc̄ ⊙ ĉ, δc̄].

    τ = tanh(γc ⊙ ĉ + βc)   δc̄ = δh ⊙ o ⊙ (1 − τ²)   δc += LN backward of γc ⊙ δc̄
    δz = [δc ⊙ g ⊙ i(1−i), δc ⊙ c(t−1) ⊙ f(1−f), δc ⊙ i ⊙ (1−g²), δh ⊙ τ ⊙ o(1−o)]
    δc(t−1) = δc ⊙ f    δ(h W_hhᵀ), ∂L/∂xp = LN backward of γh ⊙ δz, γx ⊙ δz, block by block

    Short loops, each over few arrays, so that each vectorises (see
    :mod:`.layer_norm_steps`): they stay in the first-level cache, one row at a time.
    """
    n, H = c_hat.shape
    for b in range(n):
        z, a, xh = gates[b], hh[b], x_hat[b]
        ax, ah = acc_x[b], acc_h[b]
        go = z[3 * H :]
        ch, dh_b, d_out_b, dc_b, ac = c_hat[b], dh[b], d_out[b], dc[b], acc_c[b]
        for j in range(H):  # δc̄ into dh (scratch until the product), δô into the o block
            o = go[j]
            tc = tanh(gamma_c[j] * ch[j] + beta_c[j])
            d_h = dh_b[j] + d_out_b[j]
            dh_b[j] = d_h * (o * (ONE - tc * tc))
            go[j] = d_h * tc * (o * (ONE - o))
        accumulate(ac[H:], dh_b)
        block_backward(dh_b, gamma_c, ch, rstd_c[b, 0], ac[:H], dh_b)  # δc from LN(c)
        for j in range(H):
            dc_b[j] += dh_b[j]
        gi, gf, gg, cp = z[:H], z[H : 2 * H], z[2 * H : 3 * H], c_prev[b]
        for j in range(H):  # as the plain LSTM's backward_step
            i, f, g, d_c = gi[j], gf[j], gg[j], dc_b[j]
            gi[j] = d_c * g * (i * (ONE - i))
            gf[j] = d_c * cp[j] * (f * (ONE - f))
            gg[j] = d_c * (i * (ONE - g * g))
            dc_b[j] = d_c * f
        accumulate(ax[4 * H :], z)
        for k in range(4):
            block = slice(k * H, (k + 1) * H)
            e = z[block]
            block_backward(e, gamma_h[block], a[block], rstd_h[b, k], ah[block], a[block])
            accumulate_product(ax[block], e, xh[block])
            m1, m2 = block_sums(e, gamma_x[block], xh[block])
            finish_block_backward(e, gamma_x[block], xh[block], rstd_x[b, k], m1, m2, e)


@ln_kernel
def forward_sequence(xp, w_packed, gamma_x, shift, gamma_h, gamma_c, beta_c, S, C, C_new, XH,
                     RX, HH, RH, CH, RC, hm, h_mask, zone_h, zone_c, times, sizes, start,
                     stop):
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
            forward_step(xp[t, start:end], HH[t, start:end], XH[t, start:end],
                         RX[t, start:end], gamma_x, shift, gamma_h, C[k, start:end],
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
def backward_sequence(gates, w_packed, gamma_x, gamma_h, gamma_c, beta_c, C, XH, RX, HH, RH,
                      CH, RC, dh, dc, d_output, acc_x, acc_h, acc_c, h_mask, zone_h, zone_c,
                      carry_h, carry_c, zeros, times, sizes, start):
    """The BPTT loop of ``lstm_ln_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows::

        (zoneout: split δh, δc)   backward_step → ∂L/∂xp(t), δ(h W_hhᵀ)(t) in HH[t], δc(t−1)
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
        backward_step(gates[t, start:end], HH[t, start:end], XH[t, start:end], RX[t, start:end],
                      gamma_x, gamma_h, C[k, start:end], CH[t, start:end], gamma_c, beta_c,
                      RH[t, start:end], RC[t, start:end], rows_dh, d_out, dc[start:end],
                      acc_x[start:end], acc_h[start:end], acc_c[start:end])
        if zoned_c:
            add_into(dc[start:end], carry_c[start:end])
        packed_product(HH[t, start:], w_packed, dh[start:], n)
        if masked or zoned_h:
            finish_dh(rows_dh, h_mask[start:end], carry_h[start:end], masked, zoned_h)
