"""The finite-difference checkers (rnnlab.gradcheck, rnnlab.engine.spot_gradcheck) catch a
wrong backward: every gradient test in the suite leans on them, and users check their own
Functions with them, so they must be able to fail — and must refuse checks that could not."""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.engine import GradientCheckError, ops, spot_gradcheck
from rnnlab.engine.tensor import Function, Tensor


class _Cube(Function):
    """y = x³ with a backward scaled by ``factor`` (1 is right)."""

    def forward(self, x, *, factor):
        self.x, self.factor = x, factor
        return x**3

    def backward(self, grad):
        return (grad * 3 * self.x**2 * self.factor,)


def _case(factor: float, dtype=np.float64):
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(dtype),
               requires_grad=True)
    return (lambda: ops.sum(_Cube.apply(x, factor=factor))), {"x": x}


def test_a_right_backward_passes():
    errors = rnnlab.gradcheck(*_case(1.0))
    assert set(errors) == {"x"} and errors["x"] < 1e-8
    spot_gradcheck(*_case(1.0))


@pytest.mark.parametrize("factor", [1.001, 0.0])
def test_a_wrong_backward_fails(factor):
    with pytest.raises(GradientCheckError, match="relative gradient error"):
        rnnlab.gradcheck(*_case(factor))
    with pytest.raises(GradientCheckError, match=r"x\[\d+\]: analytic"):
        spot_gradcheck(*_case(factor))


def test_checks_that_could_not_mean_anything_are_refused():
    loss, tensors = _case(1.0, np.float32)
    with pytest.raises(TypeError, match="gradient checks need float64"):
        rnnlab.gradcheck(loss, tensors)
    loss, tensors = _case(1.0)
    unused = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(GradientCheckError, match="unused: the loss does not depend on it"):
        rnnlab.gradcheck(loss, {**tensors, "unused": unused})
    errors = rnnlab.gradcheck(loss, {**tensors, "unused": unused}, independent=["unused"])
    assert errors["unused"] == 0.0
    with pytest.raises(GradientCheckError, match="x: the gradient should be 0"):
        rnnlab.gradcheck(loss, tensors, independent=["x"])
