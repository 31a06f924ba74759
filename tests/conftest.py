"""Fixtures every test folder shares.

- ``gradcheck``: central finite differences in float64 against the tape's gradients.
- ``relative_error``: ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), the measure every tolerance here uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from rnnlab.engine import no_grad
from rnnlab.engine.tensor import Tensor


def _relative_error(actual: Any, expected: Any) -> float:
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"shapes differ: {actual.shape} vs {expected.shape}"
    scale = max(np.abs(actual).max(initial=0.0), np.abs(expected).max(initial=0.0))
    return 0.0 if scale == 0.0 else float(np.abs(actual - expected).max() / scale)


def _numerical_gradient(value: Callable[[], float], array: np.ndarray, eps: float) -> np.ndarray:
    """(L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε for every element i, perturbing ``array`` in place."""
    flat = array.reshape(-1)
    assert np.shares_memory(flat, array), "array must be contiguous to be perturbed in place"
    grad = np.array([_central_difference(value, flat, i, eps) for i in range(flat.size)])
    return grad.reshape(array.shape)


def _central_difference(value: Callable[[], float], flat: np.ndarray, i: int,
                        eps: float) -> float:
    """(L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε for one element of ``flat``, restored afterwards."""
    saved = flat[i]
    flat[i] = saved + eps
    up = value()
    flat[i] = saved - eps
    down = value()
    flat[i] = saved
    return (up - down) / (2.0 * eps)


def _check_gradients(
    loss: Callable[[], Tensor],
    tensors: dict[str, Tensor],
    eps: float = 1e-6,
    tol: float = 1e-6,
    independent: Sequence[str] = (),
) -> dict[str, float]:
    """Compare backward's gradient of ``loss()`` with central differences for each tensor.

    Every tensor must be float64. Each must get a non-zero numerical gradient (so the check
    means something), except those named in ``independent``, on which the loss is known not
    to depend: their gradients must be exactly zero. Returns the relative error per tensor
    and fails if any is ≥ ``tol``.
    """
    for name, tensor in tensors.items():
        assert tensor.dtype == np.float64, f"{name} must be float64 for a gradient check"
        tensor.grad = None
    loss().backward()
    analytic = {
        name: np.zeros(t.shape) if t.grad is None else t.grad.copy()
        for name, t in tensors.items()
    }

    def value() -> float:
        with no_grad():
            return float(loss().data)

    errors = {}
    for name, tensor in tensors.items():
        numeric = _numerical_gradient(value, tensor.data, eps)
        if name in independent:
            assert not analytic[name].any() and not numeric.any(), f"{name}: gradient not 0"
        else:
            assert numeric.any(), f"{name}: the loss does not depend on it"
        errors[name] = _relative_error(analytic[name], numeric)
    bad = {name: error for name, error in errors.items() if not error < tol}
    assert not bad, f"relative gradient error ≥ {tol}: {bad}"
    return errors


@pytest.fixture
def gradcheck() -> Callable[..., dict[str, float]]:
    return _check_gradients


@pytest.fixture
def relative_error() -> Callable[[Any, Any], float]:
    return _relative_error


def _spot_check_gradients(
    loss: Callable[[], Tensor],
    tensors: dict[str, Tensor],
    count: int = 6,
    candidates: dict[str, np.ndarray] | None = None,
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Central differences at ``count`` random elements of each tensor (for models too big
    to check every element): |analytic − numeric| ≤ tol · max(1, |numeric|) at each, and a
    non-zero numeric gradient somewhere in each tensor. ``candidates[name]`` limits the
    flat indices drawn for that tensor (e.g. the embedding rows a batch looks up)."""
    for name, tensor in tensors.items():
        assert tensor.dtype == np.float64, f"{name} must be float64 for a gradient check"
        tensor.grad = None
    loss().backward()
    rng = np.random.default_rng(seed)

    def value() -> float:
        with no_grad():
            return float(loss().data)

    for name, tensor in tensors.items():
        flat = tensor.data.reshape(-1)
        assert np.shares_memory(flat, tensor.data), f"{name} must be contiguous"
        analytic = np.zeros(flat.size) if tensor.grad is None else tensor.grad.reshape(-1)
        pool = (candidates or {}).get(name, np.arange(flat.size))
        picks = rng.choice(pool, min(pool.size, count), replace=False)
        numerics = []
        for i in picks:
            numeric = _central_difference(value, flat, i, eps)
            assert abs(numeric - analytic[i]) <= tol * max(1.0, abs(numeric)), (
                f"{name}[{i}]: analytic {analytic[i]!r}, numeric {numeric!r}")
            numerics.append(numeric)
        assert np.abs(numerics).max() > 0, f"{name}: the loss does not depend on it"


@pytest.fixture
def spot_gradcheck() -> Callable[..., None]:
    return _spot_check_gradients
