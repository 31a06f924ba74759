"""Folders written before config.json had a format version keep loading: one of each kind
as rnnlab 0.1.0 wrote it (tests/fixtures/model_folders_v0), the three layouts before that,
and the tagger shipped until 2026-12-06 (tests/fixtures/en_ewt_tagger_2026_11_27, no FEATS
head), which tags UD English EWT test exactly as it did; the shipped tagger loads as saved
and tags EWT test as it did when it was trained."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file
from shared_data import shared_file

from rnnlab.data import read_conllu
from rnnlab.data.vocab import Vocab
from rnnlab.engine import no_grad
from rnnlab.models import KINDS, Tagger, open_model_dir
from rnnlab.models.seq2seq import make_batch
from rnnlab.models.tagger import DEFAULT_MODEL_DIR

V0 = Path(__file__).resolve().parents[1] / "fixtures" / "model_folders_v0"
PREVIOUS_TAGGER = Path(__file__).resolve().parents[1] / "fixtures" / "en_ewt_tagger_2026_11_27"
EXPECTED = json.loads((V0 / "expected.json").read_text())
# sha256 of json.dumps([upos, xpos]) for every EWT test sentence, tagged by the tagger shipped
# until 2026-12-06 with rnnlab 0.1.0 (commit ca09229) — 95.60% UPOS accuracy
EWT_TEST_TAGS = "f8808516c2f2b5780cf047b5828b660371252b3c0626e7bc2c253bcfc0c33f38"
# the same, json.dumps([upos, xpos, feats]), for the shipped tagger (2026-12-06, float16)
SHIPPED_EWT_TEST_TAGS = "34122c48ef3818754d3ee6c95163a0b47c10ca835dd2ccb3c948c1e6fb3be366"
NEWER_KINDS = {"tokenizer", "lemmatizer"}  # kinds added after rnnlab 0.1.0: no version-0 folder


def _outputs(name: str, model) -> np.ndarray:
    """What each fixture model computed when it was written (expected.json)."""
    case = EXPECTED[name]
    with no_grad():
        if name == "pos_tagger":
            return model.scores(model.encode(case["words"]))[0].data
        if name == "sentence_classifier":
            return model.predict_proba(case["tokens"])
        if name == "language_model":
            return model(np.array(case["ids"]))[0].data
        if name == "conditional_generator":
            conditions = np.array(case["conditions"], np.float32)
            return model(model.make_batch(conditions, case["texts"])).data
        batch = make_batch([model.encode_pair(s, t) for s, t in case["pairs"]], model.bos_id,
                           model.eos_id)
        return model(batch)[0].data


def _expected_output(name: str) -> np.ndarray:
    key = {"pos_tagger": "upos_scores", "sentence_classifier": "probabilities"}.get(name,
                                                                                     "logits")
    return np.array(EXPECTED[name][key])


@pytest.mark.parametrize("name", sorted(set(KINDS) - NEWER_KINDS))
def test_version_0_folders_load_with_their_weights_and_outputs(name):
    assert set(EXPECTED) == set(KINDS) - NEWER_KINDS  # a fixture for every 0.1.0 kind
    model = open_model_dir(V0 / name, kind=name)
    saved = load_file(str(V0 / name / "weights.safetensors"))
    assert saved.keys() == model.state_dict().keys()
    for key, value in saved.items():
        np.testing.assert_array_equal(model.state_dict()[key], value)
    np.testing.assert_allclose(_outputs(name, model), _expected_output(name), rtol=1e-6,
                               atol=1e-7)


def test_version_0_tagger_predicts_what_it_predicted():
    model = open_model_dir(V0 / "pos_tagger")
    assert model.predict(EXPECTED["pos_tagger"]["words"])[0] == EXPECTED["pos_tagger"]["upos"]
    assert model.xpos_vocab is None and model.crf is not None


def test_version_0_classifier_keeps_its_metadata():
    assert open_model_dir(V0 / "sentence_classifier").metadata == {"data": "fixture"}


def _rewritten(tmp_path: Path, name: str, layout) -> Path:
    """The fixture of ``name`` with its config.json in another layout."""
    directory = tmp_path / name
    shutil.copytree(V0 / name, directory)
    saved = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps(layout(saved)))
    return directory


@pytest.mark.parametrize(("name", "layout"), [
    ("language_model", lambda saved: {"kind": "language_model", **saved["config"]}),  # flat
    ("conditional_generator", lambda saved: {"kind": saved["kind"], **saved["config"]}),
    ("sentence_classifier", lambda saved: {"model": "sentence_classifier",
                                           "config": saved["config"],
                                           "metadata": saved["metadata"]}),
    ("seq2seq", lambda saved: {"format": "rnnlab.seq2seq", "model": saved["config"]}),
])
def test_layouts_before_version_0_still_load(tmp_path, name, layout):
    model = open_model_dir(_rewritten(tmp_path, name, layout), kind=name)
    np.testing.assert_allclose(_outputs(name, model), _expected_output(name), rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("directory, dtype", [(PREVIOUS_TAGGER, np.float16),
                                              (DEFAULT_MODEL_DIR, np.float16)],
                         ids=["previous", "shipped"])
def test_the_shipped_taggers_load_as_saved(directory, dtype):
    model = Tagger.load(directory)
    saved = load_file(str(directory / "weights.safetensors"))
    assert set(saved) == set(model.state_dict())
    for key, value in saved.items():
        assert value.dtype == dtype
        np.testing.assert_array_equal(model.state_dict()[key], value.astype(np.float32))
    words = Vocab.from_dict(json.loads((directory / "words.json").read_text()))
    assert model.words == words and model.config.layers == 2
    assert model.config.feats == (directory == DEFAULT_MODEL_DIR)
    assert [t.upos for t in model.tag(["The", "cats", "were", "full", "."])] == [
        "DET", "NOUN", "AUX", "ADJ", "PUNCT"]


def test_the_previous_shipped_tagger_tags_ewt_test_as_before():
    sentences = read_conllu(shared_file("ud-english-ewt", "test"))
    upos, xpos = Tagger.load(PREVIOUS_TAGGER).predict([s.words for s in sentences])
    digest = hashlib.sha256(json.dumps([upos, xpos]).encode()).hexdigest()
    assert digest == EWT_TEST_TAGS


def test_the_shipped_tagger_tags_ewt_test_as_trained():
    sentences = read_conllu(shared_file("ud-english-ewt", "test"))
    tags = Tagger.load().predict_tags([s.words for s in sentences])
    digest = hashlib.sha256(json.dumps([tags.upos, tags.xpos, tags.feats]).encode()).hexdigest()
    assert digest == SHIPPED_EWT_TEST_TAGS
