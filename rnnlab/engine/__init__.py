"""The autograd engine: Tensor, Function and differentiable ops."""

from rnnlab.engine import ops
from rnnlab.engine.gradient_check import GradientCheckError, gradcheck, spot_gradcheck
from rnnlab.engine.tensor import Function, Tensor, as_tensor, is_grad_enabled, no_grad

__all__ = ["Tensor", "Function", "ops", "no_grad", "is_grad_enabled", "as_tensor",
           "gradcheck", "spot_gradcheck", "GradientCheckError"]
