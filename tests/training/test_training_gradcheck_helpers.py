"""The shared finite-difference helpers (tests/conftest.py) catch a wrong backward: every
gradient test in the suite leans on them, so they must be able to fail."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine import ops
from rnnlab.engine.tensor import Function, Tensor


class _Cube(Function):
    """y = x³ with a backward scaled by ``factor`` (1 is right)."""

    def forward(self, x, *, factor):
        self.x, self.factor = x, factor
        return x**3

    def backward(self, grad):
        return (grad * 3 * self.x**2 * self.factor,)


def _case(factor: float):
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    return (lambda: ops.sum(_Cube.apply(x, factor=factor))), {"x": x}


def test_a_right_backward_passes(gradcheck, spot_gradcheck):
    gradcheck(*_case(1.0))
    spot_gradcheck(*_case(1.0))


@pytest.mark.parametrize("factor", [1.001, 0.0])
def test_a_wrong_backward_fails(gradcheck, spot_gradcheck, factor):
    with pytest.raises(AssertionError):
        gradcheck(*_case(factor))
    with pytest.raises(AssertionError):
        spot_gradcheck(*_case(factor))
