"""How each exported kind of model is compared with rnnlab: onnxruntime runs the written
graphs beside the model on the same inputs, and the largest difference is reported
(``rnnlab export --verify``; :func:`rnnlab.export.onnx.exporters.largest_difference` picks
the comparison by the model's kind).

Each comparison takes the onnxruntime sessions by part name ("model"; "encoder" and
"decoder"; "start" and "step") and the model, in evaluation mode without a tape, and
returns the largest |onnxruntime − rnnlab| and a description of the inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.data.batching import pad_sequences
from rnnlab.models.classifier import SentenceClassifier
from rnnlab.models.conditional_generator import ConditionalGenerator
from rnnlab.models.language_model import LanguageModel
from rnnlab.models.seq2seq import Seq2Seq
from rnnlab.models.tagger import Tagger

Sessions = dict[str, Any]

BATCH, STEPS, DECODER_STEPS = 4, 12, 5
SENTENCES = [["The", "cats", ",", "which", "already", "ate", "a", "bunch", "of", "food", ",",
              "were", "full", "."], ["Colorless", "green", "ideas", "sleep"],
             ["Supercalifragilisticexpialidocious", "!"]]
RANDOM = f"a random batch (seed 0, {BATCH} sequences of up to {STEPS} tokens)"
FIXED = f"{len(SENTENCES)} fixed sentences"


def _difference(got: np.ndarray, want: np.ndarray) -> float:
    """max |got − want| where both are finite; infinite entries must agree exactly."""
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)) or not np.array_equal(got[~finite],
                                                                          want[~finite]):
        return float("inf")
    return float(np.abs(got[finite] - want[finite]).max(initial=0.0))


def _random_ids(vocab_size: int, low: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(B, T) ids in [low, vocab_size) and lengths 1 … T."""
    rng = np.random.default_rng(0)
    lengths = np.linspace(1, STEPS, BATCH).astype(np.int64)
    return rng.integers(low, vocab_size, (BATCH, STEPS)), lengths


def language_model(sessions: Sessions, model: LanguageModel) -> tuple[float, str]:
    """The logits of random streams, from zero states."""
    session = sessions["model"]
    ids, _ = _random_ids(len(model.vocab))
    ids = ids.T.copy()  # (T, B): one stream per column
    zeros = {i.name: np.zeros((1, BATCH, model.config.hidden_size), np.float32)
             for i in session.get_inputs() if i.name != "ids"}
    got = session.run(["logits"], {"ids": ids, **zeros})[0]
    return _difference(got, model(ids)[0].data), RANDOM


def classifier(sessions: Sessions, model: SentenceClassifier) -> tuple[float, str]:
    """The probabilities of a random batch — of fixed sentences where characters are read."""
    session = sessions["model"]
    if model.char_encoder is not None:
        return _classifier_with_characters(session, model), FIXED
    ids, lengths = _random_ids(len(model.vocab))
    ids[np.arange(STEPS)[None, :] >= lengths[:, None]] = model.vocab.pad_id
    got = session.run(None, {"ids": ids, "lengths": lengths})[0]
    want = model.predict_proba_ids([row[:n].tolist() for row, n in zip(ids, lengths,
                                                                        strict=True)])
    return _difference(got, want), RANDOM


def _classifier_with_characters(session: Any, model: SentenceClassifier) -> float:
    forms = [model.normalise(tokens) for tokens in SENTENCES]
    ids, lengths = pad_sequences([model.vocab.encode(f) for f in forms], model.vocab.pad_id)
    chars = model.characters(forms)
    got = session.run(None, {"ids": ids, "lengths": lengths, "char_ids": chars.char_ids,
                             "char_lengths": chars.char_lengths,
                             "form_index": chars.form_index.T.copy()})[0]
    return _difference(got, model.predict_proba(SENTENCES))


def tagger(sessions: Sessions, model: Tagger) -> tuple[float, str]:
    """The UPOS scores of fixed sentences; and the tags (a CRF's Viterbi path) must be
    rnnlab's, else ∞."""
    session = sessions["model"]
    batch = model.encode(SENTENCES)
    tags, scores = session.run(["upos", "upos_scores"], {
        "word_ids": batch.ids, "lengths": batch.lengths,
        "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
        "form_index": batch.chars.form_index})
    upos, _ = model.predict(SENTENCES)
    if any(model.upos_vocab.decode(tags[: len(want), row]) != want
           for row, want in enumerate(upos)):
        return float("inf"), FIXED
    return _difference(scores, model.scores(batch)[0].data), FIXED


def seq2seq(sessions: Sessions, model: Seq2Seq) -> tuple[float, str]:
    """The encoder's outputs, then greedy steps fed the same tokens on both sides."""
    source, lengths = _random_ids(len(model.source_vocab), low=2)  # no <pad>, no <unk>
    source[np.arange(STEPS)[None, :] >= lengths[:, None]] = model.source_vocab.pad_id
    encoder, decoder = sessions["encoder"], sessions["decoder"]
    names = [o.name for o in encoder.get_outputs()]
    encoded = dict(zip(names, encoder.run(None, {"source": source, "source_lengths": lengths}),
                       strict=True))
    state = model.start_decoding(source, lengths)
    worst = _difference(encoded["memory"], state.memory)
    states = [name[:-1] for name in names if name in ("h0", "c0")]  # h (and c)
    feeds = {name: encoded[f"{name}0"] for name in states}
    if model.config.attention:
        feeds |= {"memory": encoded["memory"], "keys": encoded["keys"],
                  "source_lengths": lengths}
    tokens = np.full(BATCH, model.bos_id)
    step_names = [o.name for o in decoder.get_outputs()]
    for _ in range(DECODER_STEPS):
        got = dict(zip(step_names, decoder.run(None, {"tokens": tokens, **feeds}), strict=True))
        log_probs, state, _ = model.decode_step(tokens, state)
        worst = max(worst, _difference(got["log_probs"], log_probs))
        feeds |= {name: got[f"{name}_n"] for name in states}
        tokens = log_probs.argmax(axis=1)
    return worst, RANDOM + f", {DECODER_STEPS} greedy steps"


def conditional_generator(sessions: Sessions, model: ConditionalGenerator
                          ) -> tuple[float, str]:
    """The start state from random condition vectors, then the logits of a random batch."""
    ids, _ = _random_ids(len(model.vocab))
    ids = ids.T.copy()  # (T, B)
    conditions = np.random.default_rng(1).random((BATCH, model.config.condition_dim),
                                                 np.float32)
    start = sessions["start"].run(None, {"conditions": conditions})
    initial = model.initial_state(conditions)
    if initial is None:
        worst = max(float(np.abs(s).max()) for s in start)  # zeros on both sides
    else:
        wanted = initial if isinstance(initial, tuple) else (initial,)
        worst = max(_difference(s, w.data) for s, w in zip(start, wanted, strict=True))
    step = sessions["step"]
    names = [i.name for i in step.get_inputs()]
    feeds = {"ids": ids, **dict(zip([n for n in names if n in ("h", "c")], start,
                                    strict=True))}
    if "conditions" in names:
        feeds["conditions"] = conditions
    got = step.run(["logits"], feeds)[0]
    output, _ = model.rnn(model._step_inputs(ids, conditions), initial)
    return max(worst, _difference(got, model.output(output).data)), RANDOM
