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

Memory: the gates live in ``xp`` itself — step t overwrites xp(t) with its activated
gates, and backward overwrites those with δz(t), which is ∂L/∂xp. tanh(c) is recomputed
in backward rather than stored. Each step is one GEMM plus one call to ``forward_step`` /
``backward_step`` below, or to their compiled twins in :mod:`rnnlab.recurrent.fused` —
whichever ``kernels`` hold (:mod:`rnnlab.recurrent.compute_path`); on the "numba+mkl" path
the whole loop is one compiled call (``forward_sequence`` / ``backward_sequence``).

With a projection (``LSTM(proj_size=P)``, PyTorch's LSTMP) the same steps run between two
products, h(t) = W_hr (o ⊙ tanh c(t)) being P wide: :mod:`rnnlab.recurrent.lstm_projection`
has those equations, their BPTT and the loop.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_, blend_into, finish_dh_, split_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack, step_operand
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_


def _sigmoid_(x: np.ndarray) -> None:
    """σ(x) = ½ + ½ tanh(x/2), in place."""
    np.multiply(x, 0.5, out=x)
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5


def forward_step(
    gates: np.ndarray, hh: np.ndarray, c_prev: np.ndarray, c: np.ndarray, h: np.ndarray
) -> None:
    """One step over the running rows (NumPy reference). ``gates``: xp(t) in, activated
    [i, f, g, o] out; ``hh`` = h(t−1) W_hhᵀ (used as scratch); writes ``c`` and ``h``."""
    H = c.shape[1]
    gates += hh
    _sigmoid_(gates[:, : 2 * H])  # i and f are contiguous: one σ for both
    np.tanh(gates[:, 2 * H : 3 * H], out=gates[:, 2 * H : 3 * H])
    _sigmoid_(gates[:, 3 * H :])
    i, f, g, o = (gates[:, s * H : (s + 1) * H] for s in range(4))
    # c(t) = f ⊙ c(t−1) + i ⊙ g
    np.multiply(f, c_prev, out=c)
    ig = np.multiply(i, g, out=hh[:, :H])
    c += ig
    # h(t) = o ⊙ tanh(c(t))
    np.tanh(c, out=h)
    h *= o


def backward_step(
    gates: np.ndarray,
    c_prev: np.ndarray,
    c: np.ndarray,
    dh: np.ndarray,
    d_out: np.ndarray,
    dc: np.ndarray,
) -> None:
    """One step of BPTT (NumPy reference). ``gates``: [i, f, g, o] in, δz(t) out;
    ``dc``: δc(t) in, δc(t−1) out; δh = ``dh`` + ``d_out`` (``dh`` is used as scratch)."""
    H = c.shape[1]
    i, f, g, o = (gates[:, s * H : (s + 1) * H] for s in range(4))
    tc = np.tanh(c)
    d_h = np.add(dh, d_out, out=dh)
    dc += d_h * (o * (1 - tc * tc))  # δc += δh ⊙ o ⊙ (1 − tanh²c)
    d_i = dc * g * (i * (1 - i))  # δi ⊙ i(1 − i)
    d_f = dc * c_prev * (f * (1 - f))  # δf ⊙ f(1 − f)
    d_g = dc * (i * (1 - g * g))  # δg ⊙ (1 − g²)
    d_o = d_h * tc * (o * (1 - o))  # δo ⊙ o(1 − o)
    dc *= f  # δc(t−1) = δc ⊙ f
    i[...], f[...], g[...], o[...] = d_i, d_f, d_g, d_o


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    schedule: Schedule,
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the LSTM over ``xp`` (T, B, 4H), which becomes the gate store. Returns hidden
    states S and cell states C, both (K+1, B, H) in visit order with S[0] = h0, C[0] = c0,
    and the backward cache. With ``split`` (compiled time loops only), rows [:split] and
    [split:] run their loops on two threads (:func:`row_groups`). ``noise``: recurrent
    dropout and zoneout (:mod:`rnnlab.recurrent.noise`); with zoneout on c the cell's own
    c̃(t), which BPTT reads, is kept apart from the blended C."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    S = np.empty((K + 1, B, H), xp.dtype)
    C = np.empty((K + 1, B, H), xp.dtype)
    S[0], C[0] = h0, c0
    C_new = C if noise.zoneout_c is None else np.empty_like(C)  # c̃(t), read by BPTT
    hh = np.empty((B, 4 * H), xp.dtype)
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), xp.dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "C": C, "C_new": C_new, "gates": xp, "split": 0, "kernels": kernels,
             "noise": noise}
    w_packed = pack(w_hh.T, B) if loops is not None else None  # packed transposed, no copy
    if w_packed is not None:
        times = schedule.arrays[0]
        mask, zone_h, zone_c = noise.compiled(xp.dtype, H)
        run_each(lambda g: loops.forward_sequence(xp, w_packed, S, C, C_new, hh, hm, mask,
                                                  zone_h, zone_c, times, g.sizes, g.start,
                                                  g.stop), row_groups(schedule, split))
        return S, C, {**cache, "split": split}
    w_hh_t = step_operand(w_hh.T, K, B)  # a C copy where the loop repays it
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    # hh[:n] = S[k, :n] W_hhᵀ, or (S[k, :n] ⊙ m) W_hhᵀ from hm
    recurrent = StepProduct(S if mask is None else hm[None], w_hh_t, hh)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n)
        steps.forward_step(xp[t, :n], hh[:n], C[k, :n], C_new[k + 1, :n], S[k + 1, :n])
        if zone_h is not None:
            blend_(S[k + 1, :n], S[k, :n], zone_h[t, :n])
        if zone_c is not None:
            blend_into(C[k + 1, :n], C_new[k + 1, :n], C[k, :n], zone_c[t, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
            C[k + 1, n:] = C[k, n:]
    return S, C, cache


def backward(
    cache: dict,
    d_output: np.ndarray,
    d_hn: np.ndarray,
    d_cn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_output`` (T, B, H) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂xp (T, B, 4H) in time order (zero on padding; it reuses the
    gate store), ∂L/∂W_hh, ∂L/∂h0, ∂L/∂c0."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, C, C_new, gates = cache["S"], cache["C"], cache["C_new"], cache["gates"]
    noise = cache["noise"]
    K = schedule.steps
    dh = d_hn.copy()
    dc = d_cn.copy()
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    B, H = dh.shape
    zoned = zone_h is not None or zone_c is not None
    carry_h = np.empty((B, H) if zoned else (0, H), dh.dtype)  # (1 − w) ⊙ δ past the cell
    carry_c = np.empty_like(carry_h)
    zeros = np.zeros_like(carry_h)  # δh from above, once zoneout has taken it into dh
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        arrays = noise.compiled(dh.dtype, H)
        run_each(lambda g: loops.backward_sequence(gates, w_packed, C, C_new, dh, dc, d_output,
                                                   *arrays, carry_h, carry_c, zeros, times,
                                                   g.sizes, g.start),
                 row_groups(schedule, cache["split"]))
    else:
        recurrent = StepProduct(gates, w_hh, dh)  # δh(t−1) = δz(t) W_hh
        for k in range(K - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            d_out = d_output[t, :n]
            if zone_h is not None:  # δh(t) = dh + d_out, split between h̃(t) and h(t−1)
                dh[:n] += d_out
                d_out = zeros[:n]
                split_(dh[:n], zone_h[t, :n], carry_h[:n])
            if zone_c is not None:
                split_(dc[:n], zone_c[t, :n], carry_c[:n])
            steps.backward_step(gates[t, :n], C[k, :n], C_new[k + 1, :n], dh[:n], d_out, dc[:n])
            if zone_c is not None:
                dc[:n] += carry_c[:n]
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n],
                       None if zone_h is None else carry_h[:n])
    zero_padding_(gates, schedule)
    T, B, H4 = gates.shape
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    h_prev = h_prev.reshape(T * B, -1)
    d_w_hh = matmul(gates.reshape(T * B, H4).T, h_prev, split=bool(cache["split"]))
    return gates, d_w_hh, dh, dc
