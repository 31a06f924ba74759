"""rnnlab's encoder–decoder translator as two ONNX graphs: the encoder, and one step of the
decoder with its attention, for a search loop written by the caller."""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.export.onnx.graph import OPSET, Graph, describe
from rnnlab.export.onnx.recurrent import check_layer, recurrent_stack
from rnnlab.models.seq2seq import Seq2Seq


def seq2seq_to_onnx(model: Seq2Seq, *, opset: int = OPSET) -> tuple[Any, Any]:
    """The ONNX models of a :class:`rnnlab.models.seq2seq.Seq2Seq`: its encoder, and one step
    of its decoder (package docstring), which a greedy or beam search calls in a loop."""
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"expected a Seq2Seq model, got {type(model).__name__}")
    check_layer(model.encoder)
    check_layer(model.decoder)
    metadata = describe(model, source_vocab=model.source_vocab, target_vocab=model.target_vocab)
    return _seq2seq_encoder(model, metadata, opset), _seq2seq_decoder(model, metadata, opset)


def _seq2seq_encoder(model: Seq2Seq, metadata: dict[str, str], opset: int) -> Any:
    """source (B, S), source_lengths (B,) → memory (B, S, 2H), keys (B, S, D) with attention,
    and the decoder's initial state through the bridge: h0 = tanh(W_b [→h; ←h] + b) per
    layer (L, B, D), and for an LSTM c0 = W_c [→c; ←c] + b_c."""
    c = model.config
    g = Graph()
    g.metadata = dict(metadata)
    g.inputs = [g.value("source", ["batch", "source_time"], integer=True),
                g.value("source_lengths", ["batch"], integer=True)]
    embedded = g.op("Gather", g.constant(model.source_embedding.weight.data, "source_embedding"),
                    "source")
    x = g.op("Transpose", embedded, perm=[1, 0, 2])
    lengths = g.op("Cast", "source_lengths", to=g.onnx.TensorProto.INT32)
    outputs, finals = recurrent_stack(g, model.encoder, x, lengths, None)
    g.node("Transpose", [outputs], ["memory"], perm=[1, 0, 2])
    g.outputs = [g.value("memory", ["batch", "source_time", 2 * c.hidden_size])]
    if c.attention:  # k_s = W_a h̄_s / √D
        attention = model.attention
        projected = g.op("MatMul", "memory", g.constant(attention.key_projection.weight.data.T))
        g.node("Mul", [projected, g.constant(np.float32(1.0 / np.sqrt(attention.query_size)))],
               ["keys"])
        g.outputs.append(g.value("keys", ["batch", "source_time", c.decoder_hidden_size]))
    bridges = [("h0", model.bridge, True)]
    if c.cell == "lstm":
        bridges.append(("c0", model.cell_bridge, False))
    for (name, linear, squash), final in zip(bridges, finals, strict=True):
        # (L·2, B, H) → (L, 2, B, H) → (L, B, 2, H) → (L, B, 2H)
        both = g.op("Reshape", final, g.constant(np.array([c.num_layers, 2, -1, c.hidden_size])))
        both = g.op("Reshape", g.op("Transpose", both, perm=[0, 2, 1, 3]),
                    g.constant(np.array([0, 0, 2 * c.hidden_size])))
        mapped = g.op("Add", g.op("MatMul", both, g.constant(linear.weight.data.T)),
                      g.constant(linear.bias.data))
        g.node("Tanh" if squash else "Identity", [mapped], [name])
        g.outputs.append(g.value(name, [c.num_layers, "batch", c.decoder_hidden_size]))
    return g.model("rnnlab_seq2seq_encoder", "rnnlab seq2seq encoder", opset)


def _seq2seq_decoder(model: Seq2Seq, metadata: dict[str, str], opset: int) -> Any:
    """One decoder step for R rows (sentences × beam): tokens (R,), the state, and with
    attention each row's memory, keys and source length → log P(next token) (R, V) with
    <pad> and <bos> at −∞, the new state and the attention weights (R, S)::

        h_t = decoder(e(y_{t−1}), state)     a = softmax_s(h_t · k_s), s < length
        h̃_t = tanh(W_c [Σ_s a_s h̄_s ; h_t])  log_softmax(W_o h̃_t + b_o)
    """
    c = model.config
    D = c.decoder_hidden_size
    g = Graph()
    g.metadata = dict(metadata)
    state_names = ["h", "c"] if c.cell == "lstm" else ["h"]
    g.inputs = [g.value("tokens", ["rows"], integer=True),
                *(g.value(name, [c.num_layers, "rows", D]) for name in state_names)]
    embedded = g.op("Gather", g.constant(model.target_embedding.weight.data, "target_embedding"),
                    "tokens")
    x = g.op("Unsqueeze", embedded, g.constant(np.array([0])))  # one step: (1, R, E)
    outputs, finals = recurrent_stack(g, model.decoder, x, "", state_names)
    query = g.op("Squeeze", outputs, g.constant(np.array([0])))  # (R, D)
    for final, name in zip(finals, state_names, strict=True):
        g.node("Identity", [final], [f"{name}_n"])
    if c.attention:
        g.inputs += [g.value("memory", ["rows", "source_time", 2 * c.hidden_size]),
                     g.value("keys", ["rows", "source_time", D]),
                     g.value("source_lengths", ["rows"], integer=True)]
        scores = g.op("MatMul", g.op("Unsqueeze", query, g.constant(np.array([1]))),
                      g.op("Transpose", "keys", perm=[0, 2, 1]))  # (R, 1, S)
        valid = g.running(0, g.size("keys", 1), "source_lengths", time_major=False)  # (R, S)
        masked = g.op("Where", g.op("Unsqueeze", valid, g.constant(np.array([1]))), scores,
                      g.constant(np.array(-np.inf, np.float32)))
        weights = g.op("Softmax", masked, axis=2)
        context = g.op("Squeeze", g.op("MatMul", weights, "memory"), g.constant(np.array([1])))
        g.node("Squeeze", [weights, g.constant(np.array([1]))], ["attention"])
        projection = model.attention.output_projection.weight.data.T
        query = g.op("Tanh", g.op("MatMul", g.op("Concat", context, query, axis=1),
                                  g.constant(projection)))
    logits = g.op("Add", g.op("MatMul", query, g.constant(model.output.weight.data.T)),
                  g.constant(model.output.bias.data))
    blocked = np.zeros(c.target_vocab_size, np.float32)
    blocked[model.blocked_ids] = -np.inf  # never <pad> or <bos>
    g.node("Add", [g.op("LogSoftmax", logits, axis=1), g.constant(blocked)], ["log_probs"])
    g.outputs = [g.value("log_probs", ["rows", c.target_vocab_size]),
                 *(g.value(f"{name}_n", [c.num_layers, "rows", D]) for name in state_names)]
    if c.attention:
        g.outputs.append(g.value("attention", ["rows", "source_time"]))
    return g.model("rnnlab_seq2seq_decoder_step", "rnnlab seq2seq decoder, one step", opset)
