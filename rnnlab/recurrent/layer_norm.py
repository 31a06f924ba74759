"""Layer normalisation inside a recurrent cell (Ba, Kiros & Hinton 2016): the NumPy
reference of the normalisation and its backward, shared by the layer-normalised LSTM
(:mod:`rnnlab.recurrent.lstm_ln_cell`) and GRU (:mod:`rnnlab.recurrent.gru_ln_cell`).

A vector a of H numbers is normalised by its own mean and variance, then scaled and
shifted by a learned gain γ and bias β (ε = 1e-5, PyTorch's ``LayerNorm`` default)::

    μ = mean(a)    σ² = mean((a − μ)²)    r = 1 / √(σ² + ε)
    â = (a − μ) · r                       LN(a; γ, β) = γ ⊙ â + β

and backward, from δ(LN) arriving at the output::

    ∂L/∂γ = Σ δ(LN) ⊙ â     ∂L/∂β = Σ δ(LN)      (summed over rows and steps)
    δâ = γ ⊙ δ(LN)
    δa = r · (δâ − mean(δâ) − â ⊙ mean(δâ ⊙ â))

**The variant: per gate block.** A cell's pre-activations are G blocks of H (LSTM: i, f,
g, o; GRU: r, z, n), and each block is normalised on its own, with its own rows of γ — in
the input projection x W_ihᵀ and in the recurrent product h W_hhᵀ separately — rather than
the whole G·H vector at once (Ba et al.'s equations and haste's ``LayerNormLSTM`` do the
latter). The blocks feed different nonlinearities with different roles (a gate's σ, the
candidate's tanh); normalised together, one block's scale moves the others' statistics —
a large candidate pre-activation would shrink every gate's normalised input — while per
block each gate sees inputs of unit scale whatever the others do. TensorFlow's
``LayerNormBasicLSTMCell`` normalises per gate for the same reason; the cost is the same
(G reductions of H instead of one of G·H).

Rows are normalised in place: ``a`` (n, G·H) becomes â and ``rstd`` (n, G) receives r —
what backward needs besides â. The compiled counterparts, fused with the step's other
elementwise work, are in :mod:`rnnlab.recurrent.fused.layer_norm_steps`.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-5


def normalize_(a: np.ndarray, rstd: np.ndarray) -> None:
    """Each of the G blocks of each row of ``a`` (n, G·H; ``rstd`` is (n, G)) replaced by
    its normalised â, in place; r into ``rstd``."""
    n, blocks = rstd.shape
    v = a.reshape(n, blocks, -1)
    v -= v.mean(axis=2, keepdims=True)
    rstd[...] = 1.0 / np.sqrt(np.mean(v * v, axis=2) + EPS)
    v *= rstd[:, :, None]


def normalize_backward_(d: np.ndarray, a_hat: np.ndarray, rstd: np.ndarray) -> None:
    """``d`` (n, G·H): δâ in, δa = r · (δâ − mean(δâ) − â ⊙ mean(δâ ⊙ â)) out, block by
    block, in place."""
    n, blocks = rstd.shape
    v = d.reshape(n, blocks, -1)
    h = a_hat.reshape(n, blocks, -1)
    mean_d = v.mean(axis=2, keepdims=True)
    mean_dh = np.mean(v * h, axis=2, keepdims=True)
    v -= mean_d
    v -= h * mean_dh
    v *= rstd[:, :, None]

