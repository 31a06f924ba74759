"""Compiled LSTM steps (LECTURE §6): the one-pass twins of ``lstm_cell.forward_step`` and
``lstm_cell.backward_step`` — same arguments, same arithmetic, one loop over the running
rows instead of one NumPy call per operation.

The loops run over one row's 1-D gate views (``gi, gf, gg, go`` of row b): the compiler
vectorises those (≈4× faster than indexing the 2-D arrays, where it gives up on proving
the reads and writes independent).
"""

from __future__ import annotations

from rnnlab.recurrent.fused.scalar import ONE, kernel, sigmoid, tanh


@kernel
def forward_step(gates, hh, c_prev, c, h):
    """gates: xp(t) in, activated [i, f, g, o] out; hh = h(t−1) W_hhᵀ; writes c(t), h(t).

    i = σ(xp_i + hh_i)   f = σ(xp_f + hh_f)   g = tanh(xp_g + hh_g)   o = σ(xp_o + hh_o)
    c(t) = f ⊙ c(t−1) + i ⊙ g
    h(t) = o ⊙ tanh(c(t))
    """
    n, H = c.shape
    for b in range(n):
        z, a = gates[b].reshape(4, H), hh[b].reshape(4, H)
        gi, gf, gg, go = z[0], z[1], z[2], z[3]
        hi, hf, hg, ho = a[0], a[1], a[2], a[3]
        c_prev_b, c_b, h_b = c_prev[b], c[b], h[b]
        for j in range(H):
            i = sigmoid(gi[j] + hi[j])
            f = sigmoid(gf[j] + hf[j])
            g = tanh(gg[j] + hg[j])
            o = sigmoid(go[j] + ho[j])
            c_t = f * c_prev_b[j] + i * g
            c_b[j] = c_t
            h_b[j] = o * tanh(c_t)
            gi[j], gf[j], gg[j], go[j] = i, f, g, o


@kernel
def backward_step(gates, c_prev, c, dh, d_out, dc):
    """gates: [i, f, g, o] in, δz(t) out; dc: δc(t) in, δc(t−1) out; δh = dh + d_out.

    δc += δh ⊙ o ⊙ (1 − tanh²(c))
    δz = [δc ⊙ g ⊙ i(1−i),  δc ⊙ c(t−1) ⊙ f(1−f),  δc ⊙ i ⊙ (1−g²),  δh ⊙ tanh(c) ⊙ o(1−o)]
    δc(t−1) = δc ⊙ f
    """
    n, H = c.shape
    for b in range(n):
        z = gates[b].reshape(4, H)
        gi, gf, gg, go = z[0], z[1], z[2], z[3]
        c_prev_b, c_b, dh_b, d_out_b, dc_b = c_prev[b], c[b], dh[b], d_out[b], dc[b]
        for j in range(H):
            i, f, g, o = gi[j], gf[j], gg[j], go[j]
            tc = tanh(c_b[j])
            d_h = dh_b[j] + d_out_b[j]
            d_c = dc_b[j] + d_h * (o * (ONE - tc * tc))
            gi[j] = d_c * g * (i * (ONE - i))
            gf[j] = d_c * c_prev_b[j] * (f * (ONE - f))
            gg[j] = d_c * (i * (ONE - g * g))
            go[j] = d_h * tc * (o * (ONE - o))
            dc_b[j] = d_c * f
