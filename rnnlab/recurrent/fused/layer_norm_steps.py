"""Compiled helpers of the layer-normalised cells' steps (:mod:`.lstm_ln_steps`,
:mod:`.gru_ln_steps`): a block's statistics, its normalisation fused with what the step
does next, and its backward — the compiled counterparts of
:mod:`rnnlab.recurrent.layer_norm`'s NumPy functions.

The kernels are compiled with ``reassoc`` and ``nsz`` besides ``contract``
(:data:`ln_kernel`), so that the sums over a block vectorise (a sum in order cannot), and
the mean and variance are taken in one pass (:func:`mean_rstd`) where NumPy takes two:
differences in the last bits. Each loop reads and writes few arrays: the compiler checks
at run time that written arrays do not overlap the others, and gives up on a loop with
many. Constants are cast to the arrays' own dtype (:func:`like`): a float64 1/H would turn
float32 arithmetic into float64, a float32 one would round float64's.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload

from rnnlab.engine.kernels.scalar import cached_njit, sigmoid, tanh

ln_kernel = cached_njit(nogil=True, error_model="numpy",
                        fastmath={"contract", "reassoc", "nsz"})
"""``rnnlab.engine.kernels.scalar.kernel`` with reassociation allowed (module docstring) and
the sign of zero free (``nsz``): with ``contract`` and ``reassoc`` alone a sum of squares
did not vectorise (146 against 23 ns for 256 float32 values, measured here)."""

ln_helper = cached_njit(nogil=True, error_model="numpy",
                        fastmath={"contract", "reassoc", "nsz"}, inline="always")
""":data:`ln_kernel` for the helpers the step kernels call, inlined where they are
called."""

EPS = 1e-5  # as rnnlab.recurrent.layer_norm.EPS


def like(x, value):
    """``value`` as a number of ``x``'s type (compiled code only)."""
    return value


@overload(like)
def _like_for_type(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: np.float64(value)


@ln_helper
def mean_rstd(v):
    """(μ, r = 1/√(σ² + ε)) of the 1-D ``v`` in one pass, over v − v[0] (the shifted-data
    form of Σv and Σv²: the shift, a value of the block, keeps Σ(v − K)² − (Σ(v − K))²/H
    free of the cancellation that Σv² − (Σv)²/H suffers when |μ| ≫ σ)."""
    H = v.shape[0]
    inv = like(v[0], 1.0) / like(v[0], H)
    shift = v[0]
    s = like(v[0], 0.0)
    q = like(v[0], 0.0)
    for j in range(H):
        d = v[j] - shift
        s += d
        q += d * d
    m = s * inv
    var = max(q * inv - m * m, like(v[0], 0.0))
    return shift + m, like(v[0], 1.0) / np.sqrt(var + like(v[0], EPS))


@ln_helper
def input_block(z, x_hat, gamma, shift):
    """A block of the input projection: ``z`` = x W_ihᵀ in, γ ⊙ x̂ + shift out, x̂ into
    ``x_hat``; returns r."""
    mu, r = mean_rstd(z)
    for j in range(z.shape[0]):
        x = (z[j] - mu) * r
        x_hat[j] = x
        z[j] = gamma[j] * x + shift[j]
    return r


@ln_helper
def sigmoid_block(z, a, gamma):
    """a → â (in place), z = σ(z + γ ⊙ â): a gate block of a step; returns r."""
    mu, r = mean_rstd(a)
    for j in range(a.shape[0]):
        x = (a[j] - mu) * r
        a[j] = x
        z[j] = sigmoid(z[j] + gamma[j] * x)
    return r


@ln_helper
def tanh_block(z, a, gamma):
    """a → â (in place), z = tanh(z + γ ⊙ â): a candidate block of a step; returns r."""
    mu, r = mean_rstd(a)
    for j in range(a.shape[0]):
        x = (a[j] - mu) * r
        a[j] = x
        z[j] = tanh(z[j] + gamma[j] * x)
    return r


@ln_helper
def block_sums(e, gamma, a_hat):
    """(mean(γ ⊙ e), mean(γ ⊙ e ⊙ â)): the two means of a block's LN backward."""
    H = e.shape[0]
    s1 = like(e[0], 0.0)
    s2 = like(e[0], 0.0)
    for j in range(H):
        d = gamma[j] * e[j]
        s1 += d
        s2 += d * a_hat[j]
    inv = like(e[0], 1.0) / like(e[0], H)
    return s1 * inv, s2 * inv


@ln_helper
def accumulate_product(acc, e, a_hat):
    """acc += e ⊙ â (a gain's gradient, row by row)."""
    for j in range(acc.shape[0]):
        acc[j] += e[j] * a_hat[j]


@ln_helper
def accumulate(acc, e):
    """acc += e (a shift's gradient, row by row)."""
    for j in range(acc.shape[0]):
        acc[j] += e[j]


@ln_helper
def finish_block_backward(e, gamma, a_hat, r, m1, m2, out):
    """``out`` = r · (γ ⊙ e − m1 − â · m2), with (m1, m2) = :func:`block_sums` (``out``
    may be ``e`` or ``a_hat``)."""
    for j in range(e.shape[0]):
        out[j] = r * (gamma[j] * e[j] - m1 - a_hat[j] * m2)


@ln_helper
def block_backward(e, gamma, a_hat, r, acc_gain, out):
    """A block's LN backward from e = δ(γ ⊙ â): ``out`` = δa (``out`` may be ``a_hat``, or
    ``e`` when nothing else reads it after), ``acc_gain`` += e ⊙ â."""
    accumulate_product(acc_gain, e, a_hat)
    m1, m2 = block_sums(e, gamma, a_hat)
    finish_block_backward(e, gamma, a_hat, r, m1, m2, out)
