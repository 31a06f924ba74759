"""The autograd engine: Tensor, Function, differentiable ops, and Module and Parameter."""

from rnnlab.engine import ops
from rnnlab.engine.gradient_check import GradientCheckError, gradcheck, spot_gradcheck
from rnnlab.engine.module import Module, ModuleList, Parameter
from rnnlab.engine.tensor import Function, Tensor, as_tensor, is_grad_enabled, no_grad

__all__ = ["Tensor", "Function", "ops", "no_grad", "is_grad_enabled", "as_tensor",
           "gradcheck", "spot_gradcheck", "GradientCheckError", "Module", "ModuleList",
           "Parameter"]
