"""The LSTM with a projection (LSTMP, PyTorch's ``proj_size``) over a whole sequence, forward
and backward through time.

The cell is LECTURE §6's LSTM (:mod:`rnnlab.recurrent.lstm_cell`) whose hidden state is
projected to P < H units by a matrix W_hr (P, H) before it leaves the step — it is the
output and the next step's recurrent input, so W_hh is (4H, P)::

    [i, f, g, o](t) = xp(t) + h(t−1) W_hhᵀ            xp(t) = x(t) W_ihᵀ + b_ih + b_hh
    c(t) = f ⊙ c(t−1) + i ⊙ g
    m(t) = o ⊙ tanh(c(t))                             (H wide: the plain LSTM's h)
    h(t) = m(t) W_hrᵀ = W_hr (o ⊙ tanh c(t))           (P wide)

Backward through time, with δh(t) (P wide) arriving from the output and from step t+1::

    δm(t) = δh(t) W_hr                                ∂L/∂W_hr = Σ_t δh(t)ᵀ m(t)
    the LSTM step backward from δm(t) and δc(t) → δz(t), δc(t−1)   (lstm_cell.backward_step)
    δh(t−1) = δz(t) W_hh                              ∂L/∂W_hh = Σ_t δz(t)ᵀ h(t−1)

Recurrent dropout and zoneout (:mod:`rnnlab.recurrent.noise`) act as on the plain LSTM,
with h P wide: the mask multiplies h(t−1) where it enters h(t−1) W_hhᵀ; zoneout blends the
projected h(t) = W_hr m̃(t) and c(t) with their previous values, and BPTT splits δh(t) and
δc(t) before the step (δh's kept share is what reaches W_hr).

Each step is two products (h(t−1) W_hhᵀ and m(t) W_hrᵀ) around the plain LSTM step; its
backward is two products (δh W_hr and δz W_hh) around the plain LSTM backward step. Both
weight gradients are one GEMM over all steps after the loop, from the stored m(t) (M, time
order) and δh(t) (DH, time order). The step kernels are the plain LSTM's (NumPy reference
or compiled twins, :mod:`rnnlab.recurrent.compute_path`); on the "numba+mkl" path the whole
loop is one compiled call (:mod:`rnnlab.recurrent.fused.lstm_projection_steps`).

The ONNX LSTM operator has no projection, so such a layer does not export to ONNX.
"""

from __future__ import annotations

import sys

import numpy as np

from rnnlab.recurrent import compute_path
from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.lstm_cell import backward_step, forward_step
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_, blend_into, finish_dh_, split_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack, step_operand
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_

__all__ = ["forward_step", "backward_step", "projected_kernels", "forward", "backward"]

COMPILED = "rnnlab.recurrent.fused.lstm_projection_steps"


