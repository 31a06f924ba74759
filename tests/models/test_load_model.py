"""rnnlab.models.load_model opens any saved model by the kind its config.json names."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.data.vocab import Vocab
from rnnlab.io import save_json
from rnnlab.models import (
    ClassifierConfig,
    LanguageModel,
    LanguageModelConfig,
    SentenceClassifier,
    Tagger,
    load_model,
)
from rnnlab.models.tagger import DEFAULT_MODEL_DIR


def test_loads_each_kind_from_its_directory_or_a_run_directory(tmp_path):
    vocab = Vocab(["<pad>", "<unk>", "a", "b"])
    lm = LanguageModel(LanguageModelConfig(vocab_size=4, level="word", hidden_size=3,
                                           embedding_dim=3), vocab)
    lm.save(tmp_path / "lm-run" / "model")
    loaded = load_model(tmp_path / "lm-run")  # a training run's folder: its best model
    assert isinstance(loaded, LanguageModel)
    for name, value in lm.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value)
    classifier = SentenceClassifier(ClassifierConfig(vocab_size=4, num_classes=2,
                                                     embed_dim=3, hidden_size=2),
                                    vocab, ["neg", "pos"])
    classifier.save(tmp_path / "clf")
    assert isinstance(load_model(tmp_path / "clf"), SentenceClassifier)
    assert isinstance(load_model(DEFAULT_MODEL_DIR), Tagger)  # the shipped model


def test_unknown_kinds_and_missing_directories_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no rnnlab model"):
        load_model(tmp_path)
    save_json(tmp_path / "config.json", {"kind": "spreadsheet", "config": {}})
    with pytest.raises(ValueError, match="kind 'spreadsheet'"):
        load_model(tmp_path)
