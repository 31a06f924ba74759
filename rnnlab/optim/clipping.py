"""Gradient-norm clipping, the standard cure for exploding gradients (LECTURE §5)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from rnnlab.engine.module import Parameter


class NonFiniteGradientError(FloatingPointError):
    """Raised when a gradient holds NaN or inf, so that training never steps on it."""


def global_grad_norm(params: Iterable[Parameter]) -> float:
    """‖g‖₂ over all parameters' gradients taken together."""
    total = 0.0
    for p in params:
        if p.grad is not None:
            g = p.grad.ravel()
            total += float(np.dot(g, g))
    return float(np.sqrt(total))


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Scale all gradients by min(1, max_norm / ‖g‖); return ‖g‖ before clipping.

    A NaN or infinite norm raises :class:`NonFiniteGradientError` naming the parameters
    whose gradients are not finite.
    """
    params = [p for p in params if p.grad is not None]
    norm = global_grad_norm(params)
    if not np.isfinite(norm):
        raise NonFiniteGradientError(
            f"gradient norm is {norm}: {sum(not np.isfinite(p.grad).all() for p in params)} "
            "parameter gradient(s) hold NaN or inf"
        )
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for p in params:
            p.grad *= scale
    return norm
