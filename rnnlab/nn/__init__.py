"""Modules and building blocks."""

from rnnlab.nn.layers import Dropout, Embedding, Linear, LockedDropout
from rnnlab.nn.module import Module, ModuleList, Parameter

__all__ = ["Module", "ModuleList", "Parameter", "Linear", "Embedding", "Dropout", "LockedDropout"]
