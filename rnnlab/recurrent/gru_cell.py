"""The GRU unit over a whole sequence, in both forms of LECTURE §7, forward and backward.

Gates in PyTorch's order r, z, n. ``xp(t) = x(t) W_ihᵀ + b_ih`` with b_hr, b_hz folded in;
b_hn stays separate because the two forms treat it differently.

**cuDNN / PyTorch form** (``form="pytorch"``, the default)::

    r = σ(xp_r + h W_hrᵀ)      z = σ(xp_z + h W_hzᵀ)
    n = tanh(xp_n + r ⊙ (h W_hnᵀ + b_hn))
    h' = (1 − z) ⊙ n + z ⊙ h

**Lecture form** (``form="lecture"``): the reset gate acts on h *before* the product, and
the update gate weighs the new candidate::

    r = σ(W_r·[h, x])          z = σ(W_z·[h, x])
    h̃ = tanh(W·[r ⊙ h, x])    = tanh(xp_n + (r ⊙ h) W_hnᵀ + b_hn)
    h' = (1 − z) ⊙ h + z ⊙ h̃

Backward through time (pytorch form), from δh' arriving at the step::

    δn = δh' ⊙ (1 − z)   δz = δh' ⊙ (h − n)   δh = δh' ⊙ z
    δn̂ = δn ⊙ (1 − n²)   δr̂ = δn̂ ⊙ (h W_hnᵀ + b_hn) ⊙ r(1 − r)   δẑ = δz ⊙ z(1 − z)
    ∂L/∂xp = [δr̂, δẑ, δn̂]     δ(h W_hhᵀ) = [δr̂, δẑ, δn̂ ⊙ r]     δh += δ(h W_hhᵀ) W_hh

(lecture form)::

    δh̃ = δh' ⊙ z   δz = δh' ⊙ (h̃ − h)   δh = δh' ⊙ (1 − z)
    δn̂ = δh̃ ⊙ (1 − h̃²)   δ(r⊙h) = δn̂ W_hn   δr̂ = δ(r⊙h) ⊙ h ⊙ r(1 − r)   δh += δ(r⊙h) ⊙ r
    δẑ = δz ⊙ z(1 − z)    δh += [δr̂, δẑ] W_h{r,z}     ∂L/∂xp = [δr̂, δẑ, δn̂]

Memory: the gates live in ``xp`` itself (step t overwrites xp(t) with r, z, n, backward
overwrites those with ∂L/∂xp). ``HN`` (T, B, H) holds h W_hnᵀ + b_hn (pytorch form, then
δn̂ ⊙ r in backward) or r ⊙ h (lecture form). In BPTT δh' = dh + dh_skip: ``dh`` comes out of
the GEMM with W_hh, ``dh_skip`` is the part that bypasses it (δh' ⊙ z, resp. ⊙ (1 − z)).
Each step is one GEMM (two for the lecture form) plus the ``*_step`` calls below, or their
compiled twins in :mod:`rnnlab.recurrent.fused` — whichever ``kernels`` hold
(:mod:`rnnlab.recurrent.compute_path`); on the "numba+mkl" path the whole loop is one
compiled call (``forward_sequence`` / ``backward_sequence``).
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_, finish_dh_, split_sum_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack, step_operand
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_

FORMS = ("pytorch", "lecture")


def _sigmoid_(x: np.ndarray) -> None:
    """σ(x) = ½ + ½ tanh(x/2), in place."""
    np.multiply(x, 0.5, out=x)
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5


def forward_step(gates, hh, b_hn, h_prev, hn, h) -> None:
    """PyTorch form (NumPy reference). ``gates``: xp(t) in, [r, z, n] out;
    ``hh`` = h(t−1) W_hhᵀ; writes ``hn`` = hh_n + b_hn and ``h`` = h(t)."""
    H = h.shape[1]
    r_z, cand = gates[:, : 2 * H], gates[:, 2 * H :]
    r_z += hh[:, : 2 * H]
    _sigmoid_(r_z)
    np.add(hh[:, 2 * H :], b_hn, out=hn)
    cand += gates[:, :H] * hn  # n = tanh(xp_n + r ⊙ hn)
    np.tanh(cand, out=cand)
    np.subtract(h_prev, cand, out=h)  # h' = n + z ⊙ (h − n)
    h *= gates[:, H : 2 * H]
    h += cand


def backward_step(gates, hn, h_prev, dh, dh_skip, d_out, d_hh) -> None:
    """PyTorch form (NumPy reference). ``gates``: [r, z, n] in, [δr̂, δẑ, δn̂] out; ``hn`` in,
    δn̂ ⊙ r out; writes ``d_hh`` = [δr̂, δẑ, δn̂ ⊙ r]; ``dh_skip`` in: the part of δh' that
    bypassed W_hh, out: δh' ⊙ z. δh' = dh + dh_skip + d_out (``dh`` is scratch)."""
    H = h_prev.shape[1]
    r, z, cand = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    d = dh + dh_skip + d_out
    d_z = d * (h_prev - cand) * (z * (1 - z))  # δẑ = δh' ⊙ (h − n) ⊙ z(1 − z)
    d_n = d * (1 - z) * (1 - cand * cand)  # δn̂ = δh' ⊙ (1 − z) ⊙ (1 − n²)
    d_r = d_n * hn * (r * (1 - r))  # δr̂ = δn̂ ⊙ hn ⊙ r(1 − r)
    np.multiply(d, z, out=dh_skip)
    np.multiply(d_n, r, out=hn)
    r[...], z[...], cand[...] = d_r, d_z, d_n
    d_hh[:, : 2 * H] = gates[:, : 2 * H]
    d_hh[:, 2 * H :] = hn


def lecture_gates_step(gates, hh_rz, h_prev, rh) -> None:
    """Lecture form, first half (NumPy reference): r, z = σ(xp_{r,z} + hh_rz) into
    ``gates[:, :2H]``; ``rh`` = r ⊙ h(t−1)."""
    H = h_prev.shape[1]
    r_z = gates[:, : 2 * H]
    r_z += hh_rz
    _sigmoid_(r_z)
    np.multiply(gates[:, :H], h_prev, out=rh)


def lecture_state_step(gates, hh_n, b_hn, h_prev, h) -> None:
    """Lecture form, second half (NumPy reference): h̃ = tanh(xp_n + hh_n + b_hn) into
    ``gates[:, 2H:]``; h = h(t−1) + z ⊙ (h̃ − h(t−1))."""
    H = h_prev.shape[1]
    cand = gates[:, 2 * H :]
    cand += hh_n
    cand += b_hn
    np.tanh(cand, out=cand)
    np.subtract(cand, h_prev, out=h)
    h *= gates[:, H : 2 * H]
    h += h_prev


def lecture_backward_state_step(gates, h_prev, dh, dh_skip, d_out) -> None:
    """Lecture form, first half of BPTT (NumPy reference): δẑ, δn̂ into ``gates[:, H:]``;
    ``dh_skip`` becomes δh' ⊙ (1 − z), δh' = dh + dh_skip + d_out."""
    H = h_prev.shape[1]
    z, cand = gates[:, H : 2 * H], gates[:, 2 * H :]
    d = dh + dh_skip + d_out
    d_z = d * (cand - h_prev) * (z * (1 - z))  # δẑ = δh' ⊙ (h̃ − h) ⊙ z(1 − z)
    d_n = d * z * (1 - cand * cand)  # δn̂ = δh' ⊙ z ⊙ (1 − h̃²)
    np.multiply(d, 1 - z, out=dh_skip)
    z[...], cand[...] = d_z, d_n


def lecture_backward_gates_step(gates, d_rh, h_prev, dh_skip) -> None:
    """Lecture form, second half of BPTT (NumPy reference): δr̂ = δ(r⊙h) ⊙ h ⊙ r(1 − r) into
    ``gates[:, :H]``; ``dh_skip`` += δ(r⊙h) ⊙ r."""
    H = h_prev.shape[1]
    r = gates[:, :H]
    dh_skip += d_rh * r
    r[...] = d_rh * h_prev * (r * (1 - r))


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    b_hn: np.ndarray,
    h0: np.ndarray,
    schedule: Schedule,
    form: str = "pytorch",
    split: int = 0,
    *,
    kernels: Kernels,
    noise: StepNoise | None = None,
) -> tuple[np.ndarray, dict]:
    """Run the GRU over ``xp`` (T, B, 3H), which becomes the gate store. Returns states
    S (K+1, B, H) in visit order (S[0] = h0) and the backward cache. With ``split``
    (compiled time loops only), rows [:split] and [split:] run their loops on two threads
    (:func:`row_groups`). ``noise``: recurrent dropout (on h(t−1) entering W_hh — in the
    lecture form both products, r ⊙ (h ⊙ m) for W_hn) and zoneout
    (:mod:`rnnlab.recurrent.noise`); BPTT reads only h(t−1), so zoneout blends in place."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    T, dtype = xp.shape[0], xp.dtype
    S = np.empty((K + 1, B, H), dtype)
    S[0] = h0
    # rows no step writes must be zero: backward multiplies them into ∂L/∂W_hh
    HN = (np.empty if schedule.full and K == T else np.zeros)((T, B, H), dtype)
    b_hn = np.ascontiguousarray(b_hn)
    lecture = form == "lecture"
    # (H, 3H) transposed views; the lecture form splits W_hh into its r, z rows and n rows
    w_t_main = w_hh[: 2 * H].T if lecture else w_hh.T
    w_t_n = w_hh[2 * H :].T if lecture else w_hh.T[:0]
    hh = np.empty((B, w_t_main.shape[1]), dtype)  # h(t−1) W_hhᵀ, or its r, z part
    hh_n = np.empty((B, H) if lecture else (0, H), dtype)  # (r ⊙ h(t−1)) W_hnᵀ, lecture form
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "gates": xp, "HN": HN, "form": form, "split": 0, "kernels": kernels,
             "noise": noise}
    packed = pack(w_t_main, B) if loops is not None else None  # packed transposed, no copy
    if packed is not None:
        packed_n = pack(w_t_n, B) if lecture else packed[:0]  # empty: the pytorch form has one
        times = schedule.arrays[0]
        mask, zone_h, _ = noise.compiled(dtype, H)
        run_each(lambda g: loops.forward_sequence(xp, packed, packed_n, b_hn, S, HN, hh, hh_n,
                                                  hm, mask, zone_h, lecture, times, g.sizes,
                                                  g.start, g.stop),
                 row_groups(schedule, split))
        return S, {**cache, "split": split}
    mask, zone_h = noise.h_mask, noise.zoneout_h
    w_t_main, w_t_n = step_operand(w_t_main, K, B), step_operand(w_t_n, K, B)
    # h(t−1) W_hhᵀ, or W_h{r,z}ᵀ; from hm = h(t−1) ⊙ m with recurrent dropout
    recurrent = StepProduct(S if mask is None else hm[None], w_t_main, hh)
    recurrent_n = StepProduct(HN, w_t_n, hh_n) if lecture else None  # (r ⊙ h) W_hnᵀ
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        h_prev, h, gates = S[k, :n], S[k + 1, :n], xp[t, :n]
        if mask is None:
            recurrent(k, n)
        else:
            np.multiply(h_prev, mask[:n], out=hm[:n])
            recurrent(0, n)
        if not lecture:
            steps.forward_step(gates, hh[:n], b_hn, h_prev, HN[t, :n], h)
        else:
            steps.lecture_gates_step(gates, hh[:n], h_prev if mask is None else hm[:n],
                                     HN[t, :n])
            recurrent_n(t, n)
            steps.lecture_state_step(gates, hh_n[:n], b_hn, h_prev, h)
        if zone_h is not None:
            blend_(h, h_prev, zone_h[t, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
    return S, cache


def backward(
    cache: dict,
    d_output: np.ndarray,
    d_hn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_output`` (T, B, H) is ∂L/∂h(t) from above, C-contiguous, read only on
    running rows. Returns ∂L/∂xp (T, B, 3H) in time order (zero on padding; it reuses the
    gate store), ∂L/∂W_hh, ∂L/∂b_hn, ∂L/∂h0.

    With recurrent dropout, δ after each product with W_hh (or W_hn, in the lecture form)
    is multiplied by the mask; with zoneout, δh' is split before the step and the carried
    share joins ``dh_skip`` after it."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, gates, HN, form = cache["S"], cache["gates"], cache["HN"], cache["form"]
    noise = cache["noise"]
    mask, zone_h = noise.h_mask, noise.zoneout_h
    K, B, H = schedule.steps, S.shape[1], S.shape[2]
    dh = d_hn.copy()
    dh_skip = np.zeros_like(dh)
    w_rz, w_n = w_hh[: 2 * H], w_hh[2 * H :]
    lecture = form == "lecture"
    d_hh = np.empty((B, 3 * H), S.dtype)  # ∂L/∂(h W_hhᵀ), pytorch form
    d_rh = np.empty((B, H), S.dtype)  # δ(r⊙h) = δn̂ W_hn, lecture form
    carry = np.empty((B, H) if zone_h is not None else (0, H), S.dtype)  # (1 − w) ⊙ δh'
    zeros = np.zeros_like(carry)  # δh from above, once zoneout has taken it into dh
    packed = pack(w_n if lecture else w_hh, B) if loops is not None else None
    if packed is not None:
        packed_rz = pack(w_rz, B) if lecture else packed[:0]  # empty: only the lecture form
        times = schedule.arrays[0]
        arrays = noise.compiled(S.dtype, H)[:2]
        run_each(lambda g: loops.backward_sequence(gates, packed, packed_rz, S, HN, dh, dh_skip,
                                                   d_output, d_hh, d_rh, *arrays, carry, zeros,
                                                   lecture, times, g.sizes, g.start),
                 row_groups(schedule, cache["split"]))
    else:
        if not lecture:
            recurrent = StepProduct(d_hh[None], w_hh, dh)  # δh(t−1) = δ(h W_hhᵀ) W_hh
        else:
            recurrent_n = StepProduct(gates[:, :, 2 * H :], w_n, d_rh)  # δ(r⊙h) = δn̂ W_hn
            recurrent_rz = StepProduct(gates[:, :, : 2 * H], w_rz, dh)  # δh(t−1) = δ[r,z] W_rz
        for k in range(K - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            g, h_prev, d_out = gates[t, :n], S[k, :n], d_output[t, :n]
            if zone_h is not None:
                split_sum_(dh[:n], dh_skip[:n], d_out, zone_h[t, :n], carry[:n])
                d_out = zeros[:n]
            if not lecture:
                steps.backward_step(g, HN[t, :n], h_prev, dh[:n], dh_skip[:n], d_out, d_hh[:n])
            else:
                steps.lecture_backward_state_step(g, h_prev, dh[:n], dh_skip[:n], d_out)
            if zone_h is not None:
                dh_skip[:n] += carry[:n]
            if not lecture:
                recurrent(0, n)
            else:
                recurrent_n(t, n)
                if mask is not None:  # δ(r ⊙ h ⊙ m) ⊙ m: r's and h's shares both masked
                    d_rh[:n] *= mask[:n]
                steps.lecture_backward_gates_step(g, d_rh[:n], h_prev, dh_skip[:n])
                recurrent_rz(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n], None)
    dh += dh_skip
    zero_padding_(gates, schedule)
    T = gates.shape[0]
    flat = gates.reshape(T * B, 3 * H)
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the products read
    h_prev = h_prev.reshape(T * B, H)
    d_w_hh = np.empty_like(w_hh)
    split = bool(cache["split"])
    d_w_hh[: 2 * H] = matmul(flat[:, : 2 * H].T, h_prev, split=split)
    if form == "pytorch":  # HN now holds δn̂ ⊙ r, the n part of ∂L/∂(h W_hhᵀ)
        d_w_hh[2 * H :] = matmul(HN.reshape(T * B, H).T, h_prev, split=split)
        d_b_hn = HN.sum(axis=(0, 1))
    else:  # HN holds r ⊙ h (⊙ m), the input of W_hn
        d_w_hh[2 * H :] = matmul(flat[:, 2 * H :].T, HN.reshape(T * B, H), split=split)
        d_b_hn = flat[:, 2 * H :].sum(axis=0)
    return gates, d_w_hh, d_b_hn, dh
