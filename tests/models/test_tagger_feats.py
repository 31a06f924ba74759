"""The tagger's FEATS head, old folders without one, and refusing a string for words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from shared_data import tagger_corpus

from rnnlab.data.conllu_io import read_conllu
from rnnlab.io import load_arrays
from rnnlab.models import TaggedWord, Tagger, TaggerConfig, open_model_dir
from rnnlab.models.tagger_metrics import evaluate_tagger, ufeats_accuracy, universal_feats
from rnnlab.tasks.tagging import TaggerTrainingData, TaggingConfig, evaluate, train
from rnnlab.training.trainer import TrainerConfig

TINY = dict(word_dim=16, char_dim=8, char_hidden=16, hidden=32, layers=2, dropout=0.0,
            word_dropout=0.0, min_word_freq=1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V0_TAGGER = FIXTURES / "model_folders_v0" / "pos_tagger"
PREVIOUS_TAGGER = FIXTURES / "en_ewt_tagger_2026_11_27"  # shipped until the FEATS head


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list:
    return read_conllu(tagger_corpus(tmp_path_factory.mktemp("corpus") / "tiny.conllu"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, corpus) -> Path:
    """A tiny FEATS tagger trained on the tiny corpus (repeated 8 times per epoch)."""
    out = tmp_path_factory.mktemp("feats_run")
    config = TaggingConfig(
        model=TaggerConfig(**TINY, feats=True),
        loop=TrainerConfig(epochs=6, lr=0.02, monitor="upos_accuracy", monitor_mode="max",
                           checkpoint_every=0, progress=False),
        batch_size=4,
    )
    train(out, config, prepared=TaggerTrainingData(train=corpus * 8, dev=corpus))
    return out


def test_the_feats_head_learns_the_tiny_corpus(run_dir, corpus):
    model = Tagger.load(run_dir)
    assert model.config.feats and model.feats_vocab is not None
    assert "_" in model.feats_vocab  # "no features" is a label of its own
    model.load_state_dict(load_arrays(run_dir / "checkpoint" / "model.safetensors"))
    tags = model.predict_tags([s.words for s in corpus])
    assert tags.feats == [list(s.feats) for s in corpus]
    tagged = model.tag_many([s.words for s in corpus[:2]])
    assert [w.feats for w in tagged[0]] == list(corpus[0].feats)
    assert tagged[0][0] == TaggedWord(corpus[0].words[0], tags.upos[0][0], tags.xpos[0][0],
                                      corpus[0].feats[0])


def test_evaluation_reports_ufeats_and_alltags(run_dir, corpus):
    model = Tagger.load(run_dir)
    result = evaluate(model, corpus)
    assert 0.0 <= result["ufeats_accuracy"] <= 1.0
    assert result["alltags_accuracy"] <= min(result["upos_accuracy"], result["ufeats_accuracy"])
    assert "unseen_ufeats_accuracy" in result
    # without gold FEATS (or without a FEATS head) there is nothing to report
    words, upos = [s.words for s in corpus], [s.upos for s in corpus]
    assert "ufeats_accuracy" not in evaluate_tagger(model, words, upos)


def test_a_feats_model_saves_and_loads(run_dir, tmp_path, corpus):
    model = Tagger.load(run_dir)
    model.save(tmp_path / "copy", weight_dtype=np.float16)
    assert json.loads((tmp_path / "copy" / "config.json").read_text())["config"]["feats"]
    assert json.loads((tmp_path / "copy" / "feats.json").read_text())["tokens"] == (
        model.feats_vocab.tokens)
    again = Tagger.load(tmp_path / "copy")
    words = [s.words for s in corpus]
    assert again.predict_tags(words).feats is not None
    assert again.feats_head.weight.shape == model.feats_head.weight.shape


def test_without_features_in_the_data_there_is_no_feats_head(corpus):
    class NoFeats:  # a sentence with words and tags only, as the Protocol asks
        def __init__(self, sentence) -> None:
            self.words, self.upos, self.xpos = sentence.words, sentence.upos, sentence.xpos

    model = Tagger.build([NoFeats(s) for s in corpus], TaggerConfig(**TINY, feats=True))
    assert not model.config.feats and model.feats_head is None
    assert model.predict_tags([corpus[0].words]).feats is None
    assert model.tag(corpus[0].words)[0].feats is None
    off = Tagger.build(corpus, TaggerConfig(**TINY))
    assert off.feats_head is None and "feats" not in {n.split(".")[0] for n in off.state_dict()}


def test_config_and_vocabulary_must_agree(corpus):
    model = Tagger.build(corpus, TaggerConfig(**TINY, feats=True))
    with pytest.raises(ValueError, match="FEATS vocabulary"):
        Tagger(TaggerConfig(**TINY, feats=True), model.words, model.chars, model.upos_vocab)


@pytest.mark.parametrize("directory", [PREVIOUS_TAGGER, V0_TAGGER],
                         ids=["previous_shipped", "v0_fixture"])
def test_old_folders_without_a_feats_head_load_and_tag(directory):
    model = open_model_dir(directory, kind="pos_tagger")
    assert not model.config.feats and model.feats_head is None and model.feats_vocab is None
    words = ["The", "cats", "were", "full", "."]
    tagged = model.tag(words)
    assert [w.word for w in tagged] == words and all(w.feats is None for w in tagged)
    assert model.predict_tags([words]).feats is None


def test_the_shipped_model_predicts_feats():
    tagged = Tagger.load().tag(["The", "cats", "were", "full", "."])
    assert [w.upos for w in tagged] == ["DET", "NOUN", "AUX", "ADJ", "PUNCT"]
    assert [w.feats for w in tagged] == [
        "Definite=Def|PronType=Art", "Number=Plur",
        "Mood=Ind|Number=Plur|Person=3|Tense=Past|VerbForm=Fin", "Degree=Pos", "_"]


@pytest.mark.parametrize("call", [
    lambda m: m.tag("The cats were full ."),
    lambda m: m.tag_many(["The cats were full ."]),
    lambda m: m.tag_many("The cats"),
    lambda m: m.predict(["The cats"]),
    lambda m: m.predict_tags("cats"),
], ids=["tag", "tag_many_item", "tag_many", "predict_item", "predict_tags"])
def test_a_string_instead_of_a_list_of_words_is_refused(call):
    with pytest.raises(TypeError, match="string"):
        call(Tagger.load(V0_TAGGER))


def test_universal_features_as_the_conll18_metric_compares_them():
    assert universal_feats("_") == "_"
    assert universal_feats("Typo=Yes") == "_"
    assert universal_feats("Typo=Yes|Number=Sing|ExtPos=ADP|Degree=Pos") == (
        "Degree=Pos|Number=Sing")
    gold = [["_", "Number=Sing|Typo=Yes", "Mood=Ind|Tense=Past"]]
    assert ufeats_accuracy(gold, [["_", "Number=Sing", "Tense=Past"]]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="sentence 0"):
        ufeats_accuracy(gold, [["_"]])


def test_feats_weight_scales_the_feats_loss(corpus):
    model = Tagger.build(corpus, TaggerConfig(**TINY, feats=True)).eval()
    words = [s.words for s in corpus[:3]]
    batch = model.encode(words, [s.upos for s in corpus[:3]], [s.xpos for s in corpus[:3]],
                         [s.feats for s in corpus[:3]])
    losses = []
    for weight in (1.0, 0.5, 0.25):
        model.config.feats_weight = weight
        losses.append(float(model.loss(batch).data))
    assert losses[0] - losses[1] == pytest.approx(2 * (losses[1] - losses[2]), rel=1e-5)
    assert losses[0] > losses[1] > losses[2]
    with pytest.raises(ValueError, match="feats_weight"):
        TaggerConfig(feats_weight=0.0)
