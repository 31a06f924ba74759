"""The sentence classifier (LECTURE §3.3): it fits a tiny data set exactly, its gradients
are right end to end, padding does not change a prediction, and a saved model comes back
identical without pickle."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnnlab import random as rnd
from rnnlab.data.vocab import Vocab
from rnnlab.engine import no_grad
from rnnlab.models.classifier import (
    ClassificationBatch,
    ClassifierConfig,
    SentenceClassifier,
    classification_report,
    make_batches,
)
from rnnlab.optim import Adam
from rnnlab.tasks.classification import label_ids, read_sentences

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "classifier"


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def _model(data, seed=0, **options) -> SentenceClassifier:
    vocab = Vocab.build([t.lower() for t in s] for s in data.tokens)
    names = sorted(set(data.labels))
    rnd.seed(seed)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=len(names), **options)
    return SentenceClassifier(config, vocab, names)


@pytest.mark.parametrize(
    "options",
    [
        dict(cell="lstm", bidirectional=True, pooling="max"),
        dict(cell="gru", bidirectional=False, pooling="last", num_layers=2),
        dict(cell="rnn", bidirectional=True, pooling="attention"),
    ],
    ids=["bilstm-max", "gru-2layers-last", "birnn-attention"],
)
def test_fits_the_tiny_fixture_to_full_training_accuracy(options):
    start = time.perf_counter()
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    model = _model(data, embed_dim=16, hidden_size=16, dropout=0.0, **options)
    ids = [model.encode(s) for s in data.tokens]
    labels = label_ids(data, model.labels, "reviews.tsv")
    optimizer = Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    for _ in range(40):
        for batch in make_batches(ids, labels, batch_size=8, rng=rng):
            optimizer.zero_grad()
            model.loss(batch).backward()
            optimizer.step()
    predicted = model.predict_proba_ids(ids).argmax(axis=1)
    assert classification_report(labels, predicted, model.labels).accuracy == 1.0
    assert time.perf_counter() - start < 30


def test_gradients_of_the_whole_model_match_finite_differences(spot_gradcheck):
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    model = _model(data, embed_dim=3, hidden_size=2, pooling="attention", attention_dim=2,
                   dropout=0.0).double()
    ids = [model.encode(s) for s in data.tokens[:3]]
    batch = make_batches(ids, [0, 1, 1], batch_size=3)[0]
    assert len(set(batch.lengths.tolist())) > 1  # a padded batch
    used_rows = np.unique(batch.ids[batch.ids != 0])  # only looked-up rows can matter
    embedding_dim = model.embedding.weight.shape[1]
    looked_up = (used_rows[:, None] * embedding_dim + np.arange(embedding_dim)).ravel()
    spot_gradcheck(lambda: model.loss(batch), dict(model.named_parameters()),
                   candidates={"embedding.weight": looked_up})


def test_padding_and_batch_company_do_not_change_a_prediction():
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    model = _model(data, embed_dim=8, hidden_size=8, pooling="mean")
    ids = [model.encode(s) for s in data.tokens]
    together = model.predict_proba_ids(ids)
    alone = np.stack([model.predict_proba_ids([s])[0] for s in ids])
    assert np.allclose(together, alone, atol=1e-6)
    assert np.allclose(together.sum(axis=1), 1.0)


def test_training_mode_applies_dropout_and_word_dropout_evaluation_does_not():
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    model = _model(data, embed_dim=8, hidden_size=8, dropout=0.3, word_dropout=0.5)
    batch = make_batches([model.encode(s) for s in data.tokens], batch_size=16)[0]
    model.eval()
    with no_grad():
        first, second = model(batch).data, model(batch).data
    assert np.array_equal(first, second)
    model.train()
    with no_grad():
        noisy = model(batch).data
    assert not np.allclose(noisy, first)


def test_save_and_load_round_trip(tmp_path):
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    model = _model(data, embed_dim=8, hidden_size=8, cell="gru", pooling="attention")
    model.metadata["format"] = "tsv"
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "labels.json", "vocab.json", "weights.safetensors",
    ]
    loaded = SentenceClassifier.load(tmp_path / "m")
    assert loaded.config == model.config and loaded.labels == model.labels == ["neg", "pos"]
    assert loaded.vocab == model.vocab and loaded.metadata == {"format": "tsv"}
    texts = ["A WONDERFUL film !", "a chore of a film", "zzz unseen words"]
    assert np.array_equal(loaded.predict_proba([t.split() for t in texts]),
                          model.predict_proba([t.split() for t in texts]))
    assert [label for label, _ in loaded.classify(texts)] == [
        label for label, _ in model.classify(texts)
    ]


def test_load_rejects_other_models_and_broken_configs(tmp_path):
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    _model(data, embed_dim=4, hidden_size=4).save(tmp_path / "m")
    config_path = tmp_path / "m" / "config.json"
    saved = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**saved, "kind": "language_model"}))
    with pytest.raises(ValueError, match="not a sentence classifier"):
        SentenceClassifier.load(tmp_path / "m")
    config_path.write_text(json.dumps({**saved, "config": {**saved["config"], "bogus": 1}}))
    with pytest.raises(ValueError, match="unknown config field 'bogus'"):
        SentenceClassifier.load(tmp_path / "m")
    with pytest.raises(FileNotFoundError):
        SentenceClassifier.load(tmp_path / "missing")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(cell="transformer"), "cell must be one of"),
        (dict(pooling="median"), "pooling must be one of"),
        (dict(dropout=1.0), "dropout must be in"),
        (dict(num_classes=1), "at least 2 classes"),
        (dict(hidden_size=0), "hidden_size must be a positive integer"),
    ],
)
def test_config_validation(options, message):
    with pytest.raises(ValueError, match=message):
        ClassifierConfig(**{"vocab_size": 10, "num_classes": 2, **options})


def test_empty_text_is_an_error():
    data = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    with pytest.raises(ValueError, match="empty text"):
        _model(data, embed_dim=4, hidden_size=4).encode([])


def test_classification_report_numbers():
    report = classification_report([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"])
    assert report.confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert report.accuracy == pytest.approx(3 / 5)
    # F1: a = 2·(1/2)(1/2)/1 = 1/2, b = 2·(2/3)(1)/(5/3) = 4/5, c = 0
    assert report.macro_f1 == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert report.to_dict()["per_class"]["c"]["support"] == 1


def test_make_batches_keeps_every_example_once():
    sequences = [[1] * n for n in (3, 1, 4, 1, 5, 9, 2, 6)]
    batches = make_batches(sequences, list(range(8)), batch_size=3,
                           rng=np.random.default_rng(0))
    seen = sorted(int(y) for b in batches for y in b.labels)
    assert seen == list(range(8))
    for b in batches:
        assert isinstance(b, ClassificationBatch)
        assert b.ids.shape == (b.lengths.max(), len(b.lengths))  # time-major
        assert b.num_tokens == int(b.lengths.sum())
