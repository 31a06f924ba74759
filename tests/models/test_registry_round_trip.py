"""Every registered kind saves and opens again exactly: the same class, config, files and
bit-identical weights and outputs; from its folder or a training run's; in the one
config.json layout of format version 1."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab import random as rnd
from rnnlab.models import (
    KINDS,
    Tagger,
    kind_of,
    load_model,
    model_kind,
    open_model_dir,
    resolve_model_dir,
    save_model_dir,
)
from rnnlab.models.folder import FORMAT_VERSION, RUN_MODEL_DIR
from rnnlab.training.trainer import BEST_DIR


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_round_trips_exactly(tmp_path, name):
    kind = KINDS[name]
    model = kind.sample()
    assert kind_of(model) is kind and isinstance(model, kind.model_class)
    directory = save_model_dir(model, tmp_path / "m")
    header = json.loads((directory / "config.json").read_text())
    assert header["format_version"] == FORMAT_VERSION and header["kind"] == name
    assert ("metadata" in header) == kind.metadata
    written = {p.name for p in directory.iterdir()}
    expected = {"config.json", "weights.safetensors"} | {
        spec.filename for spec in kind.files
        if spec.only_if is None or getattr(model.config, spec.only_if)}
    assert written == expected

    loaded = open_model_dir(directory, kind=name)
    assert type(loaded) is kind.model_class and loaded.config == model.config
    assert not loaded.training
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert loaded.state_dict()[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    np.testing.assert_array_equal(kind.sample_output(loaded), kind.sample_output(model))
    if kind.metadata:
        assert loaded.metadata == model.metadata


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_class_methods_and_load_model_open_the_same_folder(tmp_path, name):
    kind = KINDS[name]
    model = kind.sample()
    model.save(tmp_path / "run" / RUN_MODEL_DIR)  # where training puts the best model
    for opened in (kind.model_class.load(tmp_path / "run"), load_model(tmp_path / "run"),
                   open_model_dir(tmp_path / "run")):
        assert type(opened) is kind.model_class
        np.testing.assert_array_equal(kind.sample_output(opened), kind.sample_output(model))


def test_a_run_folder_resolves_to_its_model():
    assert RUN_MODEL_DIR == BEST_DIR  # the Trainer's best model is where the registry looks


def test_resolve_model_dir_takes_a_model_folder_or_a_run_folder(tmp_path):
    KINDS["language_model"].sample().save(tmp_path / "run" / "model")
    assert resolve_model_dir(tmp_path / "run") == tmp_path / "run" / "model"
    assert resolve_model_dir(tmp_path / "run" / "model") == tmp_path / "run" / "model"


def test_half_precision_weights_load_as_float32(tmp_path):
    model = KINDS["pos_tagger"].sample()
    model.save(tmp_path / "half", weight_dtype=np.float16)
    loaded = Tagger.load(tmp_path / "half")
    for key, value in model.state_dict().items():
        assert loaded.state_dict()[key].dtype == np.float32
        np.testing.assert_array_equal(loaded.state_dict()[key],
                                      value.astype(np.float16).astype(np.float32))


def test_samples_leave_the_global_generator_as_they_found_it():
    rnd.seed(7)
    before = rnd.generator().random(3)
    rnd.seed(7)
    for kind in KINDS.values():
        kind.sample()
    np.testing.assert_array_equal(rnd.generator().random(3), before)


def test_kind_lookups_name_the_known_kinds():
    assert model_kind("seq2seq").model_class.__name__ == "Seq2Seq"
    with pytest.raises(ValueError, match="'banana' is not a model kind .*pos_tagger"):
        model_kind("banana")
    with pytest.raises(ValueError, match="a str is not a registered kind of model"):
        kind_of("a string")
