"""ONNX export: onnxruntime runs the exported graph and gets rnnlab's own numbers — every
cell (both GRU forms, the three RNN nonlinearities), deep and bidirectional, padded batches
in any order, batch_first, given initial states, no bias; a language model's logits and
states carried from call to call; a classifier's probabilities under each pooling; and
``rnnlab export`` writing, verifying and refusing."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import onnx
import onnxruntime
import pytest

import rnnlab
from rnnlab.cli import main
from rnnlab.data.batching import pad_sequences
from rnnlab.data.vocab import Vocab
from rnnlab.export import onnx as onnx_export
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig, build_vocab
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, build_vocabularies
from rnnlab.models.tagger import Tagger, TaggerConfig
from rnnlab.nn import Linear
from rnnlab.recurrent import KINDS, make_recurrent


def _run(model, feeds: dict) -> list[np.ndarray]:
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _ours(layer, x, lengths, state):
    with rnnlab.no_grad():
        output, final = layer(x, hx=state, lengths=lengths)
    finals = final if isinstance(final, tuple) else (final,)
    return [output.data, *(f.data for f in finals)]


@pytest.mark.parametrize("cell", [name for name, kind in KINDS.items() if kind.onnx_op])
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True), (2, False)])
def test_onnxruntime_gives_the_layers_numbers(cell, num_layers, bidirectional):
    rng = np.random.default_rng(0)
    T, B, I, H = 7, 4, 5, 6
    layer = make_recurrent(cell, I, H, num_layers=num_layers, bidirectional=bidirectional,
                           rng=rng)
    layer.eval()
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    lengths = np.array([3, 7, 1, 5])  # padded, in no particular order
    model = onnx_export.recurrent_to_onnx(layer)
    got = _run(model, {"input": x, "lengths": lengths})
    want = _ours(layer, x, lengths, None)
    assert len(got) == len(want) == (3 if cell == "lstm" else 2)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[0][3:, 0], 0)  # past a sequence's end: zero


@pytest.mark.parametrize("cell", ["lstm", "gru_lecture", "rnn_tanh"])
def test_batch_first_initial_state_and_no_bias(cell):
    rng = np.random.default_rng(1)
    T, B, I, H, L = 5, 3, 4, 3, 2
    layer = make_recurrent(cell, I, H, num_layers=L, bidirectional=True, batch_first=True,
                           bias=False, rng=rng)
    x = rng.standard_normal((B, T, I)).astype(np.float32)
    lengths = np.array([5, 2, 4])
    states = [rng.standard_normal((2 * L, B, H)).astype(np.float32)
              for _ in range(2 if cell == "lstm" else 1)]
    model = onnx_export.recurrent_to_onnx(layer, initial_state=True)
    feeds = {"input": x, "lengths": lengths, "h0": states[0]}
    if cell == "lstm":
        feeds["c0"] = states[1]
    got = _run(model, feeds)
    want = _ours(layer, x, lengths, tuple(states) if cell == "lstm" else states[0])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_time_and_batch_are_dynamic_and_the_file_loads(tmp_path):
    rng = np.random.default_rng(2)
    layer = rnnlab.GRU(3, 4, rng=rng)
    path = onnx_export.export_onnx(layer, tmp_path / "gru.onnx")
    model = onnx.load(path)  # a plain ONNX file, no rnnlab needed to read it
    for T, B in [(2, 1), (9, 5)]:
        x = rng.standard_normal((T, B, 3)).astype(np.float32)
        got = _run(model, {"input": x, "lengths": np.full(B, T)})
        np.testing.assert_allclose(got[0], _ours(layer, x, None, None)[0], rtol=1e-5, atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["gru.onnx"]  # no temporary file left


def test_the_lecture_form_is_not_exported_as_the_pytorch_form():
    """The two GRU forms give different numbers, and each export gives its own."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2, 3)).astype(np.float32)
    lengths = np.array([6, 6])
    results = {}
    for form in ("pytorch", "lecture"):
        layer = rnnlab.GRU(3, 4, form=form, rng=np.random.default_rng(4))
        results[form] = _run(onnx_export.recurrent_to_onnx(layer),
                             {"input": x, "lengths": lengths})[0]
        np.testing.assert_allclose(results[form], _ours(layer, x, lengths, None)[0],
                                   rtol=1e-5, atol=1e-5)
    assert np.abs(results["pytorch"] - results["lecture"]).max() > 1e-2


