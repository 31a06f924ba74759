"""Scalar building blocks of the kernels: the ``kernel`` decorator, typed constants, tanh, σ.

Numba types a Python float literal as float64, so ``1.0 - x`` would turn a float32 kernel
into float64 arithmetic (and stop it from vectorising at full width). The constants below
are float32 values that are exact in both precisions: ``ONE - x`` stays float32 for
float32 ``x`` and is float64 for float64 ``x``.

``tanh`` is exact (the C library's) for float64 — gradient checks run in float64 — and for
float32 a rational minimax approximation (the one Eigen and XLA use for float32 tanh):
pure arithmetic, so the loops vectorise, where a libm call per element would cost ~25 ns.
Its error is at most 3.5e-7 (3 float32 ulps near ±1) over the whole line::

    tanh(x) ≈ x · P(x²) / Q(x²),  x clamped to [−9, 9] (tanh(±9) rounds to ±1 in float32),
                                  the result clamped to [−1, 1]

σ is written through tanh, overflow-free and the same formula as the NumPy path::

    σ(x) = ½ + ½ tanh(x/2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import overload


def cached_njit(**options: Any) -> Callable[[Callable], Callable]:
    """``numba.njit(cache=True, **options)``, or without the disk cache for a function
    whose cache Numba has nowhere to keep: its ``__pycache__`` beside the source is not
    writable (a read-only install) and neither is the user's cache folder nor
    ``NUMBA_CACHE_DIR``. Numba refuses such a function when it is decorated
    (``RuntimeError: cannot cache function …``); here it compiles in every process
    instead, on first use, like any uncached function."""
    cached, uncached = njit(cache=True, **options), njit(**options)

    def decorate(function: Callable) -> Callable:
        try:
            return cached(function)
        except RuntimeError:  # no cache locator available for the function's file
            return uncached(function)

    return decorate


kernel = cached_njit(nogil=True, error_model="numpy", fastmath={"contract"})
"""Compile a step kernel: cached on disk where Numba can (:func:`cached_njit`); division
by zero follows IEEE (no exception branch, which would stop vectorisation); a·b + c may
become one fused multiply-add (one rounding instead of two: ~30% faster tanh, and more
accurate); the GIL is released."""

ZERO = np.float32(0.0)
HALF = np.float32(0.5)
ONE = np.float32(1.0)

_CLAMP = np.float32(9.0)
_P13, _P11, _P9, _P7, _P5, _P3, _P1 = (
    np.float32(c)
    for c in (
        -2.76076847742355e-16,
        2.00018790482477e-13,
        -8.60467152213735e-11,
        5.12229709037114e-08,
        1.48572235717979e-05,
        6.37261928875436e-04,
        4.89352455891786e-03,
    )
)
_Q6, _Q4, _Q2, _Q0 = (
    np.float32(c)
    for c in (
        1.19825839466702e-06,
        1.18534705686654e-04,
        2.26843463243900e-03,
        4.89352518554385e-03,
    )
)


def tanh(x):
    """Hyperbolic tangent of one float32 or float64 value (compiled code only)."""
    return np.tanh(x)


@overload(tanh)
def _tanh_for_type(x):
    if x == types.float32:

        def rational_tanh(x):
            x = _CLAMP if x > _CLAMP else x
            x = -_CLAMP if x < -_CLAMP else x
            x2 = x * x
            p = ((((((_P13 * x2 + _P11) * x2 + _P9) * x2 + _P7) * x2 + _P5) * x2 + _P3) * x2 + _P1)
            q = ((_Q6 * x2 + _Q4) * x2 + _Q2) * x2 + _Q0
            y = x * p / q
            y = ONE if y > ONE else y  # the approximation overshoots 1 by an ulp or two
            return -ONE if y < -ONE else y

        return rational_tanh
    return lambda x: np.tanh(x)


@kernel
def sigmoid(x):
    """σ(x) = ½ + ½ tanh(x/2)."""
    return HALF + HALF * tanh(HALF * x)
