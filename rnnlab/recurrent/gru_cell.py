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
"""

from __future__ import annotations

import numpy as np

from rnnlab.recurrent.schedule import Schedule

FORMS = ("pytorch", "lecture")


def _sigmoid_(x: np.ndarray) -> None:
    np.multiply(x, 0.5, out=x)
    np.tanh(x, out=x)
    x += 1.0
    x *= 0.5


def forward(
    xp: np.ndarray,
    w_hh: np.ndarray,
    b_hn: np.ndarray,
    h0: np.ndarray,
    schedule: Schedule,
    form: str = "pytorch",
) -> tuple[np.ndarray, dict]:
    """Run the GRU over ``xp`` (T, B, 3H). Returns states S (K+1, B, H) in visit order."""
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    dtype = xp.dtype
    S = np.empty((K + 1, B, H), dtype)
    G = np.empty((K, B, 3 * H), dtype)  # activated r, z, n
    # pytorch form: h W_hnᵀ + b_hn; lecture form: r ⊙ h (zeroed where padding leaves it unset,
    # because the lecture form's weight gradient multiplies it by the zero gradient there)
    HN = (np.empty if schedule.full else np.zeros)((K, B, H), dtype)
    S[0] = h0
    w_hh_t = w_hh.T
    w_rz_t, w_n_t = w_hh[: 2 * H].T, w_hh[2 * H :].T
    tmp = np.empty((B, 3 * H), dtype)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        h_prev, gates, hn, h = S[k, :n], G[k, :n], HN[k, :n], S[k + 1, :n]
        rz, cand = gates[:, : 2 * H], gates[:, 2 * H :]
        if form == "pytorch":
            hh = tmp[:n]
            np.matmul(h_prev, w_hh_t, out=hh)
            np.add(hh[:, : 2 * H], xp[t, :n, : 2 * H], out=rz)
            _sigmoid_(rz)
            np.add(hh[:, 2 * H :], b_hn, out=hn)
            np.multiply(gates[:, :H], hn, out=cand)
            cand += xp[t, :n, 2 * H :]
            np.tanh(cand, out=cand)
            # h' = n + z ⊙ (h − n)
            np.subtract(h_prev, cand, out=h)
            h *= gates[:, H : 2 * H]
            h += cand
        else:
            np.matmul(h_prev, w_rz_t, out=rz)
            rz += xp[t, :n, : 2 * H]
            _sigmoid_(rz)
            np.multiply(gates[:, :H], h_prev, out=hn)
            np.matmul(hn, w_n_t, out=cand)
            cand += b_hn
            cand += xp[t, :n, 2 * H :]
            np.tanh(cand, out=cand)
            # h' = h + z ⊙ (h̃ − h)
            np.subtract(cand, h_prev, out=h)
            h *= gates[:, H : 2 * H]
            h += h_prev
        if n < B:
            S[k + 1, n:] = S[k, n:]
    return S, {"S": S, "G": G, "HN": HN, "form": form}


def backward(
    cache: dict,
    d_states: np.ndarray,
    d_hn: np.ndarray,
    w_hh: np.ndarray,
    schedule: Schedule,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BPTT. Returns ∂L/∂xp (K, B, 3H) in visit order, ∂L/∂W_hh, ∂L/∂b_hn, ∂L/∂h0."""
    S, G, HN, form = cache["S"], cache["G"], cache["HN"], cache["form"]
    K, B, H = schedule.steps, S.shape[1], S.shape[2]
    dX = np.zeros((K, B, 3 * H), S.dtype)  # ∂L/∂xp = [δr̂, δẑ, δn̂]
    dHH = np.zeros((K, B, H), S.dtype)  # pytorch: δn̂ ⊙ r (n part of δ(h W_hhᵀ))
    dh = d_hn.copy()
    t1 = np.empty((B, H), S.dtype)
    t2 = np.empty((B, H), S.dtype)
    w_rz, w_n = w_hh[: 2 * H], w_hh[2 * H :]
    for k in range(K - 1, -1, -1):
        n = schedule.sizes[k]
        gates, hn, dx = G[k, :n], HN[k, :n], dX[k, :n]
        r, z, cand = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
        dr, dz, dn = dx[:, :H], dx[:, H : 2 * H], dx[:, 2 * H :]
        h_prev, dh_k, a, b = S[k, :n], dh[:n], t1[:n], t2[:n]
        dh_k += d_states[k, :n]
        if form == "pytorch":
            # δz = δh' ⊙ (h − n) ⊙ z(1 − z)
            np.subtract(h_prev, cand, out=dz)
            dz *= dh_k
            np.subtract(1.0, z, out=a)
            a *= z
            dz *= a
            # δn̂ = δh' ⊙ (1 − z) ⊙ (1 − n²)
            np.multiply(cand, cand, out=b)
            np.subtract(1.0, b, out=b)
            np.subtract(1.0, z, out=dn)
            dn *= dh_k
            dn *= b
            # δr̂ = δn̂ ⊙ hn ⊙ r(1 − r)
            np.subtract(1.0, r, out=a)
            a *= r
            np.multiply(dn, hn, out=dr)
            dr *= a
            np.multiply(dn, r, out=dHH[k, :n])
            # δh = δh' ⊙ z + [δr̂, δẑ] W_hrz + (δn̂ ⊙ r) W_hn
            dh_k *= z
            dh_k += dx[:, : 2 * H] @ w_rz
            dh_k += dHH[k, :n] @ w_n
        else:
            # δz = δh' ⊙ (h̃ − h) ⊙ z(1 − z)
            np.subtract(cand, h_prev, out=dz)
            dz *= dh_k
            np.subtract(1.0, z, out=a)
            a *= z
            dz *= a
            # δn̂ = δh' ⊙ z ⊙ (1 − h̃²)
            np.multiply(cand, cand, out=b)
            np.subtract(1.0, b, out=b)
            np.multiply(dh_k, z, out=dn)
            dn *= b
            # δ(r⊙h) = δn̂ W_hn ;  δr̂ = δ(r⊙h) ⊙ h ⊙ r(1 − r)
            np.matmul(dn, w_n, out=b)
            np.multiply(b, h_prev, out=dr)
            np.subtract(1.0, r, out=a)
            a *= r
            dr *= a
            # δh = δh' ⊙ (1 − z) + δ(r⊙h) ⊙ r + [δr̂, δẑ] W_hrz
            np.subtract(1.0, z, out=a)
            dh_k *= a
            b *= r
            dh_k += b
            dh_k += dx[:, : 2 * H] @ w_rz
    flat_prev = S[:-1].reshape(-1, H)
    d_w_hh = np.empty_like(w_hh)
    d_w_hh[: 2 * H] = dX[:, :, : 2 * H].reshape(-1, 2 * H).T @ flat_prev
    if form == "pytorch":
        d_w_hh[2 * H :] = dHH.reshape(-1, H).T @ flat_prev
        d_b_hn = dHH.sum(axis=(0, 1))
    else:
        d_w_hh[2 * H :] = dX[:, :, 2 * H :].reshape(-1, H).T @ HN.reshape(-1, H)
        d_b_hn = dX[:, :, 2 * H :].sum(axis=(0, 1))
    return dX, d_w_hh, d_b_hn, dh
