"""The recurrent options of issue 19 where they are used: ``rnnlab train lm`` and
``rnnlab train classifier`` (and their tasks from Python) take recurrent dropout, zoneout,
weight drop, layer normalisation and projections; the run records them, the saved model
comes back with them, evaluation is deterministic, and --resume refuses a different one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnnlab.cli import main
from rnnlab.models import LanguageModel
from rnnlab.models.classifier import SentenceClassifier
from rnnlab.tasks import classification
from rnnlab.tasks import language_modelling as lm
from rnnlab.training import TrainerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = FIXTURES / "lm" / "tiny.txt"
REVIEWS = str(FIXTURES / "classifier" / "reviews.tsv")
NOISE = dict(recurrent_dropout=0.2, zoneout=0.1, weight_drop=0.3)


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def _lm_config(**model) -> lm.LanguageModellingConfig:
    return lm.LanguageModellingConfig(
        lm.LanguageModelData(str(TINY), level="char"),
        model=lm.LanguageModelOptions(layers=2, hidden_size=12, **model),
        windows=lm.StreamWindows(batch_size=4, bptt=8, eval_batch_size=1),
        loop=replace(lm.default_loop(), epochs=1, optimizer="adam", lr=0.01, progress=False,
                     checkpoint_every=0),
    )


@pytest.mark.parametrize("model", [
    dict(NOISE, dropout=0.2, dropout_kind="locked", tie_weights=True),
    dict(NOISE, proj_size=6, tie_weights=True),
    dict(NOISE, layer_norm=True),
], ids=["awd", "proj_size-tied", "layer_norm"])
def test_language_model_trains_and_reloads_with_the_options(tmp_path, model):
    result = lm.train(tmp_path / "run", _lm_config(**model))
    saved = json.loads((tmp_path / "run" / "run.json").read_text())["config"]["model"]
    assert {k: saved[k] for k in model} == model
    loaded = LanguageModel.load(tmp_path / "run" / "model")
    for layer in loaded.layers:
        assert (layer.recurrent_dropout, layer.zoneout, layer.weight_drop) == (0.2, 0.1, 0.3)
        assert layer.proj_size == model.get("proj_size", 0)
        assert bool(layer.kind.options.get("layer_norm")) == model.get("layer_norm", False)
    if model.get("proj_size"):
        assert loaded.embedding.weight.shape[1] == 6  # tied to the projected h
    ids = loaded.encode("the quick brown fox")
    first, second = (loaded.score_stream(ids).nll for _ in range(2))
    assert first == second == pytest.approx(result.scores["valid"].nll, rel=1.0)


def test_train_lm_flags_reach_the_run_and_resume_refuses_a_change(tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--train", str(TINY), "--level", "char", "--hidden-size", "12", "--layers", "2",
              "--batch-size", "4", "--bptt", "8", "--eval-batch-size", "1", "--optimizer",
              "adam", "--lr", "0.01", "--no-progress", "--checkpoint-every", "0"]
    options = ["--recurrent-dropout", "0.2", "--zoneout", "0.1", "--weight-drop", "0.3",
               "--proj-size", "6"]
    assert main(["train", "lm", *common, *options, "--epochs", "1", "--out", str(out)]) == 0
    saved = json.loads((out / "run.json").read_text())["config"]["model"]
    assert (saved["recurrent_dropout"], saved["zoneout"], saved["weight_drop"]) == (0.2, 0.1, 0.3)
    assert saved["proj_size"] == 6 and saved["layer_norm"] is False
    capsys.readouterr()
    assert main(["train", "lm", "--out", str(out), "--resume", "--weight-drop", "0.5"]) == 1
    assert "--weight-drop 0.5 differs from the run's 0.3" in capsys.readouterr().err


def _classifier_config(**options) -> classification.ClassificationConfig:
    return classification.ClassificationConfig(
        classification.ClassificationData(REVIEWS, REVIEWS),
        classification.ClassifierOptions(hidden_size=8, embed_dim=8, dropout=0.2, layers=2,
                                         **options),
        TrainerConfig(epochs=1, lr=0.02, monitor="accuracy", monitor_mode="max",
                      checkpoint_every=0, progress=False), batch_size=8)


@pytest.mark.parametrize("options", [dict(NOISE), dict(NOISE, proj_size=5),
                                     dict(NOISE, layer_norm=True, cell="gru")],
                         ids=["noise", "proj_size", "gru-layer_norm"])
def test_classifier_trains_and_reloads_with_the_options(tmp_path, options):
    result = classification.train(tmp_path, _classifier_config(**options), verbose=False)
    loaded = SentenceClassifier.load(tmp_path / "model")
    encoder = loaded.encoder
    assert (encoder.recurrent_dropout, encoder.zoneout, encoder.weight_drop) == (0.2, 0.1, 0.3)
    assert encoder.proj_size == options.get("proj_size", 0)
    features = 2 * (options.get("proj_size") or 8)
    assert loaded.output.weight.shape[1] == features
    probabilities = [loaded.predict_proba([["a", "good", "film"]]) for _ in range(2)]
    np.testing.assert_array_equal(*probabilities)  # eval: no noise
    assert result.dev.report.accuracy >= 0.0


def test_train_classifier_flags_reach_the_config(tmp_path):
    out = tmp_path / "run"
    status = main(["train", "classifier", "--train", REVIEWS, "--dev", REVIEWS, "--out", str(out),
                   "--epochs", "1", "--hidden", "8", "--embed-dim", "8", "--layers", "2",
                   "--batch-size", "8", "--no-progress", "--recurrent-dropout", "0.25",
                   "--zoneout", "0.05", "--weight-drop", "0.4", "--proj-size", "4"])
    assert status == 0
    model = json.loads((out / "run.json").read_text())["config"]["model"]
    assert (model["recurrent_dropout"], model["zoneout"], model["weight_drop"],
            model["proj_size"], model["layer_norm"]) == (0.25, 0.05, 0.4, 4, False)
