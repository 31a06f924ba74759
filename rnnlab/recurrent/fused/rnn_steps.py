"""Compiled plain-RNN steps (LECTURE §2, §4): the one-pass twins of ``rnn_cell.forward_step``
and ``rnn_cell.backward_step`` — same arguments, same arithmetic. ``activation`` indexes
``rnn_cell.NONLINEARITIES``: 0 tanh, 1 logistic sigmoid, 2 relu. The loops run over one
row's 1-D views, which the compiler vectorises."""

from __future__ import annotations

from rnnlab.recurrent.fused.scalar import ONE, ZERO, kernel, sigmoid, tanh


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
