"""The layer-normalised LSTM (Ba et al. 2016; kind ``lstm_ln``, ``LSTM(layer_norm=True)``)
over a whole sequence, forward and backward through time.

LECTURE §6's LSTM with three normalisations (:mod:`rnnlab.recurrent.layer_norm`; per gate
block, ε = 1e-5): of the input projection, of the recurrent product, and of the cell state
before its tanh. With LN_γ(a) = γ ⊙ â applied to each of the blocks i, f, g, o::

    [i, f, g, o](t) = LN_γx(x(t) W_ihᵀ) + b_ih + LN_γh(h(t−1) W_hhᵀ) + b_hh
    i = σ(i)   f = σ(f)   g = tanh(g)   o = σ(o)
    c(t) = f ⊙ c(t−1) + i ⊙ g                         (the state carried on: not normalised)
    h(t) = o ⊙ tanh(γc ⊙ ĉ(t) + βc)                   ĉ = c normalised over its H units

b_ih and b_hh are the shifts of the two gate normalisations (LN's β; with ``bias=False``
there are none); the cell normalisation has its own gain and shift. Parameters, per layer
k and direction (``_reverse``), beside PyTorch's LSTM ones::

    layer_norm_ih_weight_l{k}    γx (4H), initialised to 1
    layer_norm_hh_weight_l{k}    γh (4H), 1
    layer_norm_cell_weight_l{k}  γc (H),  1
    layer_norm_cell_bias_l{k}    βc (H),  0

Backward through time, δh(t), δc(t) arriving from the output and from step t+1::

    τ = tanh(γc ⊙ ĉ + βc)     δo = δh ⊙ τ     δc̄ = δh ⊙ o ⊙ (1 − τ²)
    ∂L/∂γc += δc̄ ⊙ ĉ    ∂L/∂βc += δc̄    δc += LN backward of γc ⊙ δc̄
    δi, δf, δg, δc(t−1) and the pre-activations δz(t) as in the plain LSTM
    ∂L/∂γh += δz ⊙ ĥ    δ(h W_hhᵀ) = LN backward of γh ⊙ δz    δh(t−1) = δ(h W_hhᵀ) W_hh
    ∂L/∂γx += δz ⊙ x̂    ∂L/∂b_ih, ∂L/∂b_hh += δz    ∂L/∂xp = LN backward of γx ⊙ δz

and after the loop ∂L/∂x and ∂L/∂W_ih (in the layer function) and ∂L/∂W_hh = Σ_t
δ(h W_hhᵀ)(t)ᵀ h(t−1), one GEMM each over all steps.

So the input projection stays one GEMM over all steps (xp = x W_ihᵀ, before the loop).
Its normalisation is elementwise per row and step, and could run over all rows before the
loop; it runs inside the step instead, on the rows the step is about to use: there it
shares the step's pass over xp(t) while the row is in cache, and it runs on the row-group
threads of a split batch (:mod:`rnnlab.recurrent.parallel`) with no hand-off of its own;
its backward likewise follows the step's, on δz(t) just written. Each step is one product
and one fused elementwise call (both gate normalisations, gates, c, its normalisation,
h). Stores: x̂ (``XH``), the recurrent product normalised in place (``HH``, then its δ in
backward), ĉ (``CH``) and the reciprocal deviations; the gains' and shifts' gradients are
summed per row during BPTT (a row belongs to one thread) and over rows after it.

Recurrent dropout and zoneout (:mod:`rnnlab.recurrent.noise`) act as on the plain LSTM:
the mask on h(t−1) where it enters W_hh, zoneout blending h(t) and c(t) after the step and
splitting δh, δc before the step's backward. Step kernels here (NumPy reference) and in
:mod:`rnnlab.recurrent.fused.lstm_ln_steps` (compiled twins and whole compiled loops).
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.layer_norm import normalize_, normalize_backward_
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_, blend_into, finish_dh_, split_
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


def forward_step(gates, hh, x_hat, rstd_x, gamma_x, shift, gamma_h, c_prev, c, c_hat,
                 gamma_c, beta_c, rstd_h, rstd_c, h) -> None:
    """One step over the running rows (NumPy reference). ``gates``: xp(t) = x W_ihᵀ in,
    activated [i, f, g, o] out; x̂ into ``x_hat`` (r into ``rstd_x``, (n, 4)); ``hh``:
    h(t−1) W_hhᵀ in, ĥ out (r into ``rstd_h``); writes c(t) into ``c``, ĉ into ``c_hat``
    (r into ``rstd_c``, (n, 1)) and h(t). ``shift`` = b_ih + b_hh."""
    H = c.shape[1]
    x_hat[...] = gates
    normalize_(x_hat, rstd_x)
    normalize_(hh, rstd_h)
    np.multiply(gamma_x, x_hat, out=gates)
    gates += shift
    gates += gamma_h * hh
    _sigmoid_(gates[:, : 2 * H])
    np.tanh(gates[:, 2 * H : 3 * H], out=gates[:, 2 * H : 3 * H])
    _sigmoid_(gates[:, 3 * H :])
    i, f, g, o = (gates[:, s * H : (s + 1) * H] for s in range(4))
    np.multiply(f, c_prev, out=c)
    c += i * g
    c_hat[...] = c
    normalize_(c_hat, rstd_c)
    np.tanh(gamma_c * c_hat + beta_c, out=h)
    h *= o


def backward_step(gates, hh, x_hat, rstd_x, gamma_x, gamma_h, c_prev, c_hat, gamma_c, beta_c,
                  rstd_h, rstd_c, dh, d_out, dc, acc_x, acc_h, acc_c) -> None:
    """One step of BPTT (NumPy reference). ``gates``: [i, f, g, o] in, ∂L/∂xp(t) out (the
    LN backward of γx ⊙ δz); ``hh``: ĥ in, δ(h W_hhᵀ) out; ``dc``: δc(t) in, δc(t−1) out;
    δh = ``dh`` + ``d_out`` (``dh`` is scratch). Adds [δz ⊙ x̂, δz] to ``acc_x`` (n, 8H),
    δz ⊙ ĥ to ``acc_h`` (n, 4H) and [δc̄ ⊙ ĉ, δc̄] to ``acc_c`` (n, 2H)."""
    H = c_hat.shape[1]
    i, f, g, o = (gates[:, s * H : (s + 1) * H] for s in range(4))
    tc = np.tanh(gamma_c * c_hat + beta_c)
    d_h = np.add(dh, d_out, out=dh)
    d_cbar = d_h * o * (1 - tc * tc)  # δc̄ = δh ⊙ o ⊙ (1 − τ²)
    acc_c[:, :H] += d_cbar * c_hat
    acc_c[:, H:] += d_cbar
    d_chat = gamma_c * d_cbar
    normalize_backward_(d_chat, c_hat, rstd_c)
    dc += d_chat
    d_i = dc * g * (i * (1 - i))
    d_f = dc * c_prev * (f * (1 - f))
    d_g = dc * (i * (1 - g * g))
    d_o = d_h * tc * (o * (1 - o))
    dc *= f
    i[...], f[...], g[...], o[...] = d_i, d_f, d_g, d_o  # δz
    acc_h += gates * hh
    d_hh = gamma_h * gates
    normalize_backward_(d_hh, hh, rstd_h)
    hh[...] = d_hh
    acc_x[:, : 4 * H] += gates * x_hat
    acc_x[:, 4 * H :] += gates
    gates *= gamma_x
    normalize_backward_(gates, x_hat, rstd_x)


def _shift(weights: Weights, gate_rows: int, dtype: np.dtype) -> np.ndarray:
    """b_ih + b_hh, the two gate normalisations' shifts (zeros without bias)."""
    if weights["bias_ih"] is None:
        return np.zeros(gate_rows, dtype)
    return weights["bias_ih"] + weights["bias_hh"]


