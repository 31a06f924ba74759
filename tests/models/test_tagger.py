"""The tagger model: fitting a tiny corpus, encoding, save/load, the Python API."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from shared_data import ambiguous_positions, tagger_corpus

import rnnlab
from rnnlab.data.conllu_io import read_conllu
from rnnlab.io import load_arrays
from rnnlab.models import TaggedWord, Tagger, TaggerConfig
from rnnlab.models.tagger import DEFAULT_MODEL_DIR, IGNORE, word_key
from rnnlab.models.tagger_metrics import accuracy
from rnnlab.tasks.tagging import TaggerTrainingData, TaggingConfig, train
from rnnlab.training.trainer import TrainerConfig

TINY = dict(word_dim=16, char_dim=8, char_hidden=16, hidden=32, layers=2, dropout=0.0,
            word_dropout=0.0, min_word_freq=1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list:
    return read_conllu(tagger_corpus(tmp_path_factory.mktemp("corpus") / "tiny.conllu"))


def train_tiny(out_dir: Path, sentences: list, crf: bool = False,
               epochs: int = 6) -> tuple[Tagger, list]:
    """Train on the tiny corpus, repeated 8 times per epoch (fewer epochs, less overhead)."""
    data = TaggerTrainingData(train=sentences * 8, dev=sentences)
    config = TaggingConfig(
        model=TaggerConfig(**TINY, crf=crf),
        loop=TrainerConfig(epochs=epochs, lr=0.02, monitor="upos_accuracy", monitor_mode="max",
                           patience=0, checkpoint_every=0, progress=False),
        batch_size=4,
    )
    model = train(out_dir, config, prepared=data).model
    return model, sentences


def test_fits_the_tiny_corpus_perfectly(tmp_path, corpus):
    started = time.process_time()  # CPU seconds: wall time depends on the machine's load
    model, sentences = train_tiny(tmp_path, corpus)
    seconds = time.process_time() - started
    # the final weights (the best-UPOS model may predate a perfect XPOS fit)
    model.load_state_dict(load_arrays(tmp_path / "checkpoint" / "model.safetensors"))
    upos, xpos = model.predict([s.words for s in sentences])
    assert accuracy([s.upos for s in sentences], upos) == 1.0
    assert accuracy([s.xpos for s in sentences], xpos) == 1.0
    # "That" is PRON in one sentence and SCONJ in another: the BiLSTM must see the context
    ambiguous = ambiguous_positions(sentences)
    assert {sentences[i].upos[j] for i, j in ambiguous} == {"PRON", "SCONJ"}
    assert all(upos[i][j] == sentences[i].upos[j] for i, j in ambiguous)
    assert seconds < 30, f"tiny training took {seconds:.1f} CPU seconds"
    metrics = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 6 and (tmp_path / "learning_curves.png").is_file()


def test_save_load_round_trip_gives_identical_predictions(tmp_path, corpus):
    model, sentences = train_tiny(tmp_path / "run", corpus, epochs=1)
    model.save(tmp_path / "copy")
    again = Tagger.load(tmp_path / "copy")
    words = [s.words for s in sentences] + [["Unseen", "zebras", "jumped", "!"]]
    batch = model.encode(words)
    a, _ = model.eval().scores(batch)
    b, _ = again.scores(batch)
    np.testing.assert_array_equal(a.data, b.data)
    assert model.predict(words) == again.predict(words)
    assert again.train_forms == model.train_forms
    assert {word for s in sentences for word in s.words} <= again.train_forms


def test_float16_storage_keeps_predictions(tmp_path, corpus):
    model, sentences = train_tiny(tmp_path / "run", corpus, epochs=3)
    model.save(tmp_path / "half", weight_dtype=np.float16)
    half = Tagger.load(tmp_path / "half")
    assert half.dtype == np.float32
    assert half.predict([s.words for s in sentences]) == model.predict([s.words for s in sentences])


def test_python_api_tag_and_tag_many(tmp_path, corpus):
    model, sentences = train_tiny(tmp_path, corpus)
    model.load_state_dict(load_arrays(tmp_path / "checkpoint" / "model.safetensors"))
    first = sentences[0]
    assert model.tag(first.words) == [  # the fitted weights tag a training sentence right
        TaggedWord(*tags) for tags in zip(first.words, first.upos, first.xpos, strict=True)]
    many = model.tag_many([sentences[1].words, [], sentences[2].words], batch_size=1)
    assert [len(s) for s in many] == [len(sentences[1]), 0, len(sentences[2])]
    assert many[2] == model.tag(sentences[2].words)
    with pytest.raises(ValueError, match="non-empty strings"):
        model.tag(["The", ""])


def test_batching_does_not_change_predictions(tmp_path, corpus):
    model, sentences = train_tiny(tmp_path, corpus, epochs=1)
    words = [s.words for s in sentences]
    assert model.predict(words, batch_size=1) == model.predict(words, batch_size=64)


def test_predict_gives_the_tags_of_the_scores(tmp_path, corpus):
    """predict() encodes each distinct form's characters once for the whole input; its
    tags are those of scores() on each sentence's own batch."""
    model, sentences = train_tiny(tmp_path, corpus, epochs=1)
    words = [s.words for s in sentences]
    upos, xpos = model.predict(words, batch_size=3)
    model.eval()
    with rnnlab.no_grad():
        for sentence, tags, xtags in zip(words, upos, xpos, strict=True):
            upos_scores, xpos_scores = model.scores(model.encode([sentence]))
            assert tags == [model.upos_vocab.tokens[k] for k in upos_scores.data[:, 0].argmax(1)]
            assert xtags == [model.xpos_vocab.tokens[k]
                             for k in xpos_scores.data[:, 0].argmax(1)]


