"""Training: one Trainer for every model."""

from rnnlab.training.plots import plot_learning_curves
from rnnlab.training.trainer import (
    LoopState,
    NonFiniteLossError,
    Trainer,
    TrainerConfig,
    make_optimizer,
)

__all__ = [
    "Trainer", "TrainerConfig", "LoopState", "NonFiniteLossError", "make_optimizer",
    "plot_learning_curves",
]
