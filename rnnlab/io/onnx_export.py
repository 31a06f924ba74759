"""Export trained recurrent networks to ONNX, to run them without rnnlab.

ONNX has the three units as operators of their own (``RNN``, ``LSTM``, ``GRU``), with per-
sequence lengths (``sequence_lens``) and a reverse direction that starts at each sequence's
own end — the semantics of rnnlab's layers (LECTURE §9). Each layer ℓ becomes one such node
holding both its directions; its output (T, D, B, H) is laid out as (T, B, D·H) for layer
ℓ + 1 (LECTURE §10). What differs is only how the weights are stacked:

* gate order: PyTorch's (and rnnlab's) LSTM rows are i, f, g, o, ONNX's i, o, f, c; GRU rows
  are r, z, n, ONNX's z, r, h;
* biases: ONNX's ``B`` is [W_b ; R_b] per direction, i.e. ``bias_ih`` then ``bias_hh``;
* the GRU's two forms (LECTURE §7) are ONNX's two values of ``linear_before_reset``: 1 is
  the PyTorch form, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); 0 applies r before the
  product, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn), as the lecture does. ONNX then
  updates h' = (1 − z) ⊙ n + z ⊙ h, where the lecture writes h' = (1 − z) ⊙ h + z ⊙ h̃: the
  lecture's z is ONNX's 1 − z, and σ(−a) = 1 − σ(a), so the z rows of the weights and biases
  are exported negated — exactly the same function.

Four exports, each a checked ``onnx.ModelProto`` (write it with :func:`save`):

* :func:`recurrent_to_onnx` — an ``RNN``/``LSTM``/``GRU`` module. Inputs ``input`` ((T, B, I),
  or (B, T, I) for a ``batch_first`` layer), ``lengths`` (B,) int64 — each sequence's true
  length, T for all when there is no padding — and with ``initial_state=True`` ``h0`` (and
  ``c0``), (num_layers·D, B, H). Outputs ``output``, ``h_n`` (and ``c_n``), as ``forward``.
* :func:`language_model_to_onnx` — a :class:`LanguageModel`: ``ids`` (T, B) int64 and each
  layer's state in (``h0_l{i}``, ``c0_l{i}``; zeros to start) → ``logits`` (T, B, V) and each
  layer's state out, so that a generation loop can feed one token at a time.
* :func:`classifier_to_onnx` — a :class:`SentenceClassifier`: ``ids`` (B, T) int64 and
  ``lengths`` (B,) → ``probabilities`` (B, C), through the model's pooling (last, max, mean
  or attention); with character features also ``char_ids``, ``char_lengths`` and
  ``form_index`` (B, T), as for a tagger below.
* :func:`tagger_to_onnx` — a :class:`Tagger` without a CRF: the arrays of its ``encode``
  batch — ``word_ids`` (T, B) of each word's key (lower-cased, digits → 0), ``lengths``,
  the batch's distinct forms spelt as ``char_ids`` (L, U) with ``char_lengths`` (U,), and
  ``form_index`` (T, B), each token's row among them — → ``upos`` (T, B) tag ids and
  ``upos_scores`` (and ``xpos``, ``xpos_scores`` when the model has that head).

Time, batch (and a tagger's forms and characters) are dynamic; graphs are float32
(onnxruntime's LSTM runs nothing else); dropout is a training-time operation and is not
exported. The models' vocabularies and label names travel in the file's metadata
(``rnnlab.vocab``, ``rnnlab.labels``, ``rnnlab.words``, ``rnnlab.chars``, ``rnnlab.upos``, …,
JSON), so the file alone maps text to ids and ids to tags. Needs the ``onnx`` package
(``pip install 'rnnlab[onnx]'``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.io.atomic import atomic_path
from rnnlab.recurrent.layers import GRU, LSTM, RNN, RecurrentBase

OPSET = 17
ONNX_GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn": (0,)}
"""For each ONNX gate block in turn, the index of the same block in rnnlab's rows."""
ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "exporting to ONNX needs the onnx package: pip install 'rnnlab[onnx]'"
        ) from None
    return onnx


