"""Compiled twins of :mod:`rnnlab.recurrent.layer_norm`: the per-block normalisation of a
row and its backward, and the whole-projection passes before and after the time loop.

The kernels here and in the layer-normalised cells' step modules (:mod:`.lstm_ln_steps`,
:mod:`.gru_ln_steps`) are compiled with ``reassoc`` besides ``contract``
(:data:`ln_kernel`), so that the means and the backward's two sums over a block vectorise
(a sum in order cannot): the sums are then taken in another order than NumPy's pairwise
one, a difference in the last bits. Constants are cast to the arrays' own dtype
(:func:`like`): a float64 1/H would turn float32 arithmetic into float64, a float32 one
would round float64's.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

ln_kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract", "reassoc"})
"""``rnnlab.engine.kernels.scalar.kernel`` with reassociation allowed (module docstring)."""

EPS = 1e-5  # as rnnlab.recurrent.layer_norm.EPS


def like(x, value):
    """``value`` as a number of ``x``'s type (compiled code only)."""
    return value


@overload(like)
def _like_for_type(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: np.float64(value)


@ln_kernel
def mean_rstd(v):
    """(μ, r = 1/√(σ² + ε)) of the 1-D ``v``, in two passes."""
    H = v.shape[0]
    inv = like(v[0], 1.0) / like(v[0], H)
    s = like(v[0], 0.0)
    for j in range(H):
        s += v[j]
    mu = s * inv
    q = like(v[0], 0.0)
    for j in range(H):
        d = v[j] - mu
        q += d * d
    return mu, like(v[0], 1.0) / np.sqrt(q * inv + like(v[0], EPS))


@ln_kernel
def normalize_block(v):
    """``v`` → v̂ in place; returns r."""
    mu, r = mean_rstd(v)
    for j in range(v.shape[0]):
        v[j] = (v[j] - mu) * r
    return r


@ln_kernel
def normalize_block_backward(e, gamma, a_hat, r, out):
    """``out`` = r · (δâ − mean(δâ) − â ⊙ mean(δâ ⊙ â)) with δâ = γ ⊙ ``e`` (1-D views;
    ``out`` may be ``a_hat`` itself)."""
    H = e.shape[0]
    inv = like(r, 1.0) / like(r, H)
    s1 = like(r, 0.0)
    s2 = like(r, 0.0)
    for j in range(H):
        d = gamma[j] * e[j]
        s1 += d
        s2 += d * a_hat[j]
    m1, m2 = s1 * inv, s2 * inv
    for j in range(H):
        out[j] = r * (gamma[j] * e[j] - m1 - a_hat[j] * m2)


@ln_kernel
def normalize_rows(a, a_hat, rstd, gamma, shift):
    """``a`` (N, G·H) in, γ ⊙ â + shift out; â into ``a_hat``, r into ``rstd`` (N, G)."""
    N, G = rstd.shape
    H = a.shape[1] // G
    for row in range(N):
        src, dst = a[row], a_hat[row]
        for j in range(G * H):
            dst[j] = src[j]
        for k in range(G):
            rstd[row, k] = normalize_block(dst[k * H : (k + 1) * H])
        for j in range(G * H):
            src[j] = gamma[j] * dst[j] + shift[j]


@ln_kernel
def normalize_rows_backward(d, a_hat, rstd, gamma, d_gamma):
    """``d`` (N, G·H) = δ(LN) in, δa out; ∂L/∂γ = Σ_rows δ(LN) ⊙ â into ``d_gamma``."""
    N, G = rstd.shape
    H = d.shape[1] // G
    d_gamma[:] = 0
    for row in range(N):
        e, h = d[row], a_hat[row]
        for j in range(G * H):
            d_gamma[j] += e[j] * h[j]
        for k in range(G):
            block = slice(k * H, (k + 1) * H)
            normalize_block_backward(e[block], gamma[block], h[block], rstd[row, k], e[block])