def test_encode_pads_and_maps_unknown_words(corpus):
    rnnlab.seed(0)
    model = Tagger.build(corpus, TaggerConfig(**{**TINY, "min_word_freq": 2}))
    # "By" starts two of the sentences, so its key "by" has the 2 occurrences a word needs
    batch = model.encode([["That", "by", "zqxv"], ["By"]], upos=[["PRON", "ADP", "NOUN"],
                                                                   ["ADP"]])
    assert batch.ids.shape == (3, 2) and batch.lengths.tolist() == [3, 1]
    unk, pad = model.words.unk_id, model.words.pad_id
    assert batch.ids[2, 0] == unk and batch.ids[1:, 1].tolist() == [pad, pad]
    # "by" and "By" share a known word id (lower-cased key) but are distinct character inputs
    assert batch.ids[1, 0] == batch.ids[0, 1] != unk
    assert batch.chars.char_ids.shape[1] == 4  # That, zqxv, by, By: longest first
    assert batch.chars.char_lengths.tolist() == [4, 4, 2, 2]
    assert batch.chars.form_index[:, 0].tolist() == [0, 2, 1] and batch.chars.form_index[0, 1] == 3
    assert batch.upos[1:, 1].tolist() == [IGNORE, IGNORE]
    assert word_key("Year-2024") == "year-0000"


def test_xpos_head_only_when_the_data_has_xpos(tmp_path, corpus):
    without = [s.with_tags(xpos=["_"] * len(s)) for s in corpus]
    model = Tagger.build(without, TaggerConfig(**TINY))
    assert model.xpos_head is None
    upos, xpos = model.predict([s.words for s in without])
    assert xpos is None and len(upos) == len(without)
    model.save(tmp_path / "m")
    assert Tagger.load(tmp_path / "m").tag(["Dogs"])[0].xpos is None


def test_word_dropout_only_in_training(corpus):
    sentences = corpus
    rnnlab.seed(0)
    model = Tagger.build(sentences, TaggerConfig(**{**TINY, "word_dropout": 0.5,
                                                    "dropout": 0.0}))
    batch = model.encode([s.words for s in sentences])
    model.eval()
    first, _ = model.scores(batch)
    second, _ = model.scores(batch)
    np.testing.assert_array_equal(first.data, second.data)
    model.train()
    noisy, _ = model.scores(batch)
    assert not np.allclose(noisy.data, first.data)


def test_loading_a_missing_or_foreign_model_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Tagger.load(tmp_path / "nope")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text('{"kind": "language_model"}')
    rnnlab.io.save_arrays(tmp_path / "other" / "weights.safetensors", {"w": np.zeros(1)})
    with pytest.raises(ValueError, match="not a tagger"):
        Tagger.load(tmp_path / "other")


def test_shipped_default_model_tags_english():
    assert (DEFAULT_MODEL_DIR / "weights.safetensors").is_file()
    size = sum(f.stat().st_size for f in DEFAULT_MODEL_DIR.iterdir())
    assert size <= 10 * 1024 * 1024
    tagger = Tagger.load()
    tagged = tagger.tag(["The", "cats", "were", "full", "."])
    assert [t.upos for t in tagged] == ["DET", "NOUN", "AUX", "ADJ", "PUNCT"]
    assert [t.xpos for t in tagged] == ["DT", "NNS", "VBD", "JJ", "."]
