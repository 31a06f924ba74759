"""Recurrent regularisation inside the time loop: variational recurrent dropout and zoneout.

Both act on the recurrent connection itself, so they live in the cells' time loops, around
the per-step product and the step kernel; the masks of one layer call are drawn here, once,
and handed to the loop as a :class:`StepNoise` (one per layer and direction).

**Recurrent dropout** (``recurrent_dropout=p``; Gal & Ghahramani 2016, Keras's name): one
mask m per sequence, m ∈ {0, 1/(1−p)}^H, the same at every step, on h(t−1) where it enters
the recurrent product — and only there (the GRU's z ⊙ h(t−1) reads the unmasked state)::

    [gates](t) = xp(t) + (h(t−1) ⊙ m) W_hhᵀ
    BPTT:  δh(t−1) = (δz(t) W_hh) ⊙ m + (the parts that bypass W_hh)
           ∂L/∂W_hh = Σ_t δz(t)ᵀ (h(t−1) ⊙ m)

**Zoneout** (``zoneout=p``; Krueger et al. 2016), on h and, where the cell has one, on c:
each unit of each row keeps its previous value with probability p at each step. With
h̃(t), c̃(t) what the cell computes from h(t−1), c(t−1), and w the weight of the new value
(w = 1 − d, d ~ Bernoulli(p), in training; w = 1 − p, the expectation, in evaluation;
p is rounded to a multiple of 2⁻¹⁶, the resolution of the draws: :func:`quantised`)::

    h(t) = h(t−1) + w_h ⊙ (h̃(t) − h(t−1))        c(t) = c(t−1) + w_c ⊙ (c̃(t) − c(t−1))
    BPTT:  δh̃(t) = w_h ⊙ δh(t),   δh(t−1) += (1 − w_h) ⊙ δh(t)      (likewise for c)

so h̃ of the LSTM is o ⊙ tanh(c̃), the paper's equations. The zoneout weights are indexed by
time t (not visit step), so the two row groups of a batch split take row slices of them.

The helpers below are the NumPy versions of the loop's four extra operations; their
compiled twins are in :mod:`rnnlab.recurrent.fused.noise_steps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepNoise:
    """The noise of one direction of one layer call: ``h_mask`` (B, H), 0 or 1/(1−p), or
    None; ``zoneout_h`` and ``zoneout_c`` (T, B, H), the weight w of the new value at time
    t — uint8 0/1 in training, the states' dtype (1 − p) in evaluation — or None."""

    h_mask: np.ndarray | None = None
    zoneout_h: np.ndarray | None = None
    zoneout_c: np.ndarray | None = None

    def rows(self, rows: slice) -> StepNoise:
        """The noise of batch rows ``rows`` alone (a group of a batch split)."""
        return StepNoise(
            None if self.h_mask is None else np.ascontiguousarray(self.h_mask[rows]),
            None if self.zoneout_h is None else np.ascontiguousarray(self.zoneout_h[:, rows]),
            None if self.zoneout_c is None else np.ascontiguousarray(self.zoneout_c[:, rows]),
        )

    def compiled(self, dtype: np.dtype, hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(h_mask, zoneout_h, zoneout_c) for the compiled loops, which take an empty array
        ((0, H), (0, 1, H)) for "none" so that one compiled version serves every case."""
        return (
            _or_empty(self.h_mask, (0, hidden), dtype),
            _or_empty(self.zoneout_h, (0, 1, hidden), dtype),
            _or_empty(self.zoneout_c, (0, 1, hidden), dtype),
        )


NO_NOISE = StepNoise()


def _or_empty(array: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.empty(shape, dtype) if array is None else array


def check_probability(name: str, p: float) -> float:
    """``p`` as a float if it is in [0, 1); a ValueError naming the option if not."""
    if not isinstance(p, int | float) or not 0.0 <= p < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {p!r}")
    return float(p)


def draw_noise(*, steps: int, batch: int, hidden: int, cell: int, dtype: np.dtype,
               recurrent_dropout: float, zoneout: float, cell_state: bool, training: bool,
               rng: np.random.Generator) -> StepNoise | None:
    """The noise of one direction of one layer call, or None when there is none: recurrent
    dropout only in training; zoneout's random weights in training, its expectation 1 − p
    in evaluation. ``hidden`` is the width of h, ``cell`` that of c (they differ with
    ``proj_size``)."""
    h_mask = zoneout_h = zoneout_c = None
    if training and recurrent_dropout > 0.0:
        scale = np.asarray(1.0 / (1.0 - recurrent_dropout), dtype)
        h_mask = (rng.random((batch, hidden)) >= recurrent_dropout).astype(dtype) * scale
    if zoneout > 0.0:  # one draw for h and c: two C arrays in one buffer
        widths = (hidden, cell) if cell_state else (hidden,)
        size = steps * batch * sum(widths)
        flat = (bernoulli_keep(rng, size, zoneout) if training
                else np.full(size, 1.0 - quantised(zoneout), dtype))
        split = steps * batch * hidden
        zoneout_h = flat[:split].reshape(steps, batch, hidden)
        if cell_state:
            zoneout_c = flat[split:].reshape(steps, batch, cell)
    if h_mask is None and zoneout_h is None:
        return None
    return StepNoise(h_mask, zoneout_h, zoneout_c)


ZONEOUT_BITS = 16  # random bits per zoneout decision


def quantised(p: float) -> float:
    """The probability zoneout applies for ``p``: p rounded to a multiple of 2⁻¹⁶ (the
    resolution of its 16-bit draws), below 1."""
    scale = 2**ZONEOUT_BITS
    return min(round(p * scale), scale - 1) / scale


def bernoulli_keep(rng: np.random.Generator, count: int, p: float) -> np.ndarray:
    """``count`` uint8 values, 1 with probability 1 − :func:`quantised` (p), else 0.
    Zoneout draws T·B·H of these per state and call, so each takes 16 bits of the
    generator's 64-bit outputs (a quarter of the draws of ``rng.random(count) >= p``) and
    stays one byte (the kernels multiply by it as they would by a float)."""
    bits = rng.bit_generator.random_raw(-(-count // 4)).view(np.uint16)[:count]
    threshold = np.uint16(round(quantised(p) * 2**ZONEOUT_BITS))
    return (bits >= threshold).view(np.uint8)


def drop_connect_mask(rng: np.random.Generator, shape: tuple[int, ...], p: float,
                      dtype: np.dtype) -> np.ndarray:
    """Weight drop's mask M / (1 − p) for a weight of ``shape``: M ~ Bernoulli(1 − p) per
    entry, from the same 16-bit draws as zoneout (p as :func:`quantised`)."""
    keep = bernoulli_keep(rng, int(np.prod(shape)), p).reshape(shape)
    return np.multiply(keep, 1.0 / (1.0 - quantised(p)), dtype=dtype)


def blend_(new: np.ndarray, old: np.ndarray, w: np.ndarray) -> None:
    """Zoneout forward, in place: ``new`` = old + w ⊙ (new − old)."""
    new -= old
    new *= w
    new += old


def blend_into(out: np.ndarray, new: np.ndarray, old: np.ndarray, w: np.ndarray) -> None:
    """Zoneout forward into a separate array: ``out`` = old + w ⊙ (new − old)."""
    np.subtract(new, old, out=out)
    out *= w
    out += old


def split_(d: np.ndarray, w: np.ndarray, carry: np.ndarray) -> None:
    """Zoneout backward, before the step: δ arriving at the blended state, ``d``, becomes
    w ⊙ δ (for the cell's new value) and ``carry`` = (1 − w) ⊙ δ (for the old one)."""
    np.multiply(d, w, out=carry)
    np.subtract(d, carry, out=carry)
    d *= w


def finish_dh_(dh: np.ndarray, mask: np.ndarray | None, carry: np.ndarray | None) -> None:
    """After the backward product δh(t−1) = δz W_hh: apply the recurrent-dropout mask, then
    add what zoneout carried past the cell."""
    if mask is not None:
        dh *= mask
    if carry is not None:
        dh += carry


def split_sum_(dh: np.ndarray, dh_skip: np.ndarray, d_out: np.ndarray, w: np.ndarray,
               carry: np.ndarray) -> None:
    """:func:`split_` for a cell whose step sums δh' = dh + dh_skip + d_out (the GRU): dh
    becomes w ⊙ δh', ``carry`` (1 − w) ⊙ δh', ``dh_skip`` zero (pass zeros for d_out)."""
    dh += dh_skip
    dh += d_out
    dh_skip[...] = 0
    split_(dh, w, carry)
