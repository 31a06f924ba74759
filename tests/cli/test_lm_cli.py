"""Command-line round trips: train lm → eval lm → generate; train generator → generate."""

import json
from pathlib import Path

import numpy as np
import pytest

from rnnlab.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm"
TINY = str(FIXTURES / "tiny.txt")
SMALL = ["--hidden-size", "16", "--layers", "1", "--no-progress", "--checkpoint-every", "0"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_eval_generate_language_model(tmp_path, capsys):
    out = tmp_path / "lm"
    code, printed, _ = run(
        capsys, "train", "lm", "--train", TINY, "--level", "char", "--out", str(out),
        "--batch-size", "4", "--bptt", "8", "--epochs", "2", "--optimizer", "adam",
        "--lr", "0.01", "--eval-batch-size", "1", *SMALL,
    )
    assert code == 0 and "valid: loss" in printed
    for name in ("model/weights.safetensors", "model/config.json", "model/vocab.json",
                 "metrics.jsonl", "learning_curves.png", "checkpoint/state.json",
                 "run.json", "results.json"):
        assert (out / name).is_file(), name
    valid = json.loads((out / "results.json").read_text())["valid"]

    code, printed, _ = run(capsys, "eval", "lm", "--model", str(out / "model"), "--data", TINY,
                           "--json")
    scores = json.loads(printed)
    assert code == 0 and scores["tokens"] == len(Path(TINY).read_text()) - 1
    assert scores["perplexity"] == pytest.approx(np.exp(scores["loss"]))
    assert scores["bits_per_token"] == pytest.approx(scores["loss"] / np.log(2))

    generate = ["generate", "--model", str(out / "model"), "--prime", "the ", "--length", "30",
                "--top-k", "4", "--temperature", "0.9", "--num-samples", "2"]
    _, first, _ = run(capsys, *generate, "--seed", "3")
    _, again, _ = run(capsys, *generate, "--seed", "3")
    _, other, _ = run(capsys, *generate, "--seed", "4")
    assert first == again != other
    assert [line[:4] for line in first.splitlines() if line.startswith("the ")] == ["the "] * 2

    # a finished run resumes to the same results; starting over in the same --out is refused
    code, printed, _ = run(capsys, "train", "lm", "--out", str(out), "--resume", "--no-progress")
    assert code == 0
    assert json.loads((out / "results.json").read_text())["valid"] == valid
    code, _, err = run(capsys, "train", "lm", "--train", TINY, "--level", "char", "--out",
                       str(out), *SMALL)
    assert code == 1 and "is not empty" in err
    code, _, err = run(capsys, "train", "lm", "--level", "char", "--out", str(tmp_path / "x"))
    assert code == 1 and "--train required" in err


def test_word_level_with_test_file(tmp_path, capsys):
    out = tmp_path / "word"
    code, printed, _ = run(
        capsys, "train", "lm", "--train", TINY, "--valid", TINY, "--test", TINY, "--level",
        "word", "--out", str(out), "--batch-size", "2", "--bptt", "5", "--epochs", "1",
        "--tie-weights", "--dropout", "0.2", "--dropout-kind", "locked", *SMALL,
    )
    assert code == 0 and "test: loss" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["test"]["tokens"] == results["valid"]["tokens"]
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["kind"] == "language_model" and config["config"]["tie_weights"] is True


def test_conditional_generator_on_names_and_on_feature_vectors(tmp_path, capsys):
    names = tmp_path / "names"
    code, printed, _ = run(
        capsys, "train", "generator", "--data", str(FIXTURES / "names"), "--out", str(names),
        "--epochs", "2", "--batch-size", "4", *SMALL,
    )
    assert code == 0 and "held-out: loss" in printed
    ask = ["generate", "--model", str(names / "model"), "--condition", "Japanese",
           "--num-samples", "3", "--length", "12", "--seed", "5"]
    _, first, _ = run(capsys, *ask)
    _, again, _ = run(capsys, *ask)
    assert first == again and len(first.splitlines()) == 3
    code, _, err = run(capsys, "generate", "--model", str(names / "model"),
                       "--condition", "Klingon")
    assert code == 1 and "unknown condition 'Klingon'" in err
    code, _, err = run(capsys, "generate", "--model", str(names / "model"))
    assert code == 1 and "--condition" in err

    captions = tmp_path / "captions"
    features = str(FIXTURES / "captions" / "features.npy")
    code, _, _ = run(
        capsys, "train", "generator", "--data", features,
        str(FIXTURES / "captions" / "captions.txt"), "--level", "word", "--condition-mode",
        "init+input", "--held-out-fraction", "0.25", "--out", str(captions), "--epochs", "2",
        *SMALL,
    )
    assert code == 0
    code, printed, _ = run(capsys, "generate", "--model", str(captions / "model"), "--vector",
                           features, "--greedy", "--length", "8")
    assert code == 0 and len(printed.splitlines()) == 4
    code, _, err = run(capsys, "generate", "--model", str(captions / "model"), "--condition", "x")
    assert code == 1 and "feature vectors" in err
