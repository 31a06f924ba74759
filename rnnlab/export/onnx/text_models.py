"""rnnlab's language model, sentence classifier and tagger as ONNX graphs: embedding
lookups, character encoders, the recurrent stacks, pooling and output layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.export.onnx.crf import viterbi
from rnnlab.export.onnx.graph import OPSET, Graph, describe
from rnnlab.export.onnx.recurrent import check_layer, recurrent_stack
from rnnlab.models.classifier import SentenceClassifier
from rnnlab.models.conditional_generator import ConditionalGenerator
from rnnlab.models.language_model import LanguageModel
from rnnlab.models.tagger import Tagger
from rnnlab.recurrent.layers import LSTM


def char_inputs(g: Graph, form_index_dims: list[str]) -> list[Any]:
    """The graph inputs that spell a batch's distinct forms (:class:`CharBatch`)."""
    return [g.value("char_ids", ["chars", "forms"], integer=True),
            g.value("char_lengths", ["forms"], integer=True),
            g.value("form_index", form_index_dims, integer=True)]


def char_vectors(g: Graph, encoder: Any, form_index: str) -> str:
    """r(w) = [→h_n ; ←h_1] of a :class:`CharEncoder`'s BiLSTM over each distinct form's
    characters (``char_ids`` (L, U), ``char_lengths`` (U,)), gathered by ``form_index``."""
    check_layer(encoder.lstm)
    chars = g.op("Gather", g.constant(encoder.embedding.weight.data, "chars"), "char_ids")
    _, (h_n, _) = recurrent_stack(g, encoder.lstm, chars,
                                   g.op("Cast", "char_lengths", to=g.onnx.TensorProto.INT32),
                                   None)
    per_form = g.op("Reshape", g.op("Transpose", h_n, perm=[1, 0, 2]),
                    g.constant(np.array([0, encoder.output_size])))  # (U, 2h)
    return g.op("Gather", per_form, form_index)