def forward(
    xp: np.ndarray,
    weights: Weights,
    h0: np.ndarray,
    c0: np.ndarray,
    schedule: Schedule,
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the cell over ``xp`` = x W_ihᵀ (T, B, 4H, no bias), which becomes the gate
    store. Returns hidden states S and cell states C, (K+1, B, H) in visit order, and the
    backward cache. ``weights``: one direction's (module docstring). With ``split``
    (compiled time loops only), rows [:split] and [split:] run their loops on two threads;
    ``noise``: recurrent dropout and zoneout."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    T, dtype = xp.shape[0], xp.dtype
    w_hh = weights["weight_hh"]
    gamma_x, gamma_h = weights["layer_norm_ih_weight"], weights["layer_norm_hh_weight"]
    gamma_c, beta_c = weights["layer_norm_cell_weight"], weights["layer_norm_cell_bias"]
    shift = _shift(weights, 4 * H, dtype)
    fresh = np.empty if schedule.full and K == T else np.zeros  # rows no step writes: zero
    XH = np.empty_like(xp)  # x̂
    RX = np.empty((T, B, 4), dtype)
    HH = fresh((T, B, 4 * H), dtype)  # h(t−1) W_hhᵀ → ĥ → δ(h W_hhᵀ)
    RH = np.empty((T, B, 4), dtype)
    CH = np.empty((T, B, H), dtype)  # ĉ
    RC = np.empty((T, B, 1), dtype)
    S = np.empty((K + 1, B, H), dtype)
    C = np.empty((K + 1, B, H), dtype)
    S[0], C[0] = h0, c0
    C_new = C if noise.zoneout_c is None else np.empty_like(C)  # c̃(t) before zoneout
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "C": C, "gates": xp, "XH": XH, "RX": RX, "HH": HH, "RH": RH, "CH": CH,
             "RC": RC, "split": 0, "kernels": kernels, "noise": noise}
    w_packed = pack(w_hh.T, B) if loops is not None else None  # packed transposed, no copy
    if w_packed is not None:
        times = schedule.arrays[0]
        mask, zone_h, zone_c = noise.compiled(dtype, H)
        run_each(lambda g: loops.forward_sequence(
            xp, w_packed, gamma_x, shift, gamma_h, gamma_c, beta_c, S, C, C_new, XH, RX, HH,
            RH, CH, RC, hm, mask, zone_h, zone_c, times, g.sizes, g.start, g.stop),
            row_groups(schedule, split))
        return S, C, {**cache, "split": split}
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    # HH[t] = S[k] W_hhᵀ, or (S[k] ⊙ m) W_hhᵀ from hm
    recurrent = StepProduct(S if mask is None else hm[None], step_operand(w_hh.T, K, B), HH)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n, t)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n, t)
        steps.forward_step(xp[t, :n], HH[t, :n], XH[t, :n], RX[t, :n], gamma_x, shift,
                           gamma_h, C[k, :n], C_new[k + 1, :n], CH[t, :n], gamma_c, beta_c,
                           RH[t, :n], RC[t, :n], S[k + 1, :n])
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
    weights: Weights,
    schedule: Schedule,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """BPTT. ``d_output`` (T, B, H) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂xp (T, B, 4H) in time order (zero on padding; it reuses the
    gate store), the parameters' gradients by name (W_hh, both biases, the four
    normalisation parameters), ∂L/∂h0, ∂L/∂c0."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, C, gates, HH, CH = cache["S"], cache["C"], cache["gates"], cache["HH"], cache["CH"]
    XH, RX, RH, RC, noise = cache["XH"], cache["RX"], cache["RH"], cache["RC"], cache["noise"]
    w_hh = weights["weight_hh"]
    gamma_x, gamma_h = weights["layer_norm_ih_weight"], weights["layer_norm_hh_weight"]
    gamma_c, beta_c = weights["layer_norm_cell_weight"], weights["layer_norm_cell_bias"]
    K = schedule.steps
    T, B, H4 = gates.shape
    H = H4 // 4
    dtype = gates.dtype
    dh = d_hn.copy()
    dc = d_cn.copy()
    acc_x = np.zeros((B, 2 * H4), dtype)  # Σ_t [δz ⊙ x̂, δz], per row
    acc_h = np.zeros((B, H4), dtype)  # Σ_t δz ⊙ ĥ, per row
    acc_c = np.zeros((B, 2 * H), dtype)  # Σ_t [δc̄ ⊙ ĉ, δc̄], per row
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    zoned = zone_h is not None or zone_c is not None
    carry_h = np.empty((B, H) if zoned else (0, H), dtype)  # (1 − w) ⊙ δ past the cell
    carry_c = np.empty_like(carry_h)
    zeros = np.zeros_like(carry_h)  # δh from above, once zoneout has taken it into dh
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        arrays = noise.compiled(dtype, H)
        run_each(lambda g: loops.backward_sequence(
            gates, w_packed, gamma_x, gamma_h, gamma_c, beta_c, C, XH, RX, HH, RH, CH, RC, dh,
            dc, d_output, acc_x, acc_h, acc_c, *arrays, carry_h, carry_c, zeros, times,
            g.sizes, g.start),
            row_groups(schedule, cache["split"]))
    else:
        recurrent = StepProduct(HH, w_hh, dh)  # δh(t−1) = δ(h W_hhᵀ)(t) W_hh
        for k in range(K - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            d_out = d_output[t, :n]
            if zone_h is not None:  # δh(t) = dh + d_out, split between h̃(t) and h(t−1)
                dh[:n] += d_out
                d_out = zeros[:n]
                split_(dh[:n], zone_h[t, :n], carry_h[:n])
            if zone_c is not None:
                split_(dc[:n], zone_c[t, :n], carry_c[:n])
            steps.backward_step(gates[t, :n], HH[t, :n], XH[t, :n], RX[t, :n], gamma_x,
                                gamma_h, C[k, :n], CH[t, :n], gamma_c, beta_c, RH[t, :n],
                                RC[t, :n], dh[:n], d_out, dc[:n], acc_x[:n], acc_h[:n],
                                acc_c[:n])
            if zone_c is not None:
                dc[:n] += carry_c[:n]
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n],
                       None if zone_h is None else carry_h[:n])
    zero_padding_(gates, schedule)
    zero_padding_(HH, schedule)
    split = bool(cache["split"])
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    x_sums, c_sums = acc_x.sum(axis=0), acc_c.sum(axis=0)
    grads = {"weight_hh": matmul(HH.reshape(T * B, H4).T, h_prev.reshape(T * B, H),
                                 split=split),
             "layer_norm_ih_weight": x_sums[:H4],
             "layer_norm_hh_weight": acc_h.sum(axis=0),
             "layer_norm_cell_weight": c_sums[:H],
             "layer_norm_cell_bias": c_sums[H:]}
    if weights["bias_ih"] is not None:
        grads["bias_ih"], grads["bias_hh"] = x_sums[H4:], x_sums[H4:].copy()
    return gates, grads, dh, dc
