"""The flags of ``train lm``, ``eval lm``, ``train generator``, ``generate``,
``train seq2seq``, ``translate`` and ``eval seq2seq``: a help line on every option, no
default written by hand, the old spellings kept as aliases of the canonical ones; ``eval lm``,
``generate`` and ``translate`` take a run folder as well as a model folder and name a model
of the wrong kind."""

import argparse
import json
from pathlib import Path

import pytest

from rnnlab.cli import build_parser, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm"
TINY = str(FIXTURES / "tiny.txt")
COMMANDS = [("train", "lm"), ("eval", "lm"), ("train", "generator"), ("generate",),
            ("train", "seq2seq"), ("translate",), ("eval", "seq2seq")]
ALIASES = {  # old spelling → canonical flag
    ("train", "lm"): {"--valid": "--dev", "--valid-fraction": "--dev-fraction",
                      "--held-out-fraction": "--dev-fraction", "--hidden": "--hidden-size",
                      "--embedding-dim": "--embed-dim", "--max-train-tokens": "--train-limit"},
    ("train", "generator"): {"--data": "--train", "--held-out-fraction": "--dev-fraction",
                             "--hidden": "--hidden-size", "--embedding-dim": "--embed-dim"},
    ("train", "seq2seq"): {"--src-valid": "--src-dev", "--tgt-valid": "--tgt-dev",
                           "--embedding-size": "--embed-dim", "--hidden": "--hidden-size",
                           "--decoder-hidden": "--decoder-hidden-size",
                           "--valid-limit": "--dev-limit", "--valid-beam": "--dev-beam"},
}


def command_parser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = subparsers.choices[name]
    return parser


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest != "help"]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_option_has_a_help_line_and_no_hand_written_default(path):
    for action in options(command_parser(path)):
        assert action.help, f"{' '.join(path)} {action.option_strings[0]} has no help"
        assert "default" not in action.help.lower(), action.option_strings[0]


@pytest.mark.parametrize("path", list(ALIASES), ids=" ".join)
def test_old_spellings_are_aliases_of_the_canonical_flag(path):
    by_flag = {flag: a for a in options(command_parser(path)) for flag in a.option_strings}
    for old, canonical in ALIASES[path].items():
        assert by_flag[old] is by_flag[canonical], old
        assert by_flag[canonical].option_strings[0] == canonical


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
