"""The classifier's optional character encoder (``char_dim`` > 0): a word it never saw in
training still reaches the encoder through its spelling, the gradients through the
character BiLSTM are right, and the model saves, loads and trains from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnnlab import random as rnd
from rnnlab.cli import main
from rnnlab.data.vocab import Vocab
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier, make_batches
from rnnlab.nn.char_encoder import char_batch
from rnnlab.optim import Adam
from rnnlab.tasks.classification import label_ids, read_sentences

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "classifier"
REVIEWS = FIXTURES / "reviews.tsv"


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def _model(data, seed=0, **options) -> SentenceClassifier:
    forms = [[t.lower() for t in s] for s in data.tokens]
    vocab = Vocab.build(forms)
    names = sorted(set(data.labels))
    rnd.seed(seed)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=len(names), **options)
    return SentenceClassifier(config, vocab, names, chars=SentenceClassifier.char_vocab(forms))


def test_char_batch_indexes_each_distinct_form_once_time_major():
    chars = Vocab.build(["abc"])
    batch = char_batch([["ab", "c", "ab"], ["c"]], chars.token_to_id, max_chars=20)
    assert batch.char_ids.shape == (2, 2)  # forms "ab" and "c", the longest has 2 chars
    assert batch.char_lengths.tolist() == [2, 1]
    assert batch.form_index.tolist() == [[0, 1], [1, 0], [0, 0]]  # (T, B), 0 on padding
    # the longest form first; a form seen first may come later, and padding stays 0
    batch = char_batch([["c", "ab", "c"], ["abc"]], chars.token_to_id, max_chars=20)
    assert batch.char_lengths.tolist() == [3, 2, 1]
    assert batch.char_ids[:, 0].tolist() == [chars.token_to_id(c) for c in "abc"]
    assert batch.form_index.tolist() == [[2, 0], [1, 0], [2, 0]]


def test_unseen_words_differ_only_with_characters():
    data = read_sentences(REVIEWS, "tsv")
    texts = [["a", "zzyzx", "film"], ["a", "qwerty", "film"]]  # both words unseen: <unk>
    plain = _model(data, embed_dim=8, hidden_size=8)
    plain = SentenceClassifier(plain.config, plain.vocab, plain.labels)  # no characters
    without = plain.predict_proba(texts)
    assert np.array_equal(without[0], without[1])
    with_chars = _model(data, embed_dim=8, hidden_size=8, char_dim=6, char_hidden=5)
    probs = with_chars.predict_proba(texts)
    assert not np.allclose(probs[0], probs[1])


def test_fits_the_tiny_fixture_and_keeps_predictions_independent_of_the_batch():
    data = read_sentences(REVIEWS, "tsv")
    model = _model(data, embed_dim=12, hidden_size=12, dropout=0.0, char_dim=8,
                   char_hidden=8)
    forms = [model.normalise(s) for s in data.tokens]
    ids = [model.vocab.encode(f) for f in forms]
    labels = label_ids(data, model.labels, REVIEWS)
    optimizer = Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    for _ in range(30):
        for batch in make_batches(ids, labels, batch_size=8, rng=rng, forms=forms,
                                  characters=model.characters):
            optimizer.zero_grad()
            model.loss(batch).backward()
            optimizer.step()
    together = model.predict_proba_ids(ids, forms=forms)
    assert (together.argmax(axis=1) == np.array(labels)).all()
    alone = np.stack([model.predict_proba([s])[0] for s in data.tokens])
    assert np.allclose(together, alone, atol=1e-6)


def test_gradients_through_the_character_encoder_match_finite_differences(spot_gradcheck):
    data = read_sentences(REVIEWS, "tsv")
    model = _model(data, embed_dim=3, hidden_size=2, dropout=0.0, char_dim=2,
                   char_hidden=2).double()
    forms = [model.normalise(s) for s in data.tokens[:3]]
    batch = make_batches([model.vocab.encode(f) for f in forms], [0, 1, 1], batch_size=3,
                         forms=forms, characters=model.characters)[0]
    parameters = dict(model.named_parameters())
    used_rows = np.unique(batch.ids[batch.ids != 0])
    dim = model.embedding.weight.shape[1]
    candidates = {"embedding.weight": (used_rows[:, None] * dim + np.arange(dim)).ravel()}
    used_chars = np.unique(batch.chars.char_ids[batch.chars.char_ids != 0])
    char_dim = model.char_encoder.embedding.weight.shape[1]
    candidates["char_encoder.embedding.weight"] = (
        used_chars[:, None] * char_dim + np.arange(char_dim)).ravel()
    assert any(name.startswith("char_encoder.lstm") for name in parameters)
    spot_gradcheck(lambda: model.loss(batch), parameters, candidates=candidates)


def test_save_and_load_round_trip_with_characters(tmp_path):
    data = read_sentences(REVIEWS, "tsv")
    model = _model(data, embed_dim=8, hidden_size=8, char_dim=4, char_hidden=3)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "chars.json").is_file()
    loaded = SentenceClassifier.load(tmp_path / "m")
    assert loaded.config == model.config and loaded.chars == model.chars
    texts = [["a", "WONDERFUL", "film"], ["an", "unheard-of", "chore"]]
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_a_character_model_needs_its_characters():
    data = read_sentences(REVIEWS, "tsv")
    model = _model(data, embed_dim=4, hidden_size=4, char_dim=2, char_hidden=2)
    ids = [model.encode(data.tokens[0])]
    with pytest.raises(ValueError, match="pass forms"):
        model.predict_proba_ids(ids)
    with pytest.raises(ValueError, match="needs a character vocabulary"):
        SentenceClassifier(model.config, model.vocab, model.labels)
    with pytest.raises(ValueError, match="char_dim must be"):
        ClassifierConfig(vocab_size=5, num_classes=2, char_dim=-1)


def test_cli_trains_and_classifies_with_characters(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "classifier", "--train", str(REVIEWS), "--dev", str(REVIEWS),
                 "--out", str(out), "--epochs", "3", "--hidden", "8", "--embed-dim", "8",
                 "--char-dim", "4", "--char-hidden", "4", "--batch-size", "8",
                 "--no-progress"]) == 0
    config = json.loads((out / "model" / "config.json").read_text())["config"]
    assert config["char_dim"] == 4 and (out / "model" / "chars.json").is_file()
    capsys.readouterr()
    assert main(["classify", "--model", str(out), "--json", "a never-seen-before film"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["label"] in ("neg", "pos") and 0.5 <= row["probability"] <= 1.0
