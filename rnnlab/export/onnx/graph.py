"""Building one ONNX graph: nodes, constants, typed inputs and outputs, metadata; pruning
what nothing reads; checking and writing the model."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.io.atomic import atomic_write_bytes
from rnnlab.models.registry import kind_of

OPSET = 17


def load_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "exporting to ONNX needs the onnx package: pip install 'rnnlab[onnx]'"
        ) from None
    return onnx


def describe(model: Any, **entries: Any) -> dict[str, str]:
    """An exported model's metadata: ``rnnlab.kind`` (its kind in the registry, as in its
    folder's config.json), ``rnnlab.config`` (its configuration dataclass) and
    ``rnnlab.<name>`` for each entry — vocabularies by their ``to_dict`` — all but the kind
    as JSON, so that the file alone maps text to ids and back."""
    metadata = {"rnnlab.kind": kind_of(model).name,
                "rnnlab.config": json.dumps(asdict(model.config))}
    for name, value in entries.items():
        value = value.to_dict() if hasattr(value, "to_dict") else value
        metadata[f"rnnlab.{name}"] = json.dumps(value, ensure_ascii=False)
    return metadata


class Graph:
    """Nodes, initializers, inputs and outputs of one ONNX graph being built."""

    def __init__(self, prefix: str = "") -> None:
        """``prefix`` starts every generated name: a loop body's names must not repeat the
        enclosing graph's."""
        self.onnx = load_onnx()
        self.prefix = prefix
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self.metadata: dict[str, str] = {}
        self._names = 0

    def name(self, hint: str) -> str:
        """A fresh tensor name."""
        self._names += 1
        return f"{self.prefix}{hint}_{self._names}"

    def constant(self, value: Any, hint: str = "const") -> str:
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op_type: str, inputs: list[str], outputs: int | list[str] = 1,
             **attributes: Any) -> list[str]:
        """Add a node; ``outputs``: names, or how many fresh ones to make. Returns them."""
        if isinstance(outputs, int):
            outputs = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, **attributes))
        return outputs

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """Add a one-output node and return that output."""
        return self.node(op_type, list(inputs), 1, **attributes)[0]

    def size(self, tensor: str, axis: int, vector: bool = False) -> str:
        """The length of ``tensor`` along ``axis``, int64: a scalar, or with ``vector`` a
        one-element array (for Concat into a shape)."""
        index = np.array([axis]) if vector else np.array(axis)
        return self.op("Gather", self.op("Shape", tensor), self.constant(index))

    def running(self, start: int, stop: str, lengths: str, time_major: bool = True) -> str:
        """valid[t, b] = t < lengths[b] for t = start … stop − 1 (``stop`` a scalar):
        (steps, B) bool, or (B, steps) when not ``time_major``."""
        steps = self.op("Range", self.constant(np.array(start)), stop,
                        self.constant(np.array(1)))
        step_axis, batch_axis = ([1], [0]) if time_major else ([0], [1])
        return self.op("Less", self.op("Unsqueeze", steps, self.constant(np.array(step_axis))),
                       self.op("Unsqueeze", lengths, self.constant(np.array(batch_axis))))

    def body(self, name: str) -> Any:
        """This graph as a ``GraphProto``, the body of a ``Scan`` or ``Loop`` node."""
        self.prune()
        return self.onnx.helper.make_graph(self.nodes, name, self.inputs, self.outputs,
                                           self.initializers)

    def value(self, name: str, dims: list, integer: bool = False, boolean: bool = False) -> Any:
        tensor = self.onnx.TensorProto
        kind = tensor.BOOL if boolean else tensor.INT64 if integer else tensor.FLOAT
        return self.onnx.helper.make_tensor_value_info(name, kind, dims)

    def prune(self) -> None:
        """Drop nodes and constants nothing reads (the graph outputs read their sources)."""
        while True:
            used = {name for n in self.nodes for name in n.input}
            used |= {value.name for value in self.outputs}
            kept = [n for n in self.nodes if any(name in used for name in n.output)]
            if len(kept) == len(self.nodes):
                break
            self.nodes = kept
        self.initializers = [i for i in self.initializers if i.name in used]

    def model(self, name: str, doc: str, opset: int) -> Any:
        self.prune()
        helper = self.onnx.helper
        graph = helper.make_graph(self.nodes, name, self.inputs, self.outputs,
                                  self.initializers)
        opsets = [helper.make_opsetid("", opset)]
        # the oldest file format that has the opset, so that older runtimes read the file too
        model = helper.make_model(graph, producer_name="rnnlab", opset_imports=opsets,
                                  ir_version=helper.find_min_ir_version_for(opsets))
        model.doc_string = doc
        helper.set_model_props(model, self.metadata)
        self.onnx.checker.check_model(model, full_check=True)
        return model


def save(model: Any, path: str | Path) -> Path:
    """Write an ONNX model (from the functions above) to ``path``, atomically."""
    path = Path(path)
    atomic_write_bytes(path, model.SerializeToString())
    return path
