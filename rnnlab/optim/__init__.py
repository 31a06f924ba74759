"""Optimizers, clipping and learning-rate schedules."""

from rnnlab.optim.clipping import NonFiniteGradientError, clip_grad_norm, global_grad_norm
from rnnlab.optim.optimizers import SGD, Adam, Optimizer

__all__ = [
    "Optimizer", "SGD", "Adam", "clip_grad_norm", "global_grad_norm",
    "NonFiniteGradientError",
]
