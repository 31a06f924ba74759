"""Finite-difference checks of hand-written gradients (LECTURE §4: BPTT is only as good as
the derivatives it chains).

For a scalar loss L(θ) and every element θᵢ of every tensor checked, the central difference

    ∂L/∂θᵢ ≈ (L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε          (error O(ε²))

is compared with the gradient ``backward`` put in ``θ.grad``, by the relative error
‖analytic − numeric‖∞ / max(‖analytic‖∞, ‖numeric‖∞). In float64 with ε = 1e-6 a correct
backward agrees to about 1e-9; a wrong one is off by order 1. :func:`gradcheck` checks every
element (small tensors); :func:`spot_gradcheck` a few random ones (large models).

    import numpy as np, rnnlab
    lstm = rnnlab.LSTM(3, 4, dtype=np.float64)
    x = rnnlab.Tensor(np.random.randn(5, 2, 3), requires_grad=True)
    w = np.random.randn(5, 2, 4)
    rnnlab.gradcheck(lambda: (lstm(x)[0] * w).sum(), {"x": x, **dict(lstm.named_parameters())})
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rnnlab.engine.tensor import Tensor, no_grad


class GradientCheckError(AssertionError):
    """A gradient from ``backward`` disagrees with finite differences (or a check could not
    mean anything: the loss does not depend on a tensor said to matter)."""


def relative_error(actual: Any, expected: Any) -> float:
    """‖actual − expected‖∞ / max(‖actual‖∞, ‖expected‖∞); 0 when both are zero."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: {actual.shape} vs {expected.shape}")
    scale = max(np.abs(actual).max(initial=0.0), np.abs(expected).max(initial=0.0))
    return 0.0 if scale == 0.0 else float(np.abs(actual - expected).max() / scale)


def central_difference(value: Callable[[], float], flat: np.ndarray, i: int,
                       eps: float) -> float:
    """(L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε for element ``i`` of ``flat``, restored afterwards."""
    saved = flat[i]
    flat[i] = saved + eps
    up = value()
    flat[i] = saved - eps
    down = value()
    flat[i] = saved
    return (up - down) / (2.0 * eps)


def _analytic(loss: Callable[[], Tensor], tensors: dict[str, Tensor]) -> dict[str, np.ndarray]:
    """Each tensor's gradient from one backward pass of ``loss()`` (zeros where none)."""
    for name, tensor in tensors.items():
        if tensor.dtype != np.float64:
            raise TypeError(f"{name} is {tensor.dtype}: gradient checks need float64 "
                            f"(module.astype(np.float64), Tensor(x.astype(np.float64)))")
        if not np.shares_memory(tensor.data.reshape(-1), tensor.data):
            raise ValueError(f"{name} must be contiguous to be perturbed in place")
        tensor.grad = None
    loss().backward()
    return {name: np.zeros(t.shape) if t.grad is None else t.grad.copy()
            for name, t in tensors.items()}


def _value(loss: Callable[[], Tensor]) -> Callable[[], float]:
    def value() -> float:
        with no_grad():
            return float(loss().data)

    return value


def gradcheck(loss: Callable[[], Tensor], tensors: dict[str, Tensor], eps: float = 1e-6,
              tol: float = 1e-6, independent: Sequence[str] = ()) -> dict[str, float]:
    """Check backward's gradient of ``loss()`` against central differences at every element
    of each of ``tensors`` (float64). Returns the relative error per tensor.

    ``loss`` must rebuild the loss from the tensors' current values on every call. Each
    tensor must get a non-zero numerical gradient, so that the check means something —
    except those named in ``independent``, on which the loss is known not to depend: their
    gradients must be exactly zero on both sides.

    Raises:
        GradientCheckError: a relative error ≥ ``tol``, or a dependence that is not as said.
    """
    analytic = _analytic(loss, tensors)
    value = _value(loss)
    errors = {}
    for name, tensor in tensors.items():
        flat = tensor.data.reshape(-1)
        numeric = np.array([central_difference(value, flat, i, eps)
                            for i in range(flat.size)]).reshape(tensor.shape)
        if name in independent:
            if analytic[name].any() or numeric.any():
                raise GradientCheckError(f"{name}: the gradient should be 0 and is not")
        elif not numeric.any():
            raise GradientCheckError(f"{name}: the loss does not depend on it")
        errors[name] = relative_error(analytic[name], numeric)
    bad = {name: error for name, error in errors.items() if not error < tol}
    if bad:
        raise GradientCheckError(f"relative gradient error ≥ {tol}: {bad}")
    return errors


def spot_gradcheck(loss: Callable[[], Tensor], tensors: dict[str, Tensor], count: int = 6,
                   candidates: dict[str, np.ndarray] | None = None, eps: float = 1e-6,
                   tol: float = 1e-6, seed: int = 0) -> None:
    """Central differences at ``count`` random elements of each tensor, for models too big
    to check every element: |analytic − numeric| ≤ tol · max(1, |numeric|) at each, and a
    non-zero numerical gradient somewhere in each tensor. ``candidates[name]`` limits the
    flat indices drawn for that tensor (e.g. the embedding rows a batch looks up).

    Raises:
        GradientCheckError: an element off by more than the tolerance, or a tensor the loss
            does not depend on.
    """
    analytic = _analytic(loss, tensors)
    value = _value(loss)
    rng = np.random.default_rng(seed)
    for name, tensor in tensors.items():
        flat, grad = tensor.data.reshape(-1), analytic[name].reshape(-1)
        pool = (candidates or {}).get(name, np.arange(flat.size))
        numerics = []
        for i in rng.choice(pool, min(pool.size, count), replace=False):
            numeric = central_difference(value, flat, i, eps)
            if not abs(numeric - grad[i]) <= tol * max(1.0, abs(numeric)):
                raise GradientCheckError(
                    f"{name}[{i}]: analytic {grad[i]!r}, numeric {numeric!r}")
            numerics.append(numeric)
        if not np.abs(numerics).max() > 0:
            raise GradientCheckError(f"{name}: the loss does not depend on it")
