"""``eval lm``, ``generate`` and ``translate`` take a run folder as well as a model folder
and name a model of the wrong kind (the flags of every command: test_cli_vocabulary.py)."""

import json
from pathlib import Path

import pytest

from rnnlab.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm"
TINY = str(FIXTURES / "tiny.txt")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A tiny language-model run and a tiny translation run."""
    folder = tmp_path_factory.mktemp("runs")
    (folder / "src.txt").write_text("ein hund\neine katze\n", encoding="utf-8")
    (folder / "tgt.txt").write_text("a dog\na cat\n", encoding="utf-8")
    assert main(["train", "lm", "--train", TINY, "--level", "char", "--out",
                 str(folder / "lm"), "--hidden-size", "8", "--layers", "1", "--batch-size", "4",
                 "--bptt", "8", "--eval-batch-size", "1", "--epochs", "1", "--no-progress"]) == 0
    assert main(["train", "seq2seq", "--src-train", str(folder / "src.txt"),
                 "--tgt-train", str(folder / "tgt.txt"), "--src-dev", str(folder / "src.txt"),
                 "--tgt-dev", str(folder / "tgt.txt"), "--out", str(folder / "mt"),
                 "--embed-dim", "4", "--hidden-size", "4", "--min-freq", "1", "--epochs", "1",
                 "--no-progress"]) == 0
    return {"lm": folder / "lm", "mt": folder / "mt", "src": folder / "src.txt"}


def test_eval_lm_and_generate_take_a_run_folder(runs, capsys):
    capsys.readouterr()
    scores = []
    for model in (runs["lm"], runs["lm"] / "model"):
        assert main(["eval", "lm", "--model", str(model), "--data", TINY, "--json"]) == 0
        scores.append(json.loads(capsys.readouterr().out))
    assert scores[0] == scores[1]
    texts = []
    for model in (runs["lm"], runs["lm"] / "model"):
        assert main(["generate", "--model", str(model), "--length", "10", "--seed", "1"]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1]


def test_a_model_of_the_wrong_kind_is_named(runs, capsys):
    assert main(["eval", "lm", "--model", str(runs["mt"]), "--data", TINY]) == 1
    assert "seq2seq model ('seq2seq'), not a language model" in capsys.readouterr().err
    assert main(["translate", "--model", str(runs["lm"]), "--input", str(runs["src"])]) == 1
    assert "language model ('language_model'), not a seq2seq model" in capsys.readouterr().err
    assert main(["generate", "--model", str(runs["mt"])]) == 1
    assert "not a language model or conditional generator" in capsys.readouterr().err
    assert main(["eval", "lm", "--model", str(runs["lm"] / "nothing"), "--data", TINY]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_an_empty_text_is_an_error_not_a_score(runs, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert main(["eval", "lm", "--model", str(runs["lm"]), "--data", str(empty)]) == 1
    assert capsys.readouterr().err == (f"rnnlab: error: {empty}: no text to score "
                                       "(the input is empty)\n")