def language_model_to_onnx(model: LanguageModel, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.language_model.LanguageModel` (see
    :mod:`rnnlab.export.onnx`): ids (T, B) and every layer's state → logits (T, B, V)
    and the new states."""
    if not isinstance(model, LanguageModel):
        raise TypeError(f"expected a LanguageModel, got {type(model).__name__}")
    g = Graph()
    H, V = model.config.hidden_size, model.config.vocab_size
    g.inputs = [g.value("ids", ["time", "batch"], integer=True)]
    x = g.op("Gather", g.constant(model.embedding.weight.data, "embedding"), "ids")
    for i, layer in enumerate(model.layers):
        check_layer(layer)
        names = [f"h0_l{i}", f"c0_l{i}"] if isinstance(layer, LSTM) else [f"h0_l{i}"]
        g.inputs += [g.value(name, [1, "batch", H]) for name in names]
        x, final = recurrent_stack(g, layer, x, "", names)  # "": every sequence runs to T
        for source, name in zip(final, ["h_n", "c_n"], strict=False):
            g.node("Identity", [source], [f"{name}_l{i}"])
            g.outputs.append(g.value(f"{name}_l{i}", [1, "batch", H]))
    weight = g.constant(model.output_weight.data.T, "output_weight")
    g.node("Add", [g.op("MatMul", x, weight), g.constant(model.output_bias.data, "bias")],
           ["logits"])
    g.outputs.insert(0, g.value("logits", ["time", "batch", V]))
    g.metadata = describe(model, vocab=model.vocab)
    return g.model("rnnlab_language_model", "rnnlab language model: ids → logits", opset)


def classifier_to_onnx(model: SentenceClassifier, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.classifier.SentenceClassifier` (see
    :mod:`rnnlab.export.onnx`): ids (B, T), lengths (B,) — and, with a character
    encoder, the characters of the batch's distinct normalised forms, ``form_index`` (B, T)
    — → probabilities (B, C)."""
    if not isinstance(model, SentenceClassifier):
        raise TypeError(f"expected a SentenceClassifier, got {type(model).__name__}")
    check_layer(model.encoder)
    g = Graph()
    g.inputs = [g.value("ids", ["batch", "time"], integer=True),
                g.value("lengths", ["batch"], integer=True)]
    embedded = g.op("Gather", g.constant(model.embedding.weight.data, "embedding"), "ids")
    x = g.op("Transpose", embedded, perm=[1, 0, 2])  # (T, B, E)
    if model.char_encoder is not None:  # [e(w) ; r(w)], the characters of each token's form
        g.inputs += char_inputs(g, ["batch", "time"])
        form_index = g.op("Transpose", "form_index", perm=[1, 0])
        x = g.op("Concat", x, char_vectors(g, model.char_encoder, form_index), axis=2)
    sequence_lens = g.op("Cast", "lengths", to=g.onnx.TensorProto.INT32)
    states, _ = recurrent_stack(g, model.encoder, x, sequence_lens, None)
    features = model.encoder.num_directions * model.encoder.hidden_size
    sentence = _pool(g, model.pooling, states, "lengths", features)
    logits = g.op("Add", g.op("MatMul", sentence, g.constant(model.output.weight.data.T)),
                  g.constant(model.output.bias.data))
    g.node("Softmax", [logits], ["probabilities"], axis=-1)
    g.outputs = [g.value("probabilities", ["batch", model.config.num_classes])]
    characters = {} if model.char_encoder is None else {"chars": model.chars}
    g.metadata = describe(model, vocab=model.vocab, labels=model.labels, **characters)
    return g.model("rnnlab_classifier", "rnnlab sentence classifier: ids → probabilities",
                   opset)


def tagger_to_onnx(model: Tagger, *, opset: int = OPSET) -> Any:
    """The ONNX model of a :class:`rnnlab.models.tagger.Tagger` (package docstring): the
    arrays of its ``encode`` batch → UPOS (and XPOS, FEATS) ids and scores; with a CRF, the UPOS
    ids are its Viterbi path (:mod:`.crf`)."""
    if not isinstance(model, Tagger):
        raise TypeError(f"expected a Tagger, got {type(model).__name__}")
    check_layer(model.lstm)
    g = Graph()
    g.inputs = [g.value("word_ids", ["time", "batch"], integer=True),
                g.value("lengths", ["batch"], integer=True),
                *char_inputs(g, ["time", "batch"])]
    int32 = g.onnx.TensorProto.INT32
    spelt = char_vectors(g, model.char_encoder, "form_index")  # (T, B, 2h)
    words = g.op("Gather", g.constant(model.word_embedding.weight.data, "words"), "word_ids")
    x = g.op("Concat", words, spelt, axis=2)
    states, _ = recurrent_stack(g, model.lstm, x, g.op("Cast", "lengths", to=int32), None)
    heads = [("upos", model.upos_head, model.upos_vocab),
             ("xpos", model.xpos_head, model.xpos_vocab),
             ("feats", model.feats_head, model.feats_vocab)]
    for name, head, vocab in heads:
        if head is None:
            continue
        g.node("Add", [g.op("MatMul", states, g.constant(head.weight.data.T)),
                       g.constant(head.bias.data)], [f"{name}_scores"])
        if name == "upos" and model.crf is not None:  # the best sequence, not the best tags
            g.node("Identity", [viterbi(g, "upos_scores", "lengths", model.crf)], [name])
        else:
            g.node("ArgMax", [f"{name}_scores"], [name], axis=2, keepdims=0)
        g.outputs += [g.value(name, ["time", "batch"], integer=True),
                      g.value(f"{name}_scores", ["time", "batch", len(vocab)])]
    tags = {"upos": model.upos_vocab}
    if model.xpos_head is not None:
        tags["xpos"] = model.xpos_vocab
    if model.feats_head is not None:
        tags["feats"] = model.feats_vocab
    g.metadata = describe(model, words=model.words, chars=model.chars, **tags)
    return g.model("rnnlab_tagger", "rnnlab part-of-speech tagger: ids → tags", opset)


def _pool(g: Graph, pooling: Any, states: str, lengths: str, features: int) -> str:
    """(T, B, F) states → (B, F) sentence vectors, as :mod:`rnnlab.nn.pooling` computes them
    (padding never counts): valid[t, b] = t < L_b."""
    valid = g.running(0, g.size(states, 0), lengths)  # (T, B)
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
        steps = g.op("Range", g.constant(np.array(0)), g.size(states, 0),
                     g.constant(np.array(1)))
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


def conditional_generator_to_onnx(
    model: ConditionalGenerator, *, opset: int = OPSET
) -> tuple[Any, Any]:
    """The ONNX models of a :class:`rnnlab.models.conditional_generator.ConditionalGenerator`
    (one vector to a sequence, LECTURE §3.2): ``start`` maps the condition vectors to the
    initial state, [h(0); c(0)] = tanh(W_v v + b_v) (zeros without conditioning); ``step``
    runs ids (T, B) from a state — with the condition joining every input in the
    "init+input" mode — to logits (T, B, V) and the new state."""
    if not isinstance(model, ConditionalGenerator):
        raise TypeError(f"expected a ConditionalGenerator, got {type(model).__name__}")
    check_layer(model.rnn)
    c = model.config
    L, H = c.num_layers, c.hidden_size
    names = ["h", "c"][: model.states_per_layer]
    metadata = describe(model, vocab=model.vocab)

    start = Graph()
    start.metadata = dict(metadata)
    start.inputs = [start.value("conditions", ["batch", c.condition_dim])]
    if c.condition_mode == "none":
        shape = start.op("Concat", start.constant(np.array([L])),
                         start.size("conditions", 0, vector=True),
                         start.constant(np.array([H])), axis=0)
        zeros = start.op("ConstantOfShape", shape,
                         value=start.onnx.numpy_helper.from_array(np.zeros(1, np.float32)))
        for name in names:
            start.node("Identity", [zeros], [f"{name}0"])
    else:  # tanh(W_v v + b_v) → (B, S·L, H) → (S·L, B, H), split into h0 (and c0)
        z = start.op("Tanh", start.op("Add", start.op(
            "MatMul", "conditions", start.constant(model.condition_to_state.weight.data.T)),
            start.constant(model.condition_to_state.bias.data)))
        z = start.op("Transpose", start.op("Reshape", z, start.constant(
            np.array([0, model.states_per_layer * L, H]))), perm=[1, 0, 2])
        if len(names) == 1:
            start.node("Identity", [z], ["h0"])
        else:
            start.node("Split", [z, start.constant(np.array([L, L]))], ["h0", "c0"], axis=0)
    start.outputs = [start.value(f"{name}0", [L, "batch", H]) for name in names]

    step = Graph()
    step.metadata = dict(metadata)
    step.inputs = [step.value("ids", ["time", "batch"], integer=True),
                   step.value("conditions", ["batch", c.condition_dim]),
                   *(step.value(name, [L, "batch", H]) for name in names)]
    x = step.op("Gather", step.constant(model.embedding.weight.data, "embedding"), "ids")
    if c.condition_mode == "init+input":  # x(t) = [E[y_{t−1}]; v]
        one = step.constant(np.array([1]))
        repeated = step.op("Tile", step.op("Unsqueeze", "conditions", step.constant(
            np.array([0]))), step.op("Concat", step.size("ids", 0, vector=True), one, one,
                                      axis=0))
        x = step.op("Concat", x, repeated, axis=2)
    output, finals = recurrent_stack(step, model.rnn, x, "", names)
    step.node("Add", [step.op("MatMul", output, step.constant(model.output.weight.data.T)),
                      step.constant(model.output.bias.data)], ["logits"])
    for final, name in zip(finals, names, strict=True):
        step.node("Identity", [final], [f"{name}_n"])
    step.outputs = [step.value("logits", ["time", "batch", c.vocab_size]),
                    *(step.value(f"{name}_n", [L, "batch", H]) for name in names)]
    if c.condition_mode != "init+input":  # the step does not read the conditions
        step.inputs = [v for v in step.inputs if v.name != "conditions"]
    return (start.model("rnnlab_generator_start", "rnnlab generator: condition → state", opset),
            step.model("rnnlab_generator_step", "rnnlab generator: ids, state → logits", opset))
