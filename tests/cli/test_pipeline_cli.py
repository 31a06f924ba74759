"""``rnnlab eval pipeline``, ``rnnlab tokenize`` and ``rnnlab train tokenizer`` end to end:
the CoNLL 2018 table and its JSON, a text mismatch as a one-line error, a tokenizer run on
the gold file's own text, and a training run resumed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from shared_data import ewt_blocks, write_conllu_blocks

from rnnlab.cli import build_parser, main
from rnnlab.data.ud_document import parse_ud, read_ud
from rnnlab.models import KINDS

GOLD = ("# newpar\n# text = I don't.\n"
        "1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n"
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "2\tdo\tdo\tAUX\tVBP\t_\t1\taux\t_\t_\n"
        "3\tn't\tnot\tPART\tRB\t_\t1\tadvmod\t_\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_\n\n")
SYSTEM = ("1\tI\t_\tPRON\t_\t_\t_\t_\t_\t_\n2\tdon't\t_\tVERB\t_\t_\t_\t_\t_\t_\n"
          "3\t.\t_\tPUNCT\t_\t_\t_\t_\t_\t_\n\n")
COMMANDS = [("eval", "pipeline"), ("tokenize",), ("train", "tokenizer")]


@pytest.fixture
def files(tmp_path) -> tuple[str, str]:
    (tmp_path / "gold.conllu").write_text(GOLD)
    (tmp_path / "system.conllu").write_text(SYSTEM)
    return str(tmp_path / "gold.conllu"), str(tmp_path / "system.conllu")


def test_the_table_and_json(files, capsys):
    gold, system = files
    assert main(["eval", "pipeline", "--gold", gold, "--system", system]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Metric") and lines[2].startswith("Tokens     |    100.00")
    assert main(["eval", "pipeline", "--gold", gold, "--system", system, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    # words: I . aligned; do n't against don't: no LCS match → 2 of 4 gold, 2 of 3 system
    assert (scores["Words"]["correct"], scores["Words"]["gold"], scores["Words"]["system"]) \
        == (2, 4, 3)
    assert scores["UPOS"]["correct"] == 2 and scores["Tokens"]["f1"] == 1.0


def test_a_different_text_is_a_one_line_error(files, capsys, tmp_path):
    gold, _ = files
    (tmp_path / "other.conllu").write_text(SYSTEM.replace("don't", "won't"))
    assert main(["eval", "pipeline", "--gold", gold, "--system",
                 str(tmp_path / "other.conllu")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rnnlab: error: the text differs") and err.count("\n") == 1


def test_system_or_model_must_be_given(files, capsys):
    gold, system = files
    assert main(["eval", "pipeline", "--gold", gold]) == 1
    assert "give --system" in capsys.readouterr().err
    assert main(["eval", "pipeline", "--gold", gold, "--system", system, "--model", "x"]) == 1
    assert "--system is scored as it is" in capsys.readouterr().err


def test_a_tokenizer_runs_on_the_gold_text_and_on_raw_text(files, capsys, tmp_path):
    gold, _ = files
    model = KINDS["tokenizer"].sample().save(tmp_path / "tok")
    out = tmp_path / "out.conllu"
    assert main(["eval", "pipeline", "--gold", gold, "--model", str(model), "--json",
                 "--output", str(out)]) == 0
    assert "Tokens" in json.loads(capsys.readouterr().out)
    assert "".join(t.form for s in read_ud(out) for t in s.tokens) == "Idon't."
    (tmp_path / "raw.txt").write_text("I don't.\n")
    assert main(["tokenize", "--model", str(model), "--input", str(tmp_path / "raw.txt"),
                 "--output", str(tmp_path / "raw.conllu")]) == 0
    assert read_ud(tmp_path / "raw.conllu")
    (tmp_path / "wrong.txt").write_text("You do.\n")
    assert main(["eval", "pipeline", "--gold", gold, "--model", str(model), "--text",
                 str(tmp_path / "wrong.txt")]) == 1
    assert "the text differs" in capsys.readouterr().err


def test_train_tokenizer_and_resume(tmp_path, capsys):
    data = str(write_conllu_blocks(tmp_path / "ewt.conllu", ewt_blocks("train")[:20]))
    run = str(tmp_path / "run")
    flags = ["train", "tokenizer", "--train", data, "--dev", data, "--out", run,
             "--hidden-size", "4", "--layers", "1", "--char-dim", "3", "--class-dim", "2",
             "--train-window", "100", "--epochs", "1", "--checkpoint-every", "0",
             "--no-progress"]
    assert main(flags) == 0
    assert "dev F1: Tokens" in capsys.readouterr().out
    assert main(["train", "tokenizer", "--out", run, "--resume", "--epochs", "2",
                 "--no-progress"]) == 0
    assert len(Path(run, "metrics.jsonl").read_text().splitlines()) == 2
    assert main(["train", "tokenizer", "--out", run, "--resume", "--hidden-size", "8"]) == 1
    assert "--hidden-size 8 differs from the run's 4" in capsys.readouterr().err


def _command(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = sub.choices[name]
    return parser


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_option_has_a_help_line(path):
    for action in _command(path)._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and "default" not in action.help.lower(), action.option_strings


def test_tokenize_without_a_model_uses_the_shipped_tokenizer(tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("It rained. We didn't go out.\n")
    assert main(["tokenize", "--input", str(text)]) == 0
    sentences = parse_ud(capsys.readouterr().out)
    assert [[w.form for w in s.words] for s in sentences] == [
        ["It", "rained", "."], ["We", "did", "n't", "go", "out", "."]]
