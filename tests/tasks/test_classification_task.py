"""``rnnlab.tasks.classification`` from Python: train, evaluate (the NLL computed once),
a time budget inside the first epoch, resuming with more epochs, and ``metrics.jsonl``
holding each epoch once however the run was interrupted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnnlab.models.classifier import SentenceClassifier
from rnnlab.tasks.classification import (
    ClassificationConfig,
    ClassificationData,
    ClassifierOptions,
    evaluate,
    read_sentences,
    train,
)
from rnnlab.training import Trainer, TrainerConfig
from rnnlab.training.run_folder import LoopOverrides

REVIEWS = str(Path(__file__).resolve().parents[1] / "fixtures" / "classifier" / "reviews.tsv")


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def config(**loop) -> ClassificationConfig:
    settings = {"epochs": 3, "lr": 0.02, "monitor": "accuracy", "monitor_mode": "max",
                "checkpoint_every": 0, "progress": False, **loop}
    return ClassificationConfig(ClassificationData(REVIEWS, REVIEWS),
                                ClassifierOptions(hidden_size=8, embed_dim=8, dropout=0.2),
                                TrainerConfig(**settings), batch_size=8)


def epochs_logged(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_train_then_evaluate_gives_the_dev_scores(tmp_path: Path):
    result = train(tmp_path, config(), verbose=False)
    assert [row["epoch"] for row in result.outcome.history] == [1, 2, 3]
    assert result.outcome.best_epoch >= 1 and result.outcome.finished
    again = evaluate(SentenceClassifier.load(tmp_path / "model"),
                     read_sentences(REVIEWS, "tsv"), REVIEWS)
    assert again.report.accuracy == result.dev.report.accuracy
    assert again.nll == pytest.approx(result.dev.nll, abs=1e-12)
    best_row = result.outcome.history[result.outcome.best_epoch - 1]
    assert best_row["dev_loss"] == pytest.approx(result.dev.nll, abs=1e-6)
    assert set(result.dev.scores()) == {"accuracy", "macro_f1", "loss"}


def test_a_budget_shorter_than_an_epoch_leaves_an_evaluated_model(tmp_path: Path):
    stopped = train(tmp_path, config(time_budget_minutes=1e-9), verbose=False)
    outcome = stopped.outcome
    assert outcome.best_epoch == 0 and outcome.history == []
    assert outcome.budget_stop["epoch"] == 1 and outcome.budget_stop["step"] == 1
    assert 0.0 <= outcome.budget_stop["dev_accuracy"] <= 1.0
    model = SentenceClassifier.load(tmp_path / "model")
    assert stopped.dev.report.accuracy == outcome.budget_stop["dev_accuracy"]
    assert model.labels == ["neg", "pos"]
    assert (tmp_path / "metrics.jsonl").read_text() == ""

    more = train(tmp_path, resume=True, overrides=LoopOverrides(time_budget_minutes=10),
                 verbose=False)
    assert [row["epoch"] for row in more.outcome.history] == [1, 2, 3]
    assert more.outcome.best_epoch >= 1
    assert [row["epoch"] for row in epochs_logged(tmp_path)] == [1, 2, 3]


def test_resume_with_more_epochs_continues_to_the_same_numbers(tmp_path: Path):
    straight = train(tmp_path / "straight", config(epochs=4), verbose=False)
    train(tmp_path / "run", config(epochs=2), verbose=False)
    extended = train(tmp_path / "run", resume=True, overrides=LoopOverrides(epochs=4),
                     verbose=False)
    assert epochs_logged(tmp_path / "run") == epochs_logged(tmp_path / "straight")
    for name, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(extended.model.state_dict()[name], value, err_msg=name)


@pytest.mark.parametrize("crash", ["before the epoch's checkpoint", "after it"])
def test_each_epoch_is_logged_once_across_a_crash_and_resume(tmp_path: Path, monkeypatch,
                                                             crash: str):
    train(tmp_path / "straight", config(), verbose=False)
    patched = "save_checkpoint" if crash.startswith("before") else "_write_metrics"
    original, calls = getattr(Trainer, patched), []

    def crashing(self):
        calls.append(1)
        if len(calls) == 2:  # at the end of epoch 2
            raise OSError("killed")
        return original(self)

    monkeypatch.setattr(Trainer, patched, crashing)
    with pytest.raises(OSError, match="killed"):
        train(tmp_path / "run", config(), verbose=False)
    monkeypatch.setattr(Trainer, patched, original)
    train(tmp_path / "run", resume=True, verbose=False)
    assert epochs_logged(tmp_path / "run") == epochs_logged(tmp_path / "straight")
