"""The LSTM unit over a whole sequence, forward and backward through time (LECTURE §6).

With the input projection of every step precomputed, xp(t) = x(t) W_ihᵀ + b_ih + b_hh,
and the gates stacked in PyTorch's order i, f, g, o (g is the lecture's C̃)::

    [i, f, g, o](t) = xp(t) + h(t−1) W_hhᵀ
    i = σ(i)   f = σ(f)   g = tanh(g)   o = σ(o)
    c(t) = f ⊙ c(t−1) + i ⊙ g                 C_t = f_t * C_{t−1} + i_t * C̃_t
    h(t) = o ⊙ tanh(c(t))                     h_t = o_t * tanh(C_t)

Backward through time, with δh(t) and δc(t) arriving from the output and from step t+1::

    δo = δh ⊙ tanh(c)                         δc += δh ⊙ o ⊙ (1 − tanh²(c))
    δi = δc ⊙ g      δg = δc ⊙ i      δf = δc ⊙ c(t−1)      δc(t−1) = δc ⊙ f
    pre-activation: δi·i(1−i), δf·f(1−f), δg·(1−g²), δo·o(1−o)  → δz(t) (B, 4H)
    δh(t−1) = δz(t) W_hh,   ∂L/∂W_hh = Σ_t δz(t)ᵀ h(t−1),   ∂L/∂xp(t) = δz(t)

The cell state path c(t−1) → c(t) is multiplied only by f, which is what lets gradients
travel far (LECTURE §5–§6).
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.schedule import Schedule


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the LSTM over ``xp`` (T, B, 4H). Returns hidden states S and cell states C, both
    (K+1, B, H) in visit order with S[0] = h0, C[0] = c0, and the backward cache."""
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    dtype = xp.dtype
    S = np.empty((K + 1, B, H), dtype)
    C = np.empty((K + 1, B, H), dtype)
    G = np.empty((K, B, 4 * H), dtype)  # activated gates i, f, g, o
    TC = np.empty((K, B, H), dtype)  # tanh(c(t))
    S[0], C[0] = h0, c0
    w_hh_t = w_hh.T
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        z = G[k, :n]
        np.matmul(S[k, :n], w_hh_t, out=z)
        z += xp[t, :n]
        sig = z[:, : 2 * H]  # i and f are contiguous: one σ call for both
        np.multiply(sig, 0.5, out=sig)
        np.tanh(sig, out=sig)
        sig += 1.0
        sig *= 0.5
        o = z[:, 3 * H :]
        np.multiply(o, 0.5, out=o)
        np.tanh(o, out=o)
        o += 1.0
        o *= 0.5
        g = z[:, 2 * H : 3 * H]
        np.tanh(g, out=g)
        c = C[k + 1, :n]
        np.multiply(z[:, H : 2 * H], C[k, :n], out=c)
        c += z[:, :H] * g
        tc = TC[k, :n]
        np.tanh(c, out=tc)
        np.multiply(o, tc, out=S[k + 1, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
            C[k + 1, n:] = C[k, n:]
    return S, C, {"S": S, "C": C, "G": G, "TC": TC}


def backward(
    cache: dict,
    d_states: np.ndarray,
    d_hn: np.ndarray,
    d_cn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_states`` (K, B, H) is ∂L/∂h per visited step (zero on padding).

    Returns δz (K, B, 4H) in visit order (= ∂L/∂xp per step), ∂L/∂W_hh, ∂L/∂h0, ∂L/∂c0.
    """
    S, C, G, TC = cache["S"], cache["C"], cache["G"], cache["TC"]
    K, H = schedule.steps, S.shape[2]
    dZ = np.zeros((K, S.shape[1], 4 * H), S.dtype)
    dh = d_hn.copy()
    dc = d_cn.copy()
    tmp = np.empty_like(dh)
    for k in range(K - 1, -1, -1):
        n = schedule.sizes[k]
        gates, tc, dz = G[k, :n], TC[k, :n], dZ[k, :n]
        i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
        di, df, dg, do = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H : 3 * H], dz[:, 3 * H :]
        dh_k, dc_k, t_ = dh[:n], dc[:n], tmp[:n]
        dh_k += d_states[k, :n]
        # δc += δh ⊙ o ⊙ (1 − tanh²c)
        np.multiply(tc, tc, out=t_)
        np.subtract(1.0, t_, out=t_)
        t_ *= o
        t_ *= dh_k
        dc_k += t_
        # δo = δh ⊙ tanh(c) ⊙ o(1 − o)
        np.multiply(dh_k, tc, out=do)
        np.subtract(1.0, o, out=t_)
        t_ *= o
        do *= t_
        # δi = δc ⊙ g ⊙ i(1 − i)
        np.multiply(dc_k, g, out=di)
        np.subtract(1.0, i, out=t_)
        t_ *= i
        di *= t_
        # δf = δc ⊙ c(t−1) ⊙ f(1 − f)
        np.multiply(dc_k, C[k, :n], out=df)
        np.subtract(1.0, f, out=t_)
        t_ *= f
        df *= t_
        # δg = δc ⊙ i ⊙ (1 − g²)
        np.multiply(g, g, out=t_)
        np.subtract(1.0, t_, out=t_)
        t_ *= i
        np.multiply(dc_k, t_, out=dg)
        # carry to step t−1
        dc_k *= f
        np.matmul(dz, w_hh, out=dh_k)
    d_w_hh = dZ.reshape(-1, 4 * H).T @ S[:-1].reshape(-1, H)
    return dZ, d_w_hh, dh, dc
