"""Modules and building blocks."""

from rnnlab.engine.module import Module, ModuleList, Parameter
from rnnlab.nn.layers import Dropout, Embedding, Linear, LockedDropout

__all__ = ["Module", "ModuleList", "Parameter", "Linear", "Embedding", "Dropout", "LockedDropout"]
