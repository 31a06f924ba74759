"""The plain RNN unit over a whole sequence, forward and backward through time (LECTURE §2, §4).

Forward, for each visited time step t (see :mod:`rnnlab.recurrent.schedule`)::

    a(t) = x(t) W_ihᵀ + b_ih + h(t−1) W_hhᵀ + b_hh      (x(t) W_ihᵀ + b_ih + b_hh is ``xp``)
    h(t) = σ(a(t))                                   σ ∈ {tanh, logistic sigmoid, relu}

Backward through time (BPTT, LECTURE §4): with δh(t) = ∂L/∂h(t) gathered from the output
and from step t+1,

    δa(t)   = σ'(a(t)) ⊙ δh(t)          σ' written through h: 1−h², h(1−h), [h>0]
    δh(t−1) = δa(t) W_hh                 (the recurrence)
    ∂L/∂W_hh = Σ_t δa(t)ᵀ h(t−1),   ∂L/∂b_hh = Σ_t δa(t),   ∂L/∂xp(t) = δa(t)

The weight gradient is formed once after the loop with one GEMM over all steps.
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.schedule import Schedule

NONLINEARITIES = ("tanh", "sigmoid", "relu")


def _activate(a: np.ndarray, out: np.ndarray, nonlinearity: str) -> None:
    if nonlinearity == "tanh":
        np.tanh(a, out=out)
    elif nonlinearity == "sigmoid":  # σ(a) = ½(1 + tanh(a/2)), overflow-free
        np.multiply(a, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
    else:
        np.maximum(a, 0.0, out=out)


def _derivative_from_output(h: np.ndarray, out: np.ndarray, nonlinearity: str) -> None:
    """σ'(a) expressed through h = σ(a)."""
    if nonlinearity == "tanh":
        np.multiply(h, h, out=out)
        np.subtract(1.0, out, out=out)
    elif nonlinearity == "sigmoid":
        np.subtract(1.0, h, out=out)
        out *= h
    else:
        np.greater(h, 0.0, out=out)


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    h0: np.ndarray,
    schedule: Schedule,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, dict]:
    """Run the unit over ``xp`` (T, B, H). Returns the states S (K+1, B, H) in visit order
    (S[0] = h0) and what backward needs."""
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    S = np.empty((K + 1, B, H), dtype=xp.dtype)
    S[0] = h0
    w_hh_t = w_hh.T
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        a = S[k + 1, :n]
        np.matmul(S[k, :n], w_hh_t, out=a)
        a += xp[t, :n]
        _activate(a, a, nonlinearity)
        if n < B:
            S[k + 1, n:] = S[k, n:]
    return S, {"S": S, "nonlinearity": nonlinearity}


def backward(
    cache: dict,
    d_states: np.ndarray,
    d_hn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. ``d_states`` (K, B, H) is ∂L/∂h at each visited step (zero on padding).

    Returns ∂L/∂a in visit order (K, B, H) — equal to ∂L/∂xp and to ∂L/∂b per step —
    ∂L/∂W_hh and ∂L/∂h0.
    """
    S, nonlinearity = cache["S"], cache["nonlinearity"]
    K = schedule.steps
    dA = np.zeros_like(d_states)
    dh = d_hn.copy()
    for k in range(K - 1, -1, -1):
        n = schedule.sizes[k]
        da = dA[k, :n]
        dh[:n] += d_states[k, :n]
        _derivative_from_output(S[k + 1, :n], da, nonlinearity)
        da *= dh[:n]
        np.matmul(da, w_hh, out=dh[:n])
    H = S.shape[2]
    d_w_hh = dA.reshape(-1, H).T @ S[:-1].reshape(-1, H)
    return dA, d_w_hh, dh
