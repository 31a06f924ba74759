"""The plain RNN unit over a whole sequence, forward and backward through time (LECTURE §2, §4).

Forward, for each visited time step t (see :mod:`rnnlab.recurrent.schedule`)::

    a(t) = x(t) W_ihᵀ + b_ih + h(t−1) W_hhᵀ + b_hh      (x(t) W_ihᵀ + b_ih + b_hh is ``xp``)
    h(t) = σ(a(t))                                   σ ∈ {tanh, logistic sigmoid, relu}

Backward through time (BPTT, LECTURE §4): with δh(t) = ∂L/∂h(t) gathered from the output
and from step t+1,

    δa(t)   = σ'(a(t)) ⊙ δh(t)          σ' written through h: 1−h², h(1−h), [h>0]
    δh(t−1) = δa(t) W_hh                 (the recurrence)
    ∂L/∂W_hh = Σ_t δa(t)ᵀ h(t−1),   ∂L/∂b_hh = Σ_t δa(t),   ∂L/∂xp(t) = δa(t)

The weight gradient is formed once after the loop with one GEMM over all steps. Backward
writes δa(t) over xp(t), which forward keeps for the purpose. Each step is one GEMM plus
one call to ``forward_step`` / ``backward_step`` below, or to their compiled twins in
:mod:`rnnlab.recurrent.fused` — whichever ``kernels`` hold
(:mod:`rnnlab.recurrent.compute_path`); on the "numba+mkl" path the whole loop is one
compiled call (``forward_sequence`` / ``backward_sequence``).
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_into, finish_dh_, split_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack, step_operand
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_

NONLINEARITIES = ("tanh", "sigmoid", "relu")


def forward_step(h: np.ndarray, xp_t: np.ndarray, activation: int) -> None:
    """NumPy reference. ``h``: h(t−1) W_hhᵀ in, h(t) = σ(xp(t) + h(t−1) W_hhᵀ) out;
    ``activation`` indexes NONLINEARITIES."""
    h += xp_t
    if activation == 0:
        np.tanh(h, out=h)
    elif activation == 1:  # σ(a) = ½ + ½ tanh(a/2), overflow-free
        np.multiply(h, 0.5, out=h)
        np.tanh(h, out=h)
        h *= 0.5
        h += 0.5
    else:
        np.maximum(h, 0.0, out=h)


def backward_step(
    da: np.ndarray, h: np.ndarray, dh: np.ndarray, d_out: np.ndarray, activation: int
) -> None:
    """NumPy reference. Writes ``da`` = σ'(a) ⊙ (dh + d_out), σ' through h = σ(a)."""
    d = np.add(dh, d_out, out=dh)  # dh is scratch: the GEMM after the step overwrites it
    if activation == 0:
        np.multiply(h, h, out=da)
        np.subtract(1.0, da, out=da)
    elif activation == 1:
        np.subtract(1.0, h, out=da)
        da *= h
    else:
        np.greater(h, 0.0, out=da)
    da *= d


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    h0: np.ndarray,
    schedule: Schedule,
    nonlinearity: str = "tanh",
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, dict]:
    """Run the unit over ``xp`` (T, B, H). Returns the states S (K+1, B, H) in visit order
    (S[0] = h0) and what backward needs (``xp`` included: backward overwrites it). With
    ``split`` (compiled time loops only), rows [:split] and [split:] run their loops on two
    threads (:func:`row_groups`). ``noise``: recurrent dropout and zoneout
    (:mod:`rnnlab.recurrent.noise`); with zoneout the unit's own h̃(t), which BPTT reads, is
    kept apart from the blended S."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    activation = NONLINEARITIES.index(nonlinearity)
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    S = np.empty((K + 1, B, H), dtype=xp.dtype)
    S[0] = h0
    S_new = S if noise.zoneout_h is None else np.empty_like(S)  # h̃(t), read by BPTT
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), xp.dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "S_new": S_new, "xp": xp, "activation": activation, "split": 0,
             "kernels": kernels, "noise": noise}
    w_packed = pack(w_hh.T, B) if loops is not None else None  # packed transposed, no copy
    if w_packed is not None:
        times = schedule.arrays[0]
        mask, zone_h, _ = noise.compiled(xp.dtype, H)
        run_each(lambda g: loops.forward_sequence(xp, w_packed, S, S_new, hm, mask, zone_h,
                                                  activation, times, g.sizes, g.start, g.stop),
                 row_groups(schedule, split))
        return S, {**cache, "split": split}
    w_hh_t = step_operand(w_hh.T, K, B)  # a C copy where the loop repays it
    mask, zone_h = noise.h_mask, noise.zoneout_h
    # S_new[k+1, :n] = S[k, :n] W_hhᵀ, or (S[k, :n] ⊙ m) W_hhᵀ from hm
    recurrent = StepProduct(S if mask is None else hm[None], w_hh_t, S_new)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n, k + 1)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n, k + 1)
        steps.forward_step(S_new[k + 1, :n], xp[t, :n], activation)
        if zone_h is not None:
            blend_into(S[k + 1, :n], S_new[k + 1, :n], S[k, :n], zone_h[t, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
    return S, cache


def backward(
    cache: dict,
    d_output: np.ndarray,
    d_hn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_output`` (T, B, H) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂a (T, B, H) in time order, zero on padding — equal to ∂L/∂xp
    and to ∂L/∂b per step — ∂L/∂W_hh and ∂L/∂h0."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, S_new, dA, activation = cache["S"], cache["S_new"], cache["xp"], cache["activation"]
    noise = cache["noise"]
    mask, zone_h = noise.h_mask, noise.zoneout_h
    dh = d_hn.copy()
    B, H = dh.shape
    carry = np.empty((B, H) if zone_h is not None else (0, H), dh.dtype)  # (1 − w) ⊙ δh
    zeros = np.zeros_like(carry)  # δh from above, once zoneout has taken it into dh
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        arrays = noise.compiled(dh.dtype, H)[:2]
        run_each(lambda g: loops.backward_sequence(dA, w_packed, S_new, dh, d_output, *arrays,
                                                   carry, zeros, activation, times, g.sizes,
                                                   g.start),
                 row_groups(schedule, cache["split"]))
    else:
        recurrent = StepProduct(dA, w_hh, dh)  # δh(t−1) = δa(t) W_hh
        for k in range(schedule.steps - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            d_out = d_output[t, :n]
            if zone_h is not None:  # δh(t) = dh + d_out, split between h̃(t) and h(t−1)
                dh[:n] += d_out
                d_out = zeros[:n]
                split_(dh[:n], zone_h[t, :n], carry[:n])
            steps.backward_step(dA[t, :n], S_new[k + 1, :n], dh[:n], d_out, activation)
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n],
                       None if zone_h is None else carry[:n])
    zero_padding_(dA, schedule)
    T = dA.shape[0]
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    d_w_hh = matmul(dA.reshape(T * B, H).T, h_prev.reshape(T * B, H), split=bool(cache["split"]))
    return dA, d_w_hh, dh