def projected_kernels(kernels: Kernels) -> Kernels:
    """The projected loop's kernels on the path of the plain LSTM's ``kernels``."""
    return compute_path.kernels(sys.modules[__name__], COMPILED, kernels.path)


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    w_hr: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    schedule: Schedule,
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the LSTMP over ``xp`` (T, B, 4H), which becomes the gate store. Returns the
    hidden states S (K+1, B, P) and cell states C (K+1, B, H) in visit order, S[0] = h0,
    C[0] = c0, and the backward cache. ``kernels``: this module's
    (:func:`projected_kernels`). With ``split`` (compiled time loops only), rows [:split]
    and [split:] run their loops on two threads. ``noise``: recurrent dropout and zoneout
    (module docstring)."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, P = schedule.steps, h0.shape[0], h0.shape[1]
    T, H = xp.shape[0], c0.shape[1]
    S = np.empty((K + 1, B, P), xp.dtype)
    C = np.empty((K + 1, B, H), xp.dtype)
    S[0], C[0] = h0, c0
    C_new = C if noise.zoneout_c is None else np.empty_like(C)  # c̃(t), read by BPTT
    # m(t) by time; rows no step writes stay zero, as backward multiplies them by δh = 0
    M = (np.empty if schedule.full and K == T else np.zeros)((T, B, H), xp.dtype)
    hh = np.empty((B, 4 * H), xp.dtype)
    hm = np.empty((B, P) if noise.h_mask is not None else (0, P), xp.dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "C": C, "C_new": C_new, "M": M, "gates": xp, "split": 0,
             "kernels": kernels, "noise": noise}
    w_packed = pack(w_hh.T, B) if loops is not None else None  # packed transposed, no copy
    if w_packed is not None:
        r_packed = pack(w_hr.T, B)
        times = schedule.arrays[0]
        mask, zone_h, _ = noise.compiled(xp.dtype, P)
        zone_c = noise.compiled(xp.dtype, H)[2]
        run_each(lambda g: loops.forward_sequence(xp, w_packed, r_packed, S, C, C_new, M, hh,
                                                  hm, mask, zone_h, zone_c, times, g.sizes,
                                                  g.start, g.stop),
                 row_groups(schedule, split))
        return S, C, {**cache, "split": split}
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    # hh = S[k] W_hhᵀ, or (S[k] ⊙ m) W_hhᵀ from hm
    recurrent = StepProduct(S if mask is None else hm[None], step_operand(w_hh.T, K, B), hh)
    projection = StepProduct(M, step_operand(w_hr.T, K, B), S)  # S[k+1] = M[t] W_hrᵀ
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n)
        steps.forward_step(xp[t, :n], hh[:n], C[k, :n], C_new[k + 1, :n], M[t, :n])
        projection(t, n, k + 1)
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
    w_hr: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_output`` (T, B, P) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂xp (T, B, 4H) in time order (zero on padding; it reuses the
    gate store), ∂L/∂W_hh, ∂L/∂W_hr, ∂L/∂h0, ∂L/∂c0."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, C, C_new, M, gates = cache["S"], cache["C"], cache["C_new"], cache["M"], cache["gates"]
    noise = cache["noise"]
    K = schedule.steps
    T, B, H4 = gates.shape
    P, H = d_hn.shape[1], H4 // 4
    dh = d_hn.copy()
    dc = d_cn.copy()
    DH = (np.empty if schedule.full and K == T else np.zeros)((T, B, P), dh.dtype)  # δh̃(t)
    dm = np.empty((B, H), dh.dtype)
    zeros = np.zeros_like(dm)  # the step's δh from above: all of it is in dm already
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    carry_h = np.empty((B, P) if zone_h is not None else (0, P), dh.dtype)  # (1 − w) ⊙ δh
    carry_c = np.empty((B, H) if zone_c is not None else (0, H), dh.dtype)
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        r_packed = pack(w_hr, B)
        times = schedule.arrays[0]
        mask_a, zone_h_a, _ = noise.compiled(dh.dtype, P)
        zone_c_a = noise.compiled(dh.dtype, H)[2]
        run_each(lambda g: loops.backward_sequence(gates, w_packed, r_packed, C, C_new, dh, dc,
                                                   DH, dm, zeros, d_output, mask_a, zone_h_a,
                                                   zone_c_a, carry_h, carry_c, times, g.sizes,
                                                   g.start),
                 row_groups(schedule, cache["split"]))
    else:
        recurrent = StepProduct(gates, w_hh, dh)  # δh(t−1) = δz(t) W_hh
        projection = StepProduct(DH, w_hr, dm)  # δm(t) = δh̃(t) W_hr
        for k in range(K - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            np.add(dh[:n], d_output[t, :n], out=DH[t, :n])
            if zone_h is not None:
                split_(DH[t, :n], zone_h[t, :n], carry_h[:n])
            projection(t, n)
            if zone_c is not None:
                split_(dc[:n], zone_c[t, :n], carry_c[:n])
            steps.backward_step(gates[t, :n], C[k, :n], C_new[k + 1, :n], dm[:n], zeros[:n],
                                dc[:n])
            if zone_c is not None:
                dc[:n] += carry_c[:n]
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n],
                       None if zone_h is None else carry_h[:n])
    zero_padding_(gates, schedule)
    split = bool(cache["split"])
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    h_prev = h_prev.reshape(T * B, P)
    d_w_hh = matmul(gates.reshape(T * B, H4).T, h_prev, split=split)
    d_w_hr = matmul(DH.reshape(T * B, P).T, M.reshape(T * B, -1), split=split)
    return gates, d_w_hh, d_w_hr, dh, dc
