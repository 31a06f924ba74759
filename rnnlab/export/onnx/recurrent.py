"""``RNN``, ``LSTM`` and ``GRU`` modules as ONNX's own recurrent operators: the weight layout
(gate order, biases, the lecture's GRU form) and a stack of layers over a time-major input
(the package docstring explains the mapping)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.export.onnx.graph import OPSET, Graph, save
from rnnlab.recurrent.layers import GRU, LSTM, RNN, RecurrentBase

ONNX_GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn": (0,)}
"""For each ONNX gate block in turn, the index of the same block in rnnlab's rows."""


def _reorder(rows: np.ndarray, cell: str, hidden: int) -> np.ndarray:
    """rnnlab's gate blocks (along axis 0, ``hidden`` rows each) in ONNX's order."""
    blocks = [rows[k * hidden : (k + 1) * hidden] for k in range(rows.shape[0] // hidden)]
    return np.concatenate([blocks[k] for k in ONNX_GATE_ORDER[cell]], axis=0)


def _direction_weights(layer: RecurrentBase, suffix: str) -> tuple[np.ndarray, ...]:
    """(W, R, B) of one direction in ONNX's layout: W (G·H, in), R (G·H, H), B (2·G·H,)."""
    H, cell = layer.hidden_size, layer.kind.family
    w = getattr(layer, f"weight_ih{suffix}").data
    r = getattr(layer, f"weight_hh{suffix}").data
    if layer.bias:
        b_ih = getattr(layer, f"bias_ih{suffix}").data
        b_hh = getattr(layer, f"bias_hh{suffix}").data
    else:
        b_ih = b_hh = np.zeros(w.shape[0], w.dtype)
    w, r, b_ih, b_hh = (_reorder(a, cell, H) for a in (w, r, b_ih, b_hh))
    if isinstance(layer, GRU) and layer.form == "lecture":
        z = slice(0, H)  # ONNX's first block; the lecture's z is ONNX's 1 − z
        w, r, b_ih, b_hh = (a.copy() for a in (w, r, b_ih, b_hh))
        for a in (w, r, b_ih, b_hh):
            a[z] = -a[z]
    return w, r, np.concatenate([b_ih, b_hh])


def check_layer(layer: Any) -> None:
    if not isinstance(layer, RNN | LSTM | GRU):
        raise TypeError(f"can export rnnlab.RNN, LSTM or GRU, not {type(layer).__name__}")
    dtype = np.dtype(layer.dtype)
    if dtype != np.float32:  # onnxruntime's LSTM, for one, runs float32 only
        raise TypeError(f"ONNX export writes float32 layers; this one is {dtype}: export a "
                        f"float32 copy (layer.astype(np.float32))")
    if layer.kind.onnx_op is None:
        raise ValueError(f"ONNX has no operator for the {layer.kind.name} cell: a "
                         f"{type(layer).__name__} with these options cannot be exported")
    if layer.proj_size:
        raise ValueError("ONNX's LSTM operator has no projection: an LSTM with proj_size "
                         "cannot be exported")
    if layer.zoneout:  # recurrent_dropout and weight_drop are off in eval: the plain layer
        raise ValueError(f"ONNX's {layer.kind.onnx_op} operator has no zoneout, whose "
                         f"evaluation blends each state with the previous one: a layer with "
                         f"zoneout cannot be exported")


def recurrent_stack(g: Graph, layer: RecurrentBase, x: str, sequence_lens: str,
                     states: list[str] | None) -> tuple[str, list[str]]:
    """Time-major ``x`` (T, B, in) through every layer of ``layer``; ``states`` names h0
    (and c0), (L·D, B, H), or None for zeros. Returns the output (T, B, D·H) and the names
    of h_n (and c_n), (L·D, B, H)."""
    H, D, L = layer.hidden_size, layer.num_directions, layer.num_layers
    is_lstm = isinstance(layer, LSTM)
    op = layer.kind.onnx_op  # ONNX's RNN, LSTM, GRU
    attributes: dict[str, Any] = {"hidden_size": H,
                                  "direction": "bidirectional" if D == 2 else "forward",
                                  **layer.kind.onnx_attributes(D)}
    finals: list[list[str]] = [[], []]
    axis0 = g.constant(np.array([0]), "axis0")
    for index in range(L):
        weights = [_direction_weights(layer, suffix)
                   for suffix in layer._direction_suffixes(index)]
        w, r, b = (g.constant(np.stack([d[k] for d in weights]), f"{name}_l{index}")
                   for k, name in enumerate("WRB"))
        layer_states = []
        if states is not None:
            start = g.constant(np.array([index * D]), "start")
            stop = g.constant(np.array([(index + 1) * D]), "stop")
            layer_states = [g.op("Slice", s, start, stop, axis0) for s in states]
        inputs = [x, w, r, b, sequence_lens, *layer_states]
        while not inputs[-1]:  # optional inputs left out at the end
            inputs.pop()
        outputs = g.node(op, inputs, 3 if is_lstm else 2, **attributes)
        finals[0].append(outputs[1])
        finals[1] += outputs[2:]
        time_batch = g.op("Transpose", outputs[0], perm=[0, 2, 1, 3])  # (T, B, D, H)
        x = g.op("Reshape", time_batch, g.constant(np.array([0, 0, D * H]), "shape"))
    final = [g.op("Concat", *names, axis=0) for names in finals if names]
    return x, final


def recurrent_to_onnx(layer: RecurrentBase, *, initial_state: bool = False,
                      opset: int = OPSET) -> Any:
    """The ONNX model of ``layer``'s forward pass in evaluation mode (package docstring)."""
    check_layer(layer)
    g = Graph()
    L, D, H = layer.num_layers, layer.num_directions, layer.hidden_size
    is_lstm = isinstance(layer, LSTM)
    time_batch = ["batch", "time"] if layer.batch_first else ["time", "batch"]
    g.inputs = [g.value("input", [*time_batch, layer.input_size]),
                g.value("lengths", ["batch"], integer=True)]
    state_names = ["h0", "c0"] if is_lstm else ["h0"]
    if initial_state:
        g.inputs += [g.value(name, [L * D, "batch", H]) for name in state_names]
    x = g.op("Transpose", "input", perm=[1, 0, 2]) if layer.batch_first else "input"
    sequence_lens = g.op("Cast", "lengths", to=g.onnx.TensorProto.INT32)
    y, final = recurrent_stack(g, layer, x, sequence_lens,
                                state_names if initial_state else None)
    g.node("Transpose" if layer.batch_first else "Identity", [y], ["output"],
           **({"perm": [1, 0, 2]} if layer.batch_first else {}))
    final_names = ["h_n", "c_n"] if is_lstm else ["h_n"]
    for source, name in zip(final, final_names, strict=True):
        g.node("Identity", [source], [name])
    g.outputs = [g.value("output", [*time_batch, D * H]),
                 *(g.value(name, [L * D, "batch", H]) for name in final_names)]
    return g.model(f"rnnlab_{type(layer).__name__}", f"rnnlab {layer!r}", opset)


def export_onnx(layer: RecurrentBase, path: str | Path, *, initial_state: bool = False,
                opset: int = OPSET) -> Path:
    """Write ``layer`` as an ONNX file at ``path`` (:func:`recurrent_to_onnx`)."""
    return save(recurrent_to_onnx(layer, initial_state=initial_state, opset=opset), path)
