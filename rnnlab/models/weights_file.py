"""A model folder's ``weights.safetensors``, checked before and after its values are read.

Opening a folder (:func:`rnnlab.models.registry.open_model_dir`) reads the file's index
first — the name, type and shape of each tensor, from the header, without the values —
and refuses there what no model can load: a tensor that is not floating point (int32 or
bool weights are an error, never cast), a type NumPy cannot hold (bfloat16), a file larger
than the memory available. The model is then built from ``config.json`` inside a
parameter budget of the values the file holds (:func:`build_within`), so a config whose
sizes are wrong — ``hidden: 10000000`` beside a 2 MB file — is refused before its layers
are drawn. Last, the tensors are matched to the model's parameters by name and shape
before anything is loaded, and the values read are checked to be finite (one NaN in a
weight would make every prediction the same) — :func:`check_weights`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open

from rnnlab.engine.module import Module
from rnnlab.io.serialization import CONFIG_FILE, WEIGHTS_FILE
from rnnlab.recurrent.arguments import (
    ParameterBudgetError,
    available_memory,
    format_bytes,
    parameter_budget,
)

FLOAT_TYPES = ("F16", "F32", "F64")  # safetensors' codes of the types NumPy loads as floats
_TYPE_NAMES = {"BOOL": "bool", "BF16": "bfloat16", "F8_E4M3": "float8_e4m3",
               "F8_E5M2": "float8_e5m2"}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the file's header: its safetensors type code and shape."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def read_index(path: Path) -> dict[str, TensorEntry]:
    """The file's tensors by name, from its header, each checked to be floating point.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a safetensors file, larger than the memory available, or a tensor
            of another type (the message names the tensor).
    """
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        with safe_open(str(path), framework="np") as file:
            names = file.keys()  # the file is not iterable
            index = {name: TensorEntry(file.get_slice(name).get_dtype(),
                                       tuple(file.get_slice(name).get_shape()))
                     for name in names}
    except Exception as error:  # safetensors raises its own error types
        raise ValueError(f"{path}: not a valid safetensors file ({error})") from None
    for name, entry in sorted(index.items()):
        if entry.dtype not in FLOAT_TYPES:
            kind = _TYPE_NAMES.get(entry.dtype, entry.dtype.replace("U", "uint")
                                   .replace("I", "int").replace("F", "float"))
            raise ValueError(f"{path}: tensor {name!r} is {kind}; weights must be floating "
                             "point (float16, float32 or float64)")
    size, available = path.stat().st_size, available_memory()
    if size > available:
        raise ValueError(f"{path} is {format_bytes(size)}, more than the "
                         f"{format_bytes(available)} of memory available")
    return index


def build_within(directory: Path, index: Mapping[str, TensorEntry], config: Any,
                 build: Callable[[], Module]) -> Module:
    """``build()`` — the model of the folder ``directory``, from its ``config`` — with at
    most as many parameters as the values its weights file holds (``index``).

    Raises:
        ValueError: the config builds more (the message names the config's largest size,
            the likeliest culprit), or ``build`` refuses the folder's files (the message
            is prefixed with the folder).
    """
    held = sum(entry.size for entry in index.values())
    try:
        with parameter_budget(held):
            return build()
    except ParameterBudgetError as error:
        sizes = {name: value for name, value in vars(config).items()
                 if type(value) is int and value > 0}
        largest = max(sizes, key=sizes.__getitem__) if sizes else None
        culprit = f" (largest: {largest!r} = {sizes[largest]})" if largest else ""
        raise ValueError(f"{directory / CONFIG_FILE}: the config's sizes{culprit} build more "
                         f"parameters than the {held:,} values of {WEIGHTS_FILE} (at least "
                         f"{error.claimed:,})") from None
    except ValueError as error:
        raise ValueError(f"{directory}: {error}") from None


def check_index(path: Path, shapes: Mapping[str, tuple[int, ...]], model: Module) -> None:
    """The file's tensors (``shapes``, by name) are every tensor the model has, of its
    shape, and no other — checked from the header before loading, and again after."""
    built = dict(model.named_parameters())
    for name, parameter in built.items():
        if name not in shapes:
            raise ValueError(f"{path}: no tensor {name!r}, which the config builds")
        if tuple(shapes[name]) != parameter.data.shape:
            raise ValueError(f"{path}: tensor {name!r} has shape {tuple(shapes[name])}; the "
                             f"config builds {tuple(parameter.data.shape)}")
    extra = sorted(set(shapes) - set(built))
    if extra:
        raise ValueError(f"{path}: tensor {extra[0]!r} is not one the config builds")


def check_weights(path: Path, weights: Mapping[str, np.ndarray], model: Module) -> None:
    """The loaded tensors: those of :func:`check_index`, floating point and finite."""
    check_index(path, {name: array.shape for name, array in weights.items()}, model)
    for name, array in weights.items():
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{path}: tensor {name!r} is {array.dtype}; weights must be "
                             "floating point")
        if not np.isfinite(array).all():
            raise ValueError(f"{path}: tensor {name!r} holds NaN or infinite values")
