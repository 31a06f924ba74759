"""Compiled steps and time loops of the layer-normalised GRU: the one-pass twins of
``gru_ln_cell.forward_step`` / ``backward_step`` and ``forward_sequence`` /
``backward_sequence``, the whole loop with MKL's packed products (:mod:`.packed_gemm`).
The normalisations are :mod:`.layer_norm_steps`'; recurrent dropout and zoneout
:mod:`.noise_steps`' (an empty ``h_mask`` / ``zone_h`` means off)."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, tanh
from rnnlab.recurrent.fused.layer_norm_steps import (
    accumulate,
    accumulate_product,
    block_backward,
    block_sums,
    finish_block_backward,
    input_block,
    ln_kernel,
    mean_rstd,
    sigmoid_block,
)
from rnnlab.recurrent.fused.noise_steps import add_into, blend, finish_dh, masked_copy, split_sum
from rnnlab.recurrent.fused.packed_gemm import packed_product

__all__ = ["forward_step", "backward_step", "forward_sequence", "backward_sequence"]


@ln_kernel
def forward_step(gates, hh, x_hat, rstd_x, gamma_x, shift, gamma_h, b_hn, rstd_h, h_prev, h):
    """gates: xp(t) = x W_ihᵀ in, [r, z, n] out, x̂ into x_hat; hh: h(t−1) W_hhᵀ in, ĥ
    out; writes h(t).

    gates ← γx ⊙ x̂ + shift     r, z = σ(gates_{r,z} + γh ⊙ ĥ_{r,z})
    hn = γh,n ⊙ ĥ_n + b_hn     n = tanh(gates_n + r ⊙ hn)     h(t) = n + z ⊙ (h(t−1) − n)

    Per block and normalisation one pass for the mean and variance, one normalising (and
    activating).
    """
    m, H = h.shape
    for b in range(m):
        g, a, xh = gates[b], hh[b], x_hat[b]
        for k in range(3):
            block = slice(k * H, (k + 1) * H)
            rstd_x[b, k] = input_block(g[block], xh[block], gamma_x[block], shift[block])
        rstd_h[b, 0] = sigmoid_block(g[:H], a[:H], gamma_h[:H])
        rstd_h[b, 1] = sigmoid_block(g[H : 2 * H], a[H : 2 * H], gamma_h[H : 2 * H])
        gr, gz, gn, an, g_n = g[:H], g[H : 2 * H], g[2 * H :], a[2 * H :], gamma_h[2 * H :]
        mu, r = mean_rstd(an)
        rstd_h[b, 2] = r
        h_prev_b, h_b = h_prev[b], h[b]
        for j in range(H):
            x = (an[j] - mu) * r
            an[j] = x
            n = tanh(gn[j] + gr[j] * (g_n[j] * x + b_hn[j]))
            h_b[j] = n + gz[j] * (h_prev_b[j] - n)
            gn[j] = n


@ln_kernel
def backward_step(gates, hh, x_hat, rstd_x, gamma_x, gamma_h, b_hn, rstd_h, h_prev, dh,
                  dh_skip, d_out, acc_x, acc_h, acc_b):
    """gates: [r, z, n] in, ∂L/∂xp(t) out; hh: ĥ in, δ(h W_hhᵀ) out; dh_skip: in, the part
    of δh' that bypassed W_hh, out: δh' ⊙ z; δh' = dh + dh_skip + d_out (dh: scratch);
    acc_x += [δ ⊙ x̂, δ] with δ = [δr̂, δẑ, δn̂]; acc_h += e ⊙ ĥ with e = [δr̂, δẑ, δn̂ ⊙ r];
    acc_b += δn̂ ⊙ r.

    δẑ = δh' ⊙ (h − n) ⊙ z(1 − z)   δn̂ = δh' ⊙ (1 − z) ⊙ (1 − n²)   δr̂ = δn̂ ⊙ hn ⊙ r(1 − r)
    δ(h W_hhᵀ), ∂L/∂xp = LN backward of γh ⊙ e, γx ⊙ δ, block by block
    """
    m, H = h_prev.shape
    for b in range(m):
        g, a, xh, ax, ah = gates[b], hh[b], x_hat[b], acc_x[b], acc_h[b]
        gr, gz, gn, an, g_n = g[:H], g[H : 2 * H], g[2 * H :], a[2 * H :], gamma_h[2 * H :]
        h_prev_b, dh_b, skip_b, d_out_b = h_prev[b], dh[b], dh_skip[b], d_out[b]
        for j in range(H):
            r, z, n = gr[j], gz[j], gn[j]
            d = dh_b[j] + skip_b[j] + d_out_b[j]
            d_n = d * (ONE - z) * (ONE - n * n)
            gr[j] = d_n * (g_n[j] * an[j] + b_hn[j]) * (r * (ONE - r))
            gz[j] = d * (h_prev_b[j] - n) * (z * (ONE - z))
            gn[j] = d_n
            skip_b[j] = d * z
            dh_b[j] = d_n * r  # e's n block, in dh (scratch until the product)
        accumulate(acc_b[b], dh_b)
        for k in range(2):
            block = slice(k * H, (k + 1) * H)
            block_backward(g[block], gamma_h[block], a[block], rstd_h[b, k], ah[block],
                           a[block])
        block_backward(dh_b, g_n, an, rstd_h[b, 2], ah[2 * H :], an)
        accumulate(ax[3 * H :], g)
        for k in range(3):
            block = slice(k * H, (k + 1) * H)
            e = g[block]
            accumulate_product(ax[block], e, xh[block])
            m1, m2 = block_sums(e, gamma_x[block], xh[block])
            finish_block_backward(e, gamma_x[block], xh[block], rstd_x[b, k], m1, m2, e)


@ln_kernel
def forward_sequence(xp, w_packed, gamma_x, shift, gamma_h, b_hn, S, XH, RX, HH, RH, hm,
                     h_mask, zone_h, times, sizes, start, stop):
    """The forward time loop of ``gru_ln_cell.forward`` for the rows [start:stop]: at step
    k, on the n = sizes[k] of them running at time t = times[k]::

        HH[t] = S[k] W_hhᵀ  (packed; from S[k] ⊙ h_mask with recurrent dropout)
        forward_step → S[k+1]     (zoneout: blended with S[k])
    """
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
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
                         RX[t, start:end], gamma_x, shift, gamma_h, b_hn, RH[t, start:end],
                         S[k, start:end], S[k + 1, start:end])
            if zoned:
                blend(S[k + 1, start:end], S[k, start:end], zone_h[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]


@ln_kernel
def backward_sequence(gates, w_packed, gamma_x, gamma_h, b_hn, S, XH, RX, HH, RH, dh, dh_skip,
                      d_output, acc_x, acc_h, acc_b, h_mask, zone_h, carry, zeros, times,
                      sizes, start):
    """The BPTT loop of ``gru_ln_cell.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows::

        (zoneout: split δh')   backward_step → ∂L/∂xp(t) in gates[t], δ(h W_hhᵀ) in HH[t]
        dh = HH[t] W_hh   (packed; ⊙ h_mask)
    """
    masked, zoned = h_mask.shape[0] > 0, zone_h.shape[0] > 0
    for k in range(times.shape[0] - 1, -1, -1):
        t, n = times[k], sizes[k]
        if n == 0:
            continue
        end = start + n
        d_out = d_output[t, start:end]
        if zoned:
            split_sum(dh[start:end], dh_skip[start:end], d_out, zone_h[t, start:end],
                      carry[start:end])
            d_out = zeros[start:end]
        backward_step(gates[t, start:end], HH[t, start:end], XH[t, start:end], RX[t, start:end],
                      gamma_x, gamma_h, b_hn, RH[t, start:end], S[k, start:end], dh[start:end],
                      dh_skip[start:end], d_out, acc_x[start:end], acc_h[start:end],
                      acc_b[start:end])
        if zoned:
            add_into(dh_skip[start:end], carry[start:end])
        packed_product(HH[t, start:], w_packed, dh[start:], n)
        if masked:
            finish_dh(dh[start:end], h_mask[start:end], carry[start:end], True, False)
