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

Six exports, each a checked ``onnx.ModelProto`` (write it with :func:`save`):

* :func:`recurrent_to_onnx` — an ``RNN``/``LSTM``/``GRU`` module. Inputs ``input`` ((T, B, I),
  or (B, T, I) for a ``batch_first`` layer), ``lengths`` (B,) int64 — each sequence's true
  length, T for all when there is no padding — and with ``initial_state=True`` ``h0`` (and
  ``c0``), (num_layers·D, B, H). Outputs ``output``, ``h_n`` (and ``c_n``), as ``forward``.
* :func:`language_model_to_onnx` — a :class:`LanguageModel`: ``ids`` (T, B) int64 and each
  layer's state in (``h0_l{i}``, ``c0_l{i}``; zeros to start) → ``logits`` (T, B, V) and each
  layer's state out, so that a generation loop can feed one token at a time.
* :func:`conditional_generator_to_onnx` — a :class:`ConditionalGenerator` (one vector to a
  sequence) as two models: ``start`` (``conditions`` (B, D) → ``h0``/``c0``) and ``step``
  (``ids`` (T, B), the state, and ``conditions`` when they join every input → ``logits``,
  ``h_n``/``c_n``).
* :func:`classifier_to_onnx` — a :class:`SentenceClassifier`: ``ids`` (B, T) int64 and
  ``lengths`` (B,) → ``probabilities`` (B, C), through the model's pooling (last, max, mean
  or attention); with character features also ``char_ids``, ``char_lengths`` and
  ``form_index`` (B, T), as for a tagger below.
* :func:`tagger_to_onnx` — a :class:`Tagger`: the arrays of its ``encode``
  batch — ``word_ids`` (T, B) of each word's key (lower-cased, digits → 0), ``lengths``,
  the batch's distinct forms spelt as ``char_ids`` (L, U) with ``char_lengths`` (U,), and
  ``form_index`` (T, B), each token's row among them — → ``upos`` (T, B) tag ids and
  ``upos_scores`` (and ``xpos``, ``xpos_scores`` when the model has that head); a CRF
  tagger's ``upos`` is its Viterbi path, decoded in the graph (:mod:`.crf`).
* :func:`seq2seq_to_onnx` — a :class:`Seq2Seq` translator as two models: the encoder
  (``source``, ``source_lengths`` → ``memory``, ``keys``, the decoder's initial ``h0``/``c0``)
  and one decoder step (``tokens``, ``h``/``c``, ``memory``, ``keys``, ``source_lengths`` →
  ``log_probs``, ``h_n``/``c_n``, ``attention``), called by a search loop.

:func:`export_model` picks the right one by the model's kind (:mod:`.exporters`, keyed by
the names of :mod:`rnnlab.models.registry`) and :func:`largest_difference` runs the result
in onnxruntime beside rnnlab (:mod:`.checks`).

The package: :mod:`.graph` builds and checks one graph, :mod:`.recurrent` maps the
recurrent modules, :mod:`.text_models` and :mod:`.seq2seq` the models around them,
:mod:`.crf` a CRF's Viterbi decoding, :mod:`.exporters` the table of kinds.

Time, batch (and a tagger's forms and characters) are dynamic; graphs are float32
(onnxruntime's LSTM runs nothing else); dropout is a training-time operation and is not
exported. The models' vocabularies and label names travel in the file's metadata
(``rnnlab.vocab``, ``rnnlab.labels``, ``rnnlab.words``, ``rnnlab.chars``, ``rnnlab.upos``, …,
JSON), so the file alone maps text to ids and ids to tags. Needs the ``onnx`` package
(``pip install 'rnnlab[onnx]'``).
"""

from rnnlab.export.onnx.exporters import (
    EXPORTERS,
    REFUSALS,
    export_model,
    largest_difference,
    part_path,
)
from rnnlab.export.onnx.graph import OPSET, save
from rnnlab.export.onnx.recurrent import export_onnx, recurrent_to_onnx
from rnnlab.export.onnx.seq2seq import seq2seq_to_onnx
from rnnlab.export.onnx.text_models import (
    classifier_to_onnx,
    conditional_generator_to_onnx,
    language_model_to_onnx,
    tagger_to_onnx,
)

__all__ = ["OPSET", "save", "recurrent_to_onnx", "export_onnx", "language_model_to_onnx",
           "classifier_to_onnx", "tagger_to_onnx", "seq2seq_to_onnx",
           "conditional_generator_to_onnx", "EXPORTERS", "REFUSALS", "export_model",
           "largest_difference", "part_path"]
