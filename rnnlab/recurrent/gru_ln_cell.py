"""The layer-normalised GRU (kind ``gru_ln``, ``GRU(layer_norm=True)``; the cuDNN/PyTorch
form of LECTURE §7) over a whole sequence, forward and backward through time.

The input projection and the recurrent product are normalised per gate block r, z, n
(:mod:`rnnlab.recurrent.layer_norm`, ε = 1e-5; LN_γ(a) = γ ⊙ â); the GRU has no cell
state, so there is no third normalisation::

    r = σ(LN_γx(x W_ihᵀ)_r + b_ir + LN_γh(h W_hhᵀ)_r + b_hr)
    z = σ(LN_γx(x W_ihᵀ)_z + b_iz + LN_γh(h W_hhᵀ)_z + b_hz)
    n = tanh(LN_γx(x W_ihᵀ)_n + b_in + r ⊙ (LN_γh(h W_hhᵀ)_n + b_hn))
    h' = (1 − z) ⊙ n + z ⊙ h

b_ih and b_hh are the normalisations' shifts (LN's β), b_hn inside r ⊙ (…) as in the plain
GRU. Parameters, per layer k and direction, beside PyTorch's GRU ones::

    layer_norm_ih_weight_l{k}    γx (3H), initialised to 1
    layer_norm_hh_weight_l{k}    γh (3H), 1

Backward through time, from δh' = dh + dh_skip + d_out (``gru_cell``'s notation), with
hn = γh,n ⊙ ĥ_n + b_hn::

    δẑ = δh' ⊙ (h − n) ⊙ z(1 − z)    δn̂ = δh' ⊙ (1 − z) ⊙ (1 − n²)
    δr̂ = δn̂ ⊙ hn ⊙ r(1 − r)          e = [δr̂, δẑ, δn̂ ⊙ r]   (δ of LN_γh(h W_hhᵀ) + b_hh)
    ∂L/∂γh += e ⊙ ĥ    ∂L/∂b_hn += δn̂ ⊙ r    δ(h W_hhᵀ) = LN backward of γh ⊙ e
    δh = δ(h W_hhᵀ) W_hh + δh' ⊙ z

    with δ = [δr̂, δẑ, δn̂]:  ∂L/∂b_ih += δ   ∂L/∂b_h{r,z} += δ_{r,z}   ∂L/∂γx += δ ⊙ x̂
    ∂L/∂xp = LN backward of γx ⊙ δ

and after the loop ∂L/∂W_hh = Σ_t δ(h W_hhᵀ)(t)ᵀ h(t−1), one GEMM over all steps.

As for the LSTM (:mod:`rnnlab.recurrent.lstm_ln_cell`, where the choice is explained):
one GEMM for the input projection of all steps; its normalisation, forward and backward,
inside the step on the step's rows; each step one product and one fused elementwise
call. Recurrent dropout and zoneout as on the plain GRU. The form "lecture" has no
layer-normalised variant. Step kernels here (NumPy reference) and in
:mod:`rnnlab.recurrent.fused.gru_ln_steps`.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.layer_norm import normalize_, normalize_backward_
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_, finish_dh_, split_sum_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack, step_operand
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_

__all__ = ["forward_step", "backward_step", "forward", "backward"]

Weights = dict[str, np.ndarray | None]


def _sigmoid_(x: np.ndarray) -> None:
    """σ(x) = ½ + ½ tanh(x/2), in place."""
    np.multiply(x, 0.5, out=x)
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5


def forward_step(gates, hh, x_hat, rstd_x, gamma_x, shift, gamma_h, b_hn, rstd_h, h_prev,
                 h) -> None:
    """One step (NumPy reference). ``gates``: xp(t) = x W_ihᵀ in, [r, z, n] out; x̂ into
    ``x_hat`` (r into ``rstd_x``, (n, 3)); ``hh``: h(t−1) W_hhᵀ in, ĥ out (r into
    ``rstd_h``); writes h(t). ``shift`` = b_ih + [b_hr, b_hz, 0]."""
    H = h.shape[1]
    x_hat[...] = gates
    normalize_(x_hat, rstd_x)
    np.multiply(gamma_x, x_hat, out=gates)
    gates += shift
    normalize_(hh, rstd_h)
    scaled = gamma_h * hh
    r_z, cand = gates[:, : 2 * H], gates[:, 2 * H :]
    r_z += scaled[:, : 2 * H]
    _sigmoid_(r_z)
    cand += gates[:, :H] * (scaled[:, 2 * H :] + b_hn)  # n = tanh(xp_n + r ⊙ hn)
    np.tanh(cand, out=cand)
    np.subtract(h_prev, cand, out=h)  # h' = n + z ⊙ (h − n)
    h *= gates[:, H : 2 * H]
    h += cand


def backward_step(gates, hh, x_hat, rstd_x, gamma_x, gamma_h, b_hn, rstd_h, h_prev, dh,
                  dh_skip, d_out, acc_x, acc_h, acc_b) -> None:
    """One step of BPTT (NumPy reference). ``gates``: [r, z, n] in, ∂L/∂xp(t) out (the LN
    backward of γx ⊙ [δr̂, δẑ, δn̂]); ``hh``: ĥ in, δ(h W_hhᵀ) out; ``dh_skip`` in: the
    part of δh' that bypassed W_hh, out: δh' ⊙ z; δh' = dh + dh_skip + d_out. Adds
    [δ ⊙ x̂, δ] to ``acc_x`` (n, 6H), e ⊙ ĥ to ``acc_h`` (n, 3H), δn̂ ⊙ r to ``acc_b``."""
    H = h_prev.shape[1]
    r, z, cand = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    hn = gamma_h[2 * H :] * hh[:, 2 * H :] + b_hn
    d = dh + dh_skip + d_out
    d_z = d * (h_prev - cand) * (z * (1 - z))
    d_n = d * (1 - z) * (1 - cand * cand)
    d_r = d_n * hn * (r * (1 - r))
    np.multiply(d, z, out=dh_skip)
    e = np.concatenate([d_r, d_z, d_n * r], axis=1)
    acc_h += e * hh
    acc_b += e[:, 2 * H :]
    r[...], z[...], cand[...] = d_r, d_z, d_n
    e *= gamma_h
    normalize_backward_(e, hh, rstd_h)
    hh[...] = e
    acc_x[:, : 3 * H] += gates * x_hat
    acc_x[:, 3 * H :] += gates
    gates *= gamma_x
    normalize_backward_(gates, x_hat, rstd_x)


def _shift(weights: Weights, H: int, dtype: np.dtype) -> np.ndarray:
    """b_ih + [b_hr, b_hz, 0]: b_hn stays inside r ⊙ (…)."""
    if weights["bias_ih"] is None:
        return np.zeros(3 * H, dtype)
    shift = weights["bias_ih"].copy()
    shift[: 2 * H] += weights["bias_hh"][: 2 * H]
    return shift


def _b_hn(weights: Weights, H: int, dtype: np.dtype) -> np.ndarray:
    b_hh = weights["bias_hh"]
    return np.zeros(H, dtype) if b_hh is None else np.ascontiguousarray(b_hh[2 * H :])


def forward(
    xp: np.ndarray,
    weights: Weights,
    h0: np.ndarray,
    schedule: Schedule,
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, dict]:
    """Run the cell over ``xp`` = x W_ihᵀ (T, B, 3H, no bias), which becomes the gate
    store. Returns the states S (K+1, B, H) in visit order and the backward cache. With
    ``split`` (compiled time loops only), rows [:split] and [split:] run their loops on two
    threads; ``noise``: recurrent dropout and zoneout."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    T, dtype = xp.shape[0], xp.dtype
    w_hh = weights["weight_hh"]
    gamma_x, gamma_h = weights["layer_norm_ih_weight"], weights["layer_norm_hh_weight"]
    b_hn = _b_hn(weights, H, dtype)
    shift = _shift(weights, H, dtype)
    XH = np.empty_like(xp)  # x̂
    RX = np.empty((T, B, 3), dtype)
    HH = (np.empty if schedule.full and K == T else np.zeros)((T, B, 3 * H), dtype)
    RH = np.empty((T, B, 3), dtype)
    S = np.empty((K + 1, B, H), dtype)
    S[0] = h0
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "gates": xp, "XH": XH, "RX": RX, "HH": HH, "RH": RH, "b_hn": b_hn,
             "split": 0, "kernels": kernels, "noise": noise}
    w_packed = pack(w_hh.T, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        mask, zone_h, _ = noise.compiled(dtype, H)
        run_each(lambda g: loops.forward_sequence(
            xp, w_packed, gamma_x, shift, gamma_h, b_hn, S, XH, RX, HH, RH, hm, mask, zone_h,
            times, g.sizes, g.start, g.stop), row_groups(schedule, split))
        return S, {**cache, "split": split}
    mask, zone_h = noise.h_mask, noise.zoneout_h
    recurrent = StepProduct(S if mask is None else hm[None], step_operand(w_hh.T, K, B), HH)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n, t)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n, t)
        steps.forward_step(xp[t, :n], HH[t, :n], XH[t, :n], RX[t, :n], gamma_x, shift,
                           gamma_h, b_hn, RH[t, :n], S[k, :n], S[k + 1, :n])
        if zone_h is not None:
            blend_(S[k + 1, :n], S[k, :n], zone_h[t, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
    return S, cache


def backward(
    cache: dict,
    d_output: np.ndarray,
    d_hn: np.ndarray,
    weights: Weights,
    schedule: Schedule,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """BPTT. ``d_output`` (T, B, H) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂xp (T, B, 3H) in time order (zero on padding; it reuses the
    gate store), the parameters' gradients by name, and ∂L/∂h0."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, gates, HH, RH, b_hn = cache["S"], cache["gates"], cache["HH"], cache["RH"], cache["b_hn"]
    XH, RX, noise = cache["XH"], cache["RX"], cache["noise"]
    mask, zone_h = noise.h_mask, noise.zoneout_h
    w_hh, gamma_h = weights["weight_hh"], weights["layer_norm_hh_weight"]
    gamma_x = weights["layer_norm_ih_weight"]
    K = schedule.steps
    T, B, H3 = gates.shape
    H = H3 // 3
    dtype = gates.dtype
    dh = d_hn.copy()
    dh_skip = np.zeros_like(dh)
    acc_x = np.zeros((B, 2 * H3), dtype)  # Σ_t [δ ⊙ x̂, δ], per row
    acc_h = np.zeros((B, H3), dtype)  # Σ_t e ⊙ ĥ, per row
    acc_b = np.zeros((B, H), dtype)  # Σ_t δn̂ ⊙ r, per row
    carry = np.empty((B, H) if zone_h is not None else (0, H), dtype)  # (1 − w) ⊙ δh'
    zeros = np.zeros_like(carry)
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        arrays = noise.compiled(dtype, H)[:2]
        run_each(lambda g: loops.backward_sequence(
            gates, w_packed, gamma_x, gamma_h, b_hn, S, XH, RX, HH, RH, dh, dh_skip, d_output,
            acc_x, acc_h, acc_b, *arrays, carry, zeros, times, g.sizes, g.start),
            row_groups(schedule, cache["split"]))
    else:
        recurrent = StepProduct(HH, w_hh, dh)  # δh(t−1) = δ(h W_hhᵀ)(t) W_hh (+ dh_skip)
        for k in range(K - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            d_out = d_output[t, :n]
            if zone_h is not None:
                split_sum_(dh[:n], dh_skip[:n], d_out, zone_h[t, :n], carry[:n])
                d_out = zeros[:n]
            steps.backward_step(gates[t, :n], HH[t, :n], XH[t, :n], RX[t, :n], gamma_x,
                                gamma_h, b_hn, RH[t, :n], S[k, :n], dh[:n], dh_skip[:n],
                                d_out, acc_x[:n], acc_h[:n], acc_b[:n])
            if zone_h is not None:
                dh_skip[:n] += carry[:n]
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n], None)
    dh += dh_skip
    zero_padding_(gates, schedule)
    zero_padding_(HH, schedule)
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    grads = {"weight_hh": matmul(HH.reshape(T * B, H3).T, h_prev.reshape(T * B, H),
                                 split=bool(cache["split"])),
             "layer_norm_hh_weight": acc_h.sum(axis=0)}
    x_sums = acc_x.sum(axis=0)
    grads["layer_norm_ih_weight"] = x_sums[:H3]
    if weights["bias_ih"] is not None:
        grads["bias_ih"] = x_sums[H3:]
        grads["bias_hh"] = np.concatenate([x_sums[H3 : H3 + 2 * H], acc_b.sum(axis=0)])
    return gates, grads, dh
