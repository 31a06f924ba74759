"""The command line round trip: ``rnnlab train classifier`` on a fixture, then
``rnnlab classify`` and ``rnnlab eval classifier --json`` on what it saved, and the errors
malformed input gives (exit status 1, file and line on stderr)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from rnnlab.cli import main
from rnnlab.models.classifier import SentenceClassifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "classifier"
REVIEWS = str(FIXTURES / "reviews.tsv")
SMALL = ["--hidden", "16", "--embed-dim", "16", "--dropout", "0", "--lr", "0.02",
         "--batch-size", "8", "--no-progress"]


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("classifier") / "run"
    with threadpool_limits(limits=1):
        status = main(["train", "classifier", "--train", REVIEWS, "--dev", REVIEWS,
                       "--out", str(out), "--epochs", "6", *SMALL])
    assert status == 0
    return out


def test_training_saves_a_pickle_free_model_and_logs_metrics(trained):
    model_dir = trained / "model"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "config.json", "labels.json", "vocab.json", "weights.safetensors",
    ]
    assert json.loads((model_dir / "labels.json").read_text()) == ["neg", "pos"]
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and max(r["dev_accuracy"] for r in rows) == 1.0


def test_eval_json_reports_accuracy_f1_and_confusion(trained, capsys):
    assert main(["eval", "classifier", "--model", str(trained), "--data", REVIEWS,
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == 16
    assert report["accuracy"] == 1.0 and report["macro_f1"] == 1.0
    assert report["labels"] == ["neg", "pos"]
    assert report["confusion"] == [[8, 0], [0, 8]]


def test_eval_prints_a_readable_report(trained, capsys):
    assert main(["eval", "classifier", "--model", str(trained / "model"),
                 "--data", REVIEWS]) == 0
    out = capsys.readouterr().out
    assert "accuracy  1.0000" in out and "macro-F1  1.0000" in out
    assert "confusion matrix" in out


def test_classify_texts_and_a_file(trained, capsys):
    assert main(["classify", "--model", str(trained), "I hated every minute of it",
                 "brilliant acting and a great story"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["neg", "pos"]
    assert all(0.5 < float(line.split("\t")[1]) <= 1.0 for line in lines)
    assert lines[0].split("\t")[2] == "I hated every minute of it"

    assert main(["classify", "--model", str(trained), "--input",
                 str(FIXTURES / "texts.txt"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"]  # the blank line is skipped
    assert all(abs(sum(r["probabilities"].values()) - 1.0) < 1e-6 for r in rows)


def test_an_interrupted_run_resumes_to_the_same_numbers(tmp_path, monkeypatch):
    def run(out: Path, *extra: str) -> int:
        return main(["train", "classifier", "--train", REVIEWS, "--dev", REVIEWS,
                     "--out", str(out), "--epochs", "3", *SMALL, "--layers", "2",
                     "--dropout", "0.3", "--word-dropout", "0.2", *extra])

    def metrics(out: Path) -> list[dict]:
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    assert run(tmp_path / "straight") == 0
    original_loss = SentenceClassifier.loss
    calls = []

    def interrupted_loss(self, batch):
        calls.append(1)
        if len(calls) == 3:  # the first batch of epoch 2 (two batches per epoch)
            raise KeyboardInterrupt
        return original_loss(self, batch)

    monkeypatch.setattr(SentenceClassifier, "loss", interrupted_loss)
    assert run(tmp_path / "stopped") == 130
    assert len(metrics(tmp_path / "stopped")) == 1
    monkeypatch.setattr(SentenceClassifier, "loss", original_loss)
    assert run(tmp_path / "stopped", "--resume") == 0
    assert metrics(tmp_path / "stopped") == metrics(tmp_path / "straight")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "classifier", "--train", str(FIXTURES / "bad_tree.txt"),
          "--dev", REVIEWS], "bad_tree.txt:2: malformed tree"),
        (["train", "classifier", "--train", str(FIXTURES / "bad_columns.tsv"),
          "--dev", REVIEWS], "bad_columns.tsv:3: expected 2 columns"),
        (["train", "classifier", "--train", REVIEWS,
          "--dev", str(FIXTURES / "unknown_label.tsv")], "label 'meh'"),
        (["train", "classifier", "--train", REVIEWS, "--dev", REVIEWS, "--phrases"],
         "--phrases needs SST trees"),
    ],
)
def test_malformed_training_input_exits_with_the_location(argv, expected, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "x"), "--no-progress"]) == 1
    assert expected in capsys.readouterr().err


def test_malformed_eval_and_classify_input(trained, tmp_path, capsys):
    assert main(["eval", "classifier", "--model", str(trained),
                 "--data", str(FIXTURES / "unknown_label.tsv")]) == 1
    assert "unknown_label.tsv: example 2: label 'meh'" in capsys.readouterr().err
    assert main(["eval", "classifier", "--model", str(trained),
                 "--data", str(FIXTURES / "trees.txt")]) == 1
    assert "are not SST's" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\xfe broken\n")
    assert main(["classify", "--model", str(trained), "--input", str(bad)]) == 1
    assert "bad.txt:2: invalid UTF-8" in capsys.readouterr().err
    assert main(["classify", "--model", str(trained)]) == 1
    assert "nothing to classify" in capsys.readouterr().err
    assert main(["classify", "--model", str(tmp_path / "nowhere"), "hi"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_an_empty_evaluation_file_is_an_error_not_accuracy_zero(trained, tmp_path, capsys):
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    assert main(["eval", "classifier", "--model", str(trained), "--data", str(empty)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"rnnlab: error: {empty}") and err.count("\n") == 1
