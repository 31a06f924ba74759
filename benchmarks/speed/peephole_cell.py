"""The peephole LSTM of docs/custom_cells.md (i, f see c(t−1), o sees c(t)) as a user cell
with Numba twins, for benchmarks/speed/options.py: :func:`define` returns its kind."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import ONE, sigmoid, tanh
from rnnlab.recurrent.user_cell import UserCellKind, define_cell, step_kernel


@step_kernel
def forward(z, p, h_prev, c_prev, h, c):
    n, H = h.shape
    p_i, p_f, p_o = p[0], p[1], p[2]
    for b in range(n):
        zb, cp, cb, hb = z[b], c_prev[b], c[b], h[b]
        gi, gf, gg, go = zb[:H], zb[H : 2 * H], zb[2 * H : 3 * H], zb[3 * H :]
        for j in range(H):
            gi[j] = sigmoid(gi[j] + p_i[j] * cp[j])
        for j in range(H):
            gf[j] = sigmoid(gf[j] + p_f[j] * cp[j])
        for j in range(H):
            gg[j] = tanh(gg[j])
        for j in range(H):
            cb[j] = gf[j] * cp[j] + gi[j] * gg[j]
        for j in range(H):
            go[j] = sigmoid(go[j] + p_o[j] * cb[j])
        for j in range(H):
            hb[j] = go[j] * tanh(cb[j])


@step_kernel
def backward(z, p, h_prev, c_prev, h, c, dh, dc, dh_prev, d_p):
    n, H = h.shape
    p_i, p_f, p_o = p[0], p[1], p[2]
    d_pi, d_pf, d_po = d_p[0], d_p[1], d_p[2]
    for b in range(n):
        zb, cp, cb, dhb, dcb, direct = z[b], c_prev[b], c[b], dh[b], dc[b], dh_prev[b]
        gi, gf, gg, go = zb[:H], zb[H : 2 * H], zb[2 * H : 3 * H], zb[3 * H :]
        for j in range(H):  # o, and all of ∂L/∂c(t)
            o, tc = go[j], tanh(cb[j])
            d_o = dhb[j] * tc * (o * (ONE - o))
            dcb[j] += dhb[j] * o * (ONE - tc * tc) + d_o * p_o[j]
            d_po[j] += d_o * cb[j]
            go[j] = d_o
        for j in range(H):  # i, f, g, and ∂L/∂c(t−1)
            i, f, g, d_c = gi[j], gf[j], gg[j], dcb[j]
            d_i = d_c * g * (i * (ONE - i))
            d_f = d_c * cp[j] * (f * (ONE - f))
            gg[j] = d_c * (i * (ONE - g * g))
            gi[j], gf[j] = d_i, d_f
            d_pi[j] += d_i * cp[j]
            d_pf[j] += d_f * cp[j]
            dcb[j] = d_c * f + d_i * p_i[j] + d_f * p_f[j]
        for j in range(H):
            direct[j] = 0


def define() -> UserCellKind:
    """The peephole LSTM: compiled steps, and their Python functions as the NumPy steps."""
    return define_cell("peephole_lstm", gates=4, cell_state=True,
                       parameters={"weight_peephole": 3}, forward=forward.py_func,
                       backward=backward.py_func, compiled_forward=forward,
                       compiled_backward=backward)