def test_clear_errors(monkeypatch):
    with pytest.raises(TypeError, match="can export rnnlab.RNN, LSTM or GRU, not Linear"):
        onnx_export.recurrent_to_onnx(Linear(2, 3))
    with pytest.raises(TypeError, match=r"float32 copy \(layer.astype\(np.float32\)\)"):
        onnx_export.recurrent_to_onnx(rnnlab.GRU(2, 3, dtype=np.float64))
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'rnnlab\[onnx\]'"):
        onnx_export.recurrent_to_onnx(rnnlab.LSTM(2, 3))


STREAM = "the cat sat on the mat . the cats were on the mats . a dog was here ."
SENTENCES = ["a good film", "a bad film", "not good at all , bad", "good"]


def _language_model(cell: str = "lstm", tie: bool = False) -> LanguageModel:
    rnnlab.seed(0)
    vocab = build_vocab(STREAM.split(), "word")
    config = LanguageModelConfig(vocab_size=len(vocab), cell=cell, embedding_dim=6,
                                 hidden_size=6, num_layers=2, dropout=0.3, tie_weights=tie)
    model = LanguageModel(config, vocab)
    model.eval()
    return model


def _classifier(**options) -> SentenceClassifier:
    rnnlab.seed(1)
    sentences = [s.split() for s in SENTENCES]
    vocab = Vocab.build(sentences)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=3, embed_dim=5,
                              hidden_size=4, attention_dim=3, **options)
    chars = SentenceClassifier.char_vocab(sentences) if config.char_dim else None
    return SentenceClassifier(config, vocab, ["neg", "neutral", "pos"], chars=chars)


def _tagger(crf: bool = False, xpos: bool = True) -> Tagger:
    rnnlab.seed(2)
    rows = [("The cats sat on 3 mats .", "DET NOUN VERB ADP NUM NOUN PUNCT",
             "DT NNS VBD IN CD NNS ."),
            ("A dog barked loudly", "DET NOUN VERB ADV", "DT NN VBD RB"),
            ("Extraordinarily-long-hyphenated words happen", "ADJ NOUN VERB", "JJ NNS VBP")]
    sentences = [SimpleNamespace(words=w.split(), upos=u.split(),
                                 xpos=x.split() if xpos else ["_"] * len(w.split()))
                 for w, u, x in rows]
    config = TaggerConfig(word_dim=5, char_dim=4, char_hidden=3, hidden=4, layers=2,
                          min_word_freq=1, max_word_chars=8, crf=crf)
    return Tagger.build(sentences, config)