def _reorder(rows: np.ndarray, cell: str, hidden: int) -> np.ndarray:
    """rnnlab's gate blocks (along axis 0, ``hidden`` rows each) in ONNX's order."""
    blocks = [rows[k * hidden : (k + 1) * hidden] for k in range(rows.shape[0] // hidden)]
    return np.concatenate([blocks[k] for k in ONNX_GATE_ORDER[cell]], axis=0)


def _direction_weights(layer: RecurrentBase, suffix: str) -> tuple[np.ndarray, ...]:
    """(W, R, B) of one direction in ONNX's layout: W (G·H, in), R (G·H, H), B (2·G·H,)."""
    H, cell = layer.hidden_size, layer.cell_kind
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


def _check_layer(layer: Any) -> None:
    if not isinstance(layer, RNN | LSTM | GRU):
        raise TypeError(f"can export rnnlab.RNN, LSTM or GRU, not {type(layer).__name__}")
    dtype = np.dtype(layer.dtype)
    if dtype != np.float32:  # onnxruntime's LSTM, for one, runs float32 only
        raise TypeError(f"ONNX export writes float32 layers; this one is {dtype}: export a "
                        f"float32 copy (layer.astype(np.float32))")


class _Graph:
    """Nodes, initializers, inputs and outputs of one ONNX graph being built."""

    def __init__(self) -> None:
        self.onnx = _onnx()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self.metadata: dict[str, str] = {}
        self._names = 0

    def name(self, hint: str) -> str:
        """A fresh tensor name."""
        self._names += 1
        return f"{hint}_{self._names}"

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

    def value(self, name: str, dims: list, integer: bool = False) -> Any:
        tensor = self.onnx.TensorProto
        return self.onnx.helper.make_tensor_value_info(
            name, tensor.INT64 if integer else tensor.FLOAT, dims)

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


def _recurrent_stack(g: _Graph, layer: RecurrentBase, x: str, sequence_lens: str,
                     states: list[str] | None) -> tuple[str, list[str]]:
    """Time-major ``x`` (T, B, in) through every layer of ``layer``; ``states`` names h0
    (and c0), (L·D, B, H), or None for zeros. Returns the output (T, B, D·H) and the names
    of h_n (and c_n), (L·D, B, H)."""
    H, D, L = layer.hidden_size, layer.num_directions, layer.num_layers
    is_lstm = isinstance(layer, LSTM)
    op = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[layer.cell_kind]
    attributes: dict[str, Any] = {"hidden_size": H,
                                  "direction": "bidirectional" if D == 2 else "forward"}
    if isinstance(layer, RNN):
        attributes["activations"] = [ACTIVATIONS[layer.nonlinearity]] * D
    if isinstance(layer, GRU):
        attributes["linear_before_reset"] = int(layer.form == "pytorch")
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


def _char_inputs(g: _Graph, form_index_dims: list[str]) -> list[Any]:
    """The graph inputs that spell a batch's distinct forms (:class:`CharBatch`)."""
    return [g.value("char_ids", ["chars", "forms"], integer=True),
            g.value("char_lengths", ["forms"], integer=True),
            g.value("form_index", form_index_dims, integer=True)]


def _char_vectors(g: _Graph, encoder: Any, form_index: str) -> str:
    """r(w) = [→h_n ; ←h_1] of a :class:`CharEncoder`'s BiLSTM over each distinct form's
    characters (``char_ids`` (L, U), ``char_lengths`` (U,)), gathered by ``form_index``."""
    _check_layer(encoder.lstm)
    chars = g.op("Gather", g.constant(encoder.embedding.weight.data, "chars"), "char_ids")
    _, (h_n, _) = _recurrent_stack(g, encoder.lstm, chars,
                                   g.op("Cast", "char_lengths", to=g.onnx.TensorProto.INT32),
                                   None)
    per_form = g.op("Reshape", g.op("Transpose", h_n, perm=[1, 0, 2]),
                    g.constant(np.array([0, encoder.output_size])))  # (U, 2h)
    return g.op("Gather", per_form, form_index)


def recurrent_to_onnx(layer: RecurrentBase, *, initial_state: bool = False,
                      opset: int = OPSET) -> Any:
    """The ONNX model of ``layer``'s forward pass in evaluation mode (module docstring)."""
    _check_layer(layer)
    g = _Graph()
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
    y, final = _recurrent_stack(g, layer, x, sequence_lens,
                                state_names if initial_state else None)
    g.node("Transpose" if layer.batch_first else "Identity", [y], ["output"],
           **({"perm": [1, 0, 2]} if layer.batch_first else {}))
    final_names = ["h_n", "c_n"] if is_lstm else ["h_n"]
    for source, name in zip(final, final_names, strict=True):
        g.node("Identity", [source], [name])
    g.outputs = [g.value("output", [*time_batch, D * H]),
                 *(g.value(name, [L * D, "batch", H]) for name in final_names)]
    return g.model(f"rnnlab_{type(layer).__name__}", f"rnnlab {layer!r}", opset)


def language_model_to_onnx(model: Any, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.language_model.LanguageModel` (module
    docstring): ids (T, B) and every layer's state → logits (T, B, V) and the new states."""
    from rnnlab.models.language_model import LanguageModel

    if not isinstance(model, LanguageModel):
        raise TypeError(f"expected a LanguageModel, got {type(model).__name__}")
    g = _Graph()
    H, V = model.config.hidden_size, model.config.vocab_size
    g.inputs = [g.value("ids", ["time", "batch"], integer=True)]
    x = g.op("Gather", g.constant(model.embedding.weight.data, "embedding"), "ids")
    for i, layer in enumerate(model.layers):
        _check_layer(layer)
        names = [f"h0_l{i}", f"c0_l{i}"] if isinstance(layer, LSTM) else [f"h0_l{i}"]
        g.inputs += [g.value(name, [1, "batch", H]) for name in names]
        x, final = _recurrent_stack(g, layer, x, "", names)  # "": every sequence runs to T
        for source, name in zip(final, ["h_n", "c_n"], strict=False):
            g.node("Identity", [source], [f"{name}_l{i}"])
            g.outputs.append(g.value(f"{name}_l{i}", [1, "batch", H]))
    weight = g.constant(model.output_weight.data.T, "output_weight")
    g.node("Add", [g.op("MatMul", x, weight), g.constant(model.output_bias.data, "bias")],
           ["logits"])
    g.outputs.insert(0, g.value("logits", ["time", "batch", V]))
    g.metadata = {"rnnlab.kind": "language_model",
                  "rnnlab.vocab": json.dumps(model.vocab.to_dict(), ensure_ascii=False),
                  "rnnlab.config": json.dumps(asdict(model.config))}
    return g.model("rnnlab_language_model", "rnnlab language model: ids → logits", opset)


def classifier_to_onnx(model: Any, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.classifier.SentenceClassifier` (module
    docstring): ids (B, T), lengths (B,) — and, with a character encoder, the characters of
    the batch's distinct normalised forms, ``form_index`` (B, T) — → probabilities (B, C)."""
    from rnnlab.models.classifier import SentenceClassifier

    if not isinstance(model, SentenceClassifier):
        raise TypeError(f"expected a SentenceClassifier, got {type(model).__name__}")
    _check_layer(model.encoder)
    g = _Graph()
    g.inputs = [g.value("ids", ["batch", "time"], integer=True),
                g.value("lengths", ["batch"], integer=True)]
    embedded = g.op("Gather", g.constant(model.embedding.weight.data, "embedding"), "ids")
    x = g.op("Transpose", embedded, perm=[1, 0, 2])  # (T, B, E)
    if model.char_encoder is not None:  # [e(w) ; r(w)], the characters of each token's form
        g.inputs += _char_inputs(g, ["batch", "time"])
        form_index = g.op("Transpose", "form_index", perm=[1, 0])
        x = g.op("Concat", x, _char_vectors(g, model.char_encoder, form_index), axis=2)
        g.metadata["rnnlab.chars"] = json.dumps(model.chars.to_dict(), ensure_ascii=False)
    sequence_lens = g.op("Cast", "lengths", to=g.onnx.TensorProto.INT32)
    states, _ = _recurrent_stack(g, model.encoder, x, sequence_lens, None)
    features = model.encoder.num_directions * model.encoder.hidden_size
    sentence = _pool(g, model.pooling, states, "lengths", features)
    logits = g.op("Add", g.op("MatMul", sentence, g.constant(model.output.weight.data.T)),
                  g.constant(model.output.bias.data))
    g.node("Softmax", [logits], ["probabilities"], axis=-1)
    g.outputs = [g.value("probabilities", ["batch", model.config.num_classes])]
    g.metadata |= {"rnnlab.kind": "classifier",
                  "rnnlab.vocab": json.dumps(model.vocab.to_dict(), ensure_ascii=False),
                  "rnnlab.labels": json.dumps(model.labels, ensure_ascii=False),
                  "rnnlab.config": json.dumps(asdict(model.config))}
    return g.model("rnnlab_classifier", "rnnlab sentence classifier: ids → probabilities",
                   opset)


def tagger_to_onnx(model: Any, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.tagger.Tagger` without a CRF (module
    docstring): the arrays of its ``encode`` batch → UPOS (and XPOS) ids and scores."""
    from rnnlab.models.tagger import Tagger

    if not isinstance(model, Tagger):
        raise TypeError(f"expected a Tagger, got {type(model).__name__}")
    if model.crf is not None:
        raise ValueError("this tagger decodes with a CRF (Viterbi), which ONNX export does "
                         "not cover; taggers trained without --crf export")
    _check_layer(model.lstm)
    g = _Graph()
    g.inputs = [g.value("word_ids", ["time", "batch"], integer=True),
                g.value("lengths", ["batch"], integer=True),
                *_char_inputs(g, ["time", "batch"])]
    int32 = g.onnx.TensorProto.INT32
    char_vectors = _char_vectors(g, model.char_encoder, "form_index")  # (T, B, 2h)
    words = g.op("Gather", g.constant(model.word_embedding.weight.data, "words"), "word_ids")
    x = g.op("Concat", words, char_vectors, axis=2)
    states, _ = _recurrent_stack(g, model.lstm, x, g.op("Cast", "lengths", to=int32), None)
    heads = [("upos", model.upos_head, model.upos_vocab),
             ("xpos", model.xpos_head, model.xpos_vocab)]
    for name, head, vocab in heads:
        if head is None:
            continue
        g.node("Add", [g.op("MatMul", states, g.constant(head.weight.data.T)),
                       g.constant(head.bias.data)], [f"{name}_scores"])
        g.node("ArgMax", [f"{name}_scores"], [name], axis=2, keepdims=0)
        g.outputs += [g.value(name, ["time", "batch"], integer=True),
                      g.value(f"{name}_scores", ["time", "batch", len(vocab)])]
        g.metadata[f"rnnlab.{name}"] = json.dumps(vocab.to_dict(), ensure_ascii=False)
    g.metadata.update({"rnnlab.kind": "pos_tagger",
                       "rnnlab.words": json.dumps(model.words.to_dict(), ensure_ascii=False),
                       "rnnlab.chars": json.dumps(model.chars.to_dict(), ensure_ascii=False),
                       "rnnlab.config": json.dumps(asdict(model.config))})
    return g.model("rnnlab_tagger", "rnnlab part-of-speech tagger: ids → tags", opset)


def seq2seq_to_onnx(model: Any, *, opset: int = OPSET) -> tuple[Any, Any]:
    """The ONNX models of a :class:`rnnlab.models.seq2seq.Seq2Seq`: its encoder, and one step
    of its decoder (module docstring), which a greedy or beam search calls in a loop."""
    from rnnlab.models.seq2seq import Seq2Seq

    if not isinstance(model, Seq2Seq):
        raise TypeError(f"expected a Seq2Seq model, got {type(model).__name__}")
    _check_layer(model.encoder)
    _check_layer(model.decoder)
    metadata = {"rnnlab.kind": "seq2seq",
                "rnnlab.source_vocab": json.dumps(model.source_vocab.to_dict(),
                                                  ensure_ascii=False),
                "rnnlab.target_vocab": json.dumps(model.target_vocab.to_dict(),
                                                  ensure_ascii=False),
                "rnnlab.config": json.dumps(asdict(model.config))}
    return _seq2seq_encoder(model, metadata, opset), _seq2seq_decoder(model, metadata, opset)


def _seq2seq_encoder(model: Any, metadata: dict[str, str], opset: int) -> Any:
    """source (B, S), source_lengths (B,) → memory (B, S, 2H), keys (B, S, D) with attention,
    and the decoder's initial state through the bridge: h0 = tanh(W_b [→h; ←h] + b) per
    layer (L, B, D), and for an LSTM c0 = W_c [→c; ←c] + b_c."""
    c = model.config
    g = _Graph()
    g.metadata = dict(metadata)
    g.inputs = [g.value("source", ["batch", "source_time"], integer=True),
                g.value("source_lengths", ["batch"], integer=True)]
    embedded = g.op("Gather", g.constant(model.source_embedding.weight.data, "source_embedding"),
                    "source")
    x = g.op("Transpose", embedded, perm=[1, 0, 2])
    lengths = g.op("Cast", "source_lengths", to=g.onnx.TensorProto.INT32)
    outputs, finals = _recurrent_stack(g, model.encoder, x, lengths, None)
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


def _seq2seq_decoder(model: Any, metadata: dict[str, str], opset: int) -> Any:
    """One decoder step for R rows (sentences × beam): tokens (R,), the state, and with
    attention each row's memory, keys and source length → log P(next token) (R, V) with
    <pad> and <bos> at −∞, the new state and the attention weights (R, S)::

        h_t = decoder(e(y_{t−1}), state)     a = softmax_s(h_t · k_s), s < length
        h̃_t = tanh(W_c [Σ_s a_s h̄_s ; h_t])  log_softmax(W_o h̃_t + b_o)
    """
    c = model.config
    D = c.decoder_hidden_size
    g = _Graph()
    g.metadata = dict(metadata)
    state_names = ["h", "c"] if c.cell == "lstm" else ["h"]
    g.inputs = [g.value("tokens", ["rows"], integer=True),
                *(g.value(name, [c.num_layers, "rows", D]) for name in state_names)]
    embedded = g.op("Gather", g.constant(model.target_embedding.weight.data, "target_embedding"),
                    "tokens")
    x = g.op("Unsqueeze", embedded, g.constant(np.array([0])))  # one step: (1, R, E)
    outputs, finals = _recurrent_stack(g, model.decoder, x, "", state_names)
    query = g.op("Squeeze", outputs, g.constant(np.array([0])))  # (R, D)
    for final, name in zip(finals, state_names, strict=True):
        g.node("Identity", [final], [f"{name}_n"])
    if c.attention:
        g.inputs += [g.value("memory", ["rows", "source_time", 2 * c.hidden_size]),
                     g.value("keys", ["rows", "source_time", D]),
                     g.value("source_lengths", ["rows"], integer=True)]
        scores = g.op("MatMul", g.op("Unsqueeze", query, g.constant(np.array([1]))),
                      g.op("Transpose", "keys", perm=[0, 2, 1]))  # (R, 1, S)
        positions = g.op("Range", g.constant(np.array(0)),
                         g.op("Gather", g.op("Shape", "keys"), g.constant(np.array(1))),
                         g.constant(np.array(1)))
        valid = g.op("Less", g.op("Unsqueeze", positions, g.constant(np.array([0]))),
                     g.op("Unsqueeze", "source_lengths", g.constant(np.array([1]))))  # (R, S)
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


def _pool(g: _Graph, pooling: Any, states: str, lengths: str, features: int) -> str:
    """(T, B, F) states → (B, F) sentence vectors, as :mod:`rnnlab.nn.pooling` computes them
    (padding never counts): valid[t, b] = t < L_b."""
    steps = g.op("Range", g.constant(np.array(0)),
                 g.op("Gather", g.op("Shape", states), g.constant(np.array(0))),
                 g.constant(np.array(1)))
    valid = g.op("Less", g.op("Unsqueeze", steps, g.constant(np.array([1]))),
                 g.op("Unsqueeze", lengths, g.constant(np.array([0]))))  # (T, B)
    valid3 = g.op("Unsqueeze", valid, g.constant(np.array([2])))  # (T, B, 1)
    mask = g.op("Cast", valid3, to=g.onnx.TensorProto.FLOAT)
    time_axis = g.constant(np.array([0]))
    if pooling.method == "max":  # s = max over t < L_b
        masked = g.op("Where", valid3, states, g.constant(np.array(-np.inf, np.float32)))
        return g.op("ReduceMax", masked, axes=[0], keepdims=0)  # axes: an attribute until 18
    if pooling.method == "mean":  # s = Σ_{t < L_b} h_t / L_b
        total = g.op("ReduceSum", g.op("Mul", states, mask), time_axis, keepdims=0)
        count = g.op("Cast", g.op("Unsqueeze", lengths, g.constant(np.array([1]))),
                     to=g.onnx.TensorProto.FLOAT)
        return g.op("Div", total, count)
    if pooling.method == "last":  # [→h at L_b − 1 ; ←h at 0]
        last = g.op("Sub", lengths, g.constant(np.array(1)))
        at_last = g.op("Cast", g.op("Equal", g.op("Unsqueeze", steps, g.constant(np.array([1]))),
                                    g.op("Unsqueeze", last, g.constant(np.array([0])))),
                       to=g.onnx.TensorProto.FLOAT)
        forward = g.op("ReduceSum", g.op("Mul", states, g.op(
            "Unsqueeze", at_last, g.constant(np.array([2])))), time_axis, keepdims=0)
        if pooling.num_directions == 1:
            return forward
        first = g.op("Gather", states, g.constant(np.array(0)), axis=0)  # (B, F)
        half = g.constant(np.array([features // 2]))
        end = g.constant(np.array([features]))
        one = g.constant(np.array([1]))
        return g.op("Concat", g.op("Slice", forward, g.constant(np.array([0])), half, one),
                    g.op("Slice", first, half, end, one), axis=1)
    attention = pooling.attention  # e = vᵀ tanh(W h + c), α = softmax over t < L_b, s = Σ α h
    hidden = g.op("Tanh", g.op("Add", g.op("MatMul", states,
                                           g.constant(attention.proj.weight.data.T)),
                               g.constant(attention.proj.bias.data)))
    scores = g.op("MatMul", hidden, g.constant(attention.score.weight.data.T))  # (T, B, 1)
    scores = g.op("Where", valid3, scores, g.constant(np.array(-np.inf, np.float32)))
    alpha = g.op("Softmax", scores, axis=0)
    return g.op("ReduceSum", g.op("Mul", states, alpha), time_axis, keepdims=0)


def save(model: Any, path: str | Path) -> Path:
    """Write an ONNX model (from the functions above) to ``path``, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(model.SerializeToString())
    return path


def export_onnx(layer: RecurrentBase, path: str | Path, *, initial_state: bool = False,
                opset: int = OPSET) -> Path:
    """Write ``layer`` as an ONNX file at ``path`` (:func:`recurrent_to_onnx`)."""
    return save(recurrent_to_onnx(layer, initial_state=initial_state, opset=opset), path)
