"""Every model writes config.json as {"kind", "config"[, "metadata"]}; the layouts that
earlier versions wrote still load, and a directory of another kind is refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.io import load_json, load_model_of_kind, save_json, save_model

STATE = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
CONFIG = {"hidden_size": 4, "cell": "lstm"}


def test_save_model_writes_the_one_layout(tmp_path):
    directory = save_model(tmp_path / "m", "language_model", STATE, CONFIG,
                           metadata={"seed": 3}, vocab={"tokens": ["a"]})
    assert load_json(directory / "config.json") == {
        "kind": "language_model", "config": CONFIG, "metadata": {"seed": 3}}
    weights, config, metadata = load_model_of_kind(directory, "language_model", "LM")
    assert config == CONFIG and metadata == {"seed": 3}
    assert np.array_equal(weights["w"], STATE["w"])


@pytest.mark.parametrize(
    ("kind", "legacy", "metadata"),
    [
        ("language_model", {"kind": "language_model", **CONFIG}, None),
        ("sentence_classifier",
         {"model": "sentence_classifier", "config": CONFIG, "metadata": {"data": "sst"}},
         {"data": "sst"}),
        ("seq2seq", {"format": "rnnlab.seq2seq", "model": CONFIG}, None),
    ],
)
def test_layouts_of_earlier_versions_still_load(tmp_path, kind, legacy, metadata):
    directory = save_model(tmp_path / "m", kind, STATE, CONFIG)
    save_json(directory / "config.json", legacy)
    _, config, found_metadata = load_model_of_kind(directory, kind, kind)
    assert config == CONFIG and found_metadata == metadata


def test_another_kind_is_refused_by_name(tmp_path):
    directory = save_model(tmp_path / "m", "pos_tagger", STATE, CONFIG)
    with pytest.raises(ValueError, match="holds a 'pos_tagger' model, not a language model"):
        load_model_of_kind(directory, "language_model", "language model")
    save_json(directory / "config.json", [1, 2])
    with pytest.raises(ValueError, match="holds no rnnlab model"):
        load_model_of_kind(directory, "language_model", "language model")