@pytest.mark.parametrize("cell, tie", [("lstm", False), ("gru", True), ("rnn", False)])
def test_language_model_export_carries_state_from_call_to_call(cell, tie):
    model = _language_model(cell, tie)
    vocab = model.vocab
    rng = np.random.default_rng(5)
    ids = rng.integers(0, len(vocab), (8, 3))
    onnx_model = onnx_export.language_model_to_onnx(model)
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    per_layer = 2 if cell == "lstm" else 1
    zeros = {i.name: np.zeros((1, 3, 6), np.float32) for i in session.get_inputs()
             if i.name != "ids"}
    assert len(zeros) == 2 * per_layer
    whole = session.run(None, {"ids": ids, **zeros})
    with rnnlab.no_grad():
        logits, state = model(ids)
    np.testing.assert_allclose(whole[0], logits.data, rtol=1e-5, atol=1e-5)
    flat_state = [t.data for s in state for t in (s if isinstance(s, tuple) else (s,))]
    for got, want in zip(whole[1:], flat_state, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the same stream in two calls, the state of the first fed to the second
    names = [o.name for o in session.get_outputs()]
    first = dict(zip(names, session.run(None, {"ids": ids[:5], **zeros}), strict=True))
    carried = {name: first[name.replace("0_l", "_n_l")] for name in zeros}
    second = session.run(None, {"ids": ids[5:], **carried})
    np.testing.assert_allclose(second[0], whole[0][5:], rtol=1e-5, atol=1e-5)
    metadata = {p.key: p.value for p in onnx_model.metadata_props}
    assert metadata["rnnlab.kind"] == "language_model"
    assert json.loads(metadata["rnnlab.vocab"]) == vocab.to_dict()


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention"])
@pytest.mark.parametrize("cell, bidirectional, layers", [("lstm", True, 2), ("gru", False, 1),
                                                         ("rnn", True, 1)])
def test_classifier_export_gives_its_probabilities(pooling, cell, bidirectional, layers):
    model = _classifier(pooling=pooling, cell=cell, bidirectional=bidirectional,
                        num_layers=layers)
    vocab = model.vocab
    sentences = [s.split() for s in SENTENCES]
    ids, lengths = pad_sequences([vocab.encode(s) for s in sentences], vocab.pad_id)
    want = model.predict_proba_ids([vocab.encode(s) for s in sentences])
    onnx_model = onnx_export.classifier_to_onnx(model)
    (got,) = _run(onnx_model, {"ids": np.asarray(ids), "lengths": np.asarray(lengths)})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    metadata = {p.key: p.value for p in onnx_model.metadata_props}
    assert json.loads(metadata["rnnlab.labels"]) == ["neg", "neutral", "pos"]
    read = {name for node in onnx_model.graph.node for name in node.input}
    assert all(constant.name in read for constant in onnx_model.graph.initializer)


@pytest.mark.parametrize("build", [_language_model, lambda: _classifier(pooling="attention"),
                                   lambda: _classifier(char_dim=4, char_hidden=3), _tagger,
                                   lambda: _tagger(crf=True)])
def test_cli_export_writes_and_verifies(tmp_path, capsys, build):
    model = build()
    model.save(tmp_path / "model")
    out = tmp_path / "model.onnx"
    assert main(["export", str(tmp_path), "--out", str(out), "--verify"]) == 0  # finds model/
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    assert "verified with onnxruntime" in printed
    difference = float(printed.rsplit("from rnnlab ", 1)[1].split()[0])
    assert difference < 1e-5
    onnx.checker.check_model(onnx.load(out))


def _generator(mode: str = "init+input"):
    from rnnlab.models.conditional_generator import (
        ConditionalGenerator,
        ConditionalGeneratorConfig,
        generator_vocab,
    )

    rnnlab.seed(5)
    vocab = generator_vocab([list("anna"), list("bob"), list("carla")])
    config = ConditionalGeneratorConfig(vocab_size=len(vocab), condition_dim=3, embedding_dim=4,
                                        hidden_size=5, condition_mode=mode,
                                        labels=["de", "en", "fr"])
    return ConditionalGenerator(config, vocab)


@pytest.mark.parametrize("build, parts, inputs", [
    (lambda: _seq2seq("gru"), ["decoder", "encoder"], "5 greedy steps"),
    (_generator, ["start", "step"], "a random batch"),
])
def test_cli_export_writes_two_part_models_as_two_files(tmp_path, capsys, build, parts, inputs):
    build().save(tmp_path / "model")
    assert main(["export", str(tmp_path / "model"), "--out", str(tmp_path / "m.onnx"),
                 "--verify"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.onnx")) == [f"m.{p}.onnx" for p in parts]
    assert inputs in printed
    assert float(printed.rsplit("from rnnlab ", 1)[1].split()[0]) < 1e-5


def test_cli_export_refuses_what_it_cannot_export(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing"), "--out", str(tmp_path / "n.onnx")]) == 1
    assert "no rnnlab model" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.onnx"))


@pytest.mark.parametrize("xpos", [True, False])
def test_tagger_export_gives_its_scores_and_tags(xpos):
    model = _tagger(xpos=xpos)
    model.eval()
    sentences = [["The", "dog", "sat", "."], ["Unseen", "words", "like", "Zorblax", "42"],
                 ["Extraordinarily-long-hyphenated"]]  # clipped to 8 characters
    batch = model.encode(sentences)
    feeds = {"word_ids": batch.ids, "lengths": batch.lengths,
             "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
             "form_index": batch.chars.form_index}
    onnx_model = onnx_export.tagger_to_onnx(model)
    names = [o.name for o in onnx_model.graph.output]
    assert names == (["upos", "upos_scores", "xpos", "xpos_scores"] if xpos
                     else ["upos", "upos_scores"])
    got = dict(zip(names, _run(onnx_model, feeds), strict=True))
    with rnnlab.no_grad():
        upos_scores, xpos_scores = model.scores(batch)
    np.testing.assert_allclose(got["upos_scores"], upos_scores.data, rtol=1e-5, atol=1e-5)
    upos, xpos_tags = model.predict(sentences)
    for row, tags in enumerate(upos):
        assert model.upos_vocab.decode(got["upos"][: len(tags), row]) == tags
    if xpos:
        np.testing.assert_allclose(got["xpos_scores"], xpos_scores.data, rtol=1e-5, atol=1e-5)
        for row, tags in enumerate(xpos_tags):
            assert model.xpos_vocab.decode(got["xpos"][: len(tags), row]) == tags
    metadata = {p.key: p.value for p in onnx_model.metadata_props}
    assert json.loads(metadata["rnnlab.words"]) == model.words.to_dict()


@pytest.mark.parametrize("sentences", [
    [["The", "dog", "sat", "."], ["Unseen", "words", "like", "Zorblax", "42"], ["A"]],
    [["Dogs"], ["bark"]],  # T = 1: the Viterbi scans run zero times
    [["a", "cat"] * 6, ["the", "dogs", "sat", "on", "3", "mats"]],
])
def test_a_crf_taggers_export_decodes_with_viterbi(sentences):
    model = _tagger(crf=True)
    K = model.crf.transitions.data.shape[0]
    model.crf.transitions.data[...] = np.random.default_rng(6).normal(0, 2, (K, K))  # strong
    model.eval()
    batch = model.encode(sentences)
    feeds = {"word_ids": batch.ids, "lengths": batch.lengths,
             "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
             "form_index": batch.chars.form_index}
    onnx_model = onnx_export.tagger_to_onnx(model)
    got = dict(zip([o.name for o in onnx_model.graph.output], _run(onnx_model, feeds),
                   strict=True))
    upos, _ = model.predict(sentences)  # rnnlab's Viterbi
    for row, tags in enumerate(upos):
        assert model.upos_vocab.decode(got["upos"][: len(tags), row]) == tags
    greedy = got["upos_scores"].argmax(axis=2)
    assert any((greedy[: len(t), r] != got["upos"][: len(t), r]).any()
               for r, t in enumerate(upos)) or len(sentences[0]) == 1  # the CRF mattered


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_classifier_with_characters_export(pooling):
    model = _classifier(pooling=pooling, char_dim=4, char_hidden=3, max_word_chars=4)
    sentences = [["A", "GOOD", "film"], ["unseen", "wordings", "here", ",", "bad"], ["good"]]
    forms = [model.normalise(tokens) for tokens in sentences]  # lower-cased
    ids, lengths = pad_sequences([model.vocab.encode(f) for f in forms], model.vocab.pad_id)
    chars = model.characters(forms)
    onnx_model = onnx_export.classifier_to_onnx(model)
    (got,) = _run(onnx_model, {"ids": np.asarray(ids), "lengths": np.asarray(lengths),
                               "char_ids": chars.char_ids, "char_lengths": chars.char_lengths,
                               "form_index": chars.form_index.T.copy()})
    np.testing.assert_allclose(got, model.predict_proba(sentences), rtol=1e-5, atol=1e-6)
    metadata = {p.key: p.value for p in onnx_model.metadata_props}
    assert json.loads(metadata["rnnlab.chars"]) == model.chars.to_dict()


def _seq2seq(cell: str = "lstm", attention: bool = True, layers: int = 1) -> Seq2Seq:
    rnnlab.seed(3)
    pairs = [("ein hund läuft", "a dog runs"), ("eine katze schläft", "a cat sleeps"),
             ("zwei hunde laufen im park", "two dogs run in the park")]
    source, target = build_vocabularies(pairs, "source", min_freq=1)
    config = Seq2SeqConfig(len(source), len(target), embedding_size=4, hidden_size=3,
                           num_layers=layers, cell=cell, attention=attention)
    model = Seq2Seq(config, source, target)
    model.eval()
    return model


@pytest.mark.parametrize("cell, attention, layers", [("lstm", True, 2), ("gru", True, 1),
                                                     ("lstm", False, 1), ("rnn", True, 1)])
def test_seq2seq_export_encodes_and_steps_as_rnnlab(cell, attention, layers):
    model = _seq2seq(cell, attention, layers)
    encoder, decoder = onnx_export.seq2seq_to_onnx(model)
    source = np.array([[4, 5, 6, 7, 0], [5, 4, 0, 0, 0], [6, 1, 7, 0, 0]])  # padded with 0
    lengths = np.array([4, 2, 3])
    state = model.start_decoding(source, lengths)
    encoded = dict(zip([o.name for o in encoder.graph.output],
                       _run(encoder, {"source": source, "source_lengths": lengths}), strict=True))
    np.testing.assert_allclose(encoded["memory"], state.memory, rtol=1e-5, atol=1e-6)
    if attention:
        np.testing.assert_allclose(encoded["keys"], state.keys, rtol=1e-5, atol=1e-6)
    names = ["h", "c"] if cell == "lstm" else ["h"]
    for name, hidden in zip(names, state.hidden, strict=True):
        np.testing.assert_allclose(encoded[f"{name}0"], hidden, rtol=1e-5, atol=1e-6)
    tokens = np.full(3, model.bos_id)
    for _ in range(3):  # three steps, each fed the state of the one before
        feeds = {"tokens": tokens, **{n: h for n, h in zip(names, state.hidden, strict=True)}}
        if attention:
            feeds |= {"memory": state.memory, "keys": state.keys, "source_lengths": lengths}
        got = dict(zip([o.name for o in decoder.graph.output], _run(decoder, feeds), strict=True))
        log_probs, state, weights = model.decode_step(tokens, state)
        np.testing.assert_allclose(got["log_probs"], log_probs, rtol=1e-5, atol=1e-5)
        for name, hidden in zip(names, state.hidden, strict=True):
            np.testing.assert_allclose(got[f"{name}_n"], hidden, rtol=1e-5, atol=1e-6)
        if attention:
            np.testing.assert_allclose(got["attention"], weights, rtol=1e-5, atol=1e-6)
            assert np.all(got["attention"][1, 2:] == 0)  # past the source's end
        assert np.isneginf(got["log_probs"][:, model.blocked_ids]).all()
        tokens = got["log_probs"].argmax(axis=1)


def test_cli_verify_fails_loudly(tmp_path, capsys, monkeypatch):
    from rnnlab.export import onnx as onnx_export

    _classifier().save(tmp_path / "model")
    command = ["export", str(tmp_path / "model"), "--out", str(tmp_path / "c.onnx"), "--verify"]
    monkeypatch.setattr(onnx_export, "largest_difference", lambda *_: (3e-3, "a batch"))
    assert main(command) == 1
    assert "the exported model disagrees with rnnlab" in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)
    assert main(command) == 1
    assert "--verify needs onnxruntime" in capsys.readouterr().err


@pytest.mark.parametrize("cell, mode, layers", [("lstm", "init+input", 2), ("gru", "init", 1),
                                                ("rnn", "none", 2), ("lstm", "init", 1)])
def test_conditional_generator_export(cell, mode, layers):
    from rnnlab.models.conditional_generator import ConditionalGenerator

    rnnlab.seed(5)
    base = _generator(mode)
    config = dataclasses.replace(base.config, cell=cell, num_layers=layers)
    model = ConditionalGenerator(config, base.vocab)
    vocab = model.vocab
    model.eval()
    start, step = onnx_export.conditional_generator_to_onnx(model)
    conditions = np.eye(3, dtype=np.float32)[[0, 2]]  # two rows: "de", "fr"
    names = ["h", "c"] if cell == "lstm" else ["h"]
    got_start = _run(start, {"conditions": conditions})
    with rnnlab.no_grad():
        initial = model.initial_state(conditions)
    want_start = (np.zeros((layers, 2, 5), np.float32),) * len(names) if initial is None else (
        tuple(t.data for t in initial) if isinstance(initial, tuple) else (initial.data,))
    for got, want in zip(got_start, want_start, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    ids = np.array([[vocab.bos_id] * 2, [3, 4], [5, 3]])  # (T, B)
    feeds = {"ids": ids, **dict(zip(names, got_start, strict=True))}
    if mode == "init+input":
        feeds["conditions"] = conditions
    got = _run(step, feeds)
    with rnnlab.no_grad():
        logits, final = model.rnn(model._step_inputs(ids, conditions), initial)
        logits = model.output(logits)
    np.testing.assert_allclose(got[0], logits.data, rtol=1e-5, atol=1e-5)
    finals = final if isinstance(final, tuple) else (final,)
    for g, w in zip(got[1:], finals, strict=True):
        np.testing.assert_allclose(g, w.data, rtol=1e-5, atol=1e-6)
