"""The run-folder rules from the command line, for ``train classifier`` and ``train tagger``:
a non-empty ``--out`` refused (``--overwrite`` replaces it), ``--resume`` without the model
flags, a differing model flag on ``--resume`` an error naming the flag, ``--epochs`` and
``--time-budget`` honoured on ``--resume``, and a budget inside the first epoch leaving a
model the other commands use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import tagger_corpus
from threadpoolctl import threadpool_limits

from rnnlab.cli import main
from rnnlab.models.tagger import Tagger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REVIEWS = str(FIXTURES / "classifier" / "reviews.tsv")
SMALL = ["--hidden-size", "8", "--embed-dim", "8", "--lr", "0.02", "--batch-size", "8",
         "--checkpoint-every", "0", "--no-progress"]


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def classifier(out: Path, *extra: str) -> int:
    return main(["train", "classifier", "--train", REVIEWS, "--dev", REVIEWS,
                 "--out", str(out), *SMALL, *extra])


def logged(out: Path) -> list[dict]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_a_new_run_into_a_used_folder_is_refused_unless_overwrite(tmp_path, capsys):
    assert classifier(tmp_path, "--epochs", "1") == 0
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["task"] == "classification" and record["seed"] == 0
    assert record["config"]["model"]["hidden_size"] == 8
    assert record["data"] == {"train": REVIEWS, "dev": REVIEWS}
    capsys.readouterr()
    assert classifier(tmp_path, "--epochs", "1") == 1
    assert "is not empty" in capsys.readouterr().err
    assert classifier(tmp_path, "--epochs", "2", "--hidden-size", "6", "--overwrite") == 0
    assert len(logged(tmp_path)) == 2
    assert json.loads((tmp_path / "run.json").read_text())["config"]["model"][
        "hidden_size"] == 6


def test_resume_needs_no_model_flags_and_honours_more_epochs(tmp_path, capsys):
    assert classifier(tmp_path / "straight", "--epochs", "3") == 0
    assert classifier(tmp_path / "run", "--epochs", "2") == 0
    assert main(["train", "classifier", "--out", str(tmp_path / "run"), "--resume",
                 "--epochs", "3", "--no-progress"]) == 0
    assert "resumed from" in capsys.readouterr().out
    assert logged(tmp_path / "run") == logged(tmp_path / "straight")


def test_a_differing_model_flag_on_resume_is_an_error_naming_it(tmp_path, capsys):
    assert classifier(tmp_path, "--epochs", "1") == 0
    capsys.readouterr()
    resume = ["train", "classifier", "--out", str(tmp_path), "--resume", "--no-progress"]
    assert main([*resume, "--hidden-size", "32"]) == 1
    assert "--hidden-size 32 differs from the run's 8" in capsys.readouterr().err
    assert main([*resume, "--hidden", "32", "--pooling", "mean"]) == 1  # the old spelling
    err = capsys.readouterr().err
    assert "--hidden 32 differs" in err and "--pooling 'mean' differs" in err
    assert main([*resume, "--dev", str(FIXTURES / "classifier" / "reviews.csv")]) == 1
    assert "--dev" in capsys.readouterr().err
    assert main([*resume, "--hidden-size", "8", "--train", REVIEWS]) == 0  # the same values


def test_a_budget_inside_the_first_epoch_leaves_a_usable_classifier(tmp_path, capsys):
    assert classifier(tmp_path, "--epochs", "2", "--time-budget", "1e-6") == 0
    assert "time-budget stop in epoch 1" in capsys.readouterr().out
    assert logged(tmp_path) == []
    assert main(["eval", "classifier", "--model", str(tmp_path), "--data", REVIEWS,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 16
    assert main(["train", "classifier", "--out", str(tmp_path), "--resume",
                 "--time-budget", "30", "--no-progress"]) == 0
    assert [row["epoch"] for row in logged(tmp_path)] == [1, 2]


def test_a_new_run_needs_its_data_flags(tmp_path, capsys):
    assert main(["train", "classifier", "--dev", REVIEWS, "--out", str(tmp_path)]) == 1
    assert "--train required (unless --resume)" in capsys.readouterr().err
    assert main(["train", "classifier", "--out", str(tmp_path / "none"), "--resume"]) == 1
    assert "holds no run to resume" in capsys.readouterr().err


def test_tagger_run_folder_rules(tmp_path, capsys):
    corpus = str(tagger_corpus(tmp_path / "tiny.conllu"))
    out = tmp_path / "run"
    train = ["train", "tagger", "--train", corpus, "--dev", corpus, "--out", str(out),
             "--batch-size", "4", "--word-dim", "8", "--char-dim", "4", "--char-hidden", "8",
             "--hidden", "8", "--layers", "1", "--checkpoint-every", "0", "--no-progress"]
    assert main([*train, "--epochs", "2", "--time-budget", "1e-6"]) == 0
    assert "time-budget stop in epoch 1" in capsys.readouterr().out
    assert Tagger.load(out / "model").config.hidden == 8
    assert main(["tag", "--model", str(out), "--input",
                 str(FIXTURES / "tagger" / "sentences.txt")]) == 0
    assert "\t" in capsys.readouterr().out
    assert main([*train, "--epochs", "2"]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert main(["train", "tagger", "--out", str(out), "--resume", "--embed-dim", "9"]) == 1
    assert "--embed-dim 9 differs from the run's 8" in capsys.readouterr().err
    assert main(["train", "tagger", "--out", str(out), "--resume", "--time-budget", "0",
                 "--no-progress"]) == 0
    assert [row["epoch"] for row in logged(out)] == [1, 2]
    assert main([*train, "--epochs", "1", "--overwrite", "--max-train-sentences", "4"]) == 0
    assert "train: 4 sentences" in capsys.readouterr().out
    assert [row["epoch"] for row in logged(out)] == [1]
