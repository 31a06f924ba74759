"""One command-line vocabulary (issue 16 item 7), checked on every ``rnnlab`` command by
walking the parser: each option has a help line and shows its default (or says what
happens without it); each concept is spelled one way everywhere; old spellings still parse,
to the same setting, but ``--help`` does not show them; every command that takes a model
takes ``--model``; a bad value is refused naming the flag."""

from __future__ import annotations

import argparse
import re

import pytest

from rnnlab.cli import build_parser, main
from rnnlab.cli.errors import describe
from rnnlab.cli.parser import hidden_aliases, shows_default, visible_option_strings, walk

COMMANDS = {path: parser for path, parser in walk(build_parser())}
LEAVES = {path: parser for path, parser in COMMANDS.items()
          if path and path[0] not in ("train", "eval", "demo") or len(path) == 2}

CONCEPTS = {  # concept: (canonical spelling, old spellings kept as hidden aliases)
    "training data": ("--train", ("--data",)),
    "development data": ("--dev", ("--valid",)),
    "development sources": ("--src-dev", ("--src-valid",)),
    "development targets": ("--tgt-dev", ("--tgt-valid",)),
    "held-out fraction": ("--dev-fraction", ("--held-out-fraction", "--valid-fraction")),
    "development limit": ("--dev-limit", ("--valid-limit",)),
    "development beam": ("--dev-beam", ("--valid-beam",)),
    "hidden size": ("--hidden-size", ("--hidden",)),
    "decoder hidden size": ("--decoder-hidden-size", ("--decoder-hidden",)),
    "recurrent layers": ("--layers", ("--num-layers",)),
    "word embedding size": ("--embed-dim", ("--word-dim", "--embedding-dim",
                                            "--embedding-size")),
    "character embedding size": ("--char-dim", ()),
    "character BiLSTM size": ("--char-hidden-size", ("--char-hidden",)),
    "training data limit": ("--train-limit", ("--max-train-sentences", "--max-train-tokens")),
    "a trained model": ("--model", ()),
    "run folder": ("--out", ()),
    "file written": ("--output", ("--out",)),
    "file read": ("--input", ()),
    "evaluation data": ("--data", ()),
    "resume": ("--resume", ()),
    "overwrite": ("--overwrite", ()),
    "random seed": ("--seed", ()),
    "batch size": ("--batch-size", ()),
    "JSON output": ("--json", ()),
    "no progress bar": ("--no-progress", ()),
}
TAKES_A_MODEL = [("tag",), ("classify",), ("generate",), ("translate",), ("export",),
                 ("eval", "tagger"), ("eval", "classifier"), ("eval", "lm"),
                 ("eval", "seq2seq"), ("demo", "tagger"), ("demo", "gates")]
ALIASES = {  # command: {old spelling: (canonical spelling, a value)}
    ("train", "tagger"): {"--valid": ("--dev", "d.conllu"), "--word-dim": ("--embed-dim", "8"),
                          "--char-hidden": ("--char-hidden-size", "8"),
                          "--hidden": ("--hidden-size", "8"),
                          "--max-train-sentences": ("--train-limit", "8")},
    ("train", "classifier"): {"--valid": ("--dev", "d.tsv"), "--hidden": ("--hidden-size", "8"),
                              "--char-hidden": ("--char-hidden-size", "8")},
    ("train", "lm"): {"--valid": ("--dev", "d.txt"), "--valid-fraction": ("--dev-fraction", "0.2"),
                      "--held-out-fraction": ("--dev-fraction", "0.2"),
                      "--hidden": ("--hidden-size", "8"), "--embedding-dim": ("--embed-dim", "8"),
                      "--max-train-tokens": ("--train-limit", "20")},
    ("train", "generator"): {"--data": ("--train", "names/"),
                             "--held-out-fraction": ("--dev-fraction", "0.2"),
                             "--hidden": ("--hidden-size", "8"),
                             "--embedding-dim": ("--embed-dim", "8")},
    ("train", "seq2seq"): {"--src-valid": ("--src-dev", "d.de"),
                           "--tgt-valid": ("--tgt-dev", "d.en"),
                           "--embedding-size": ("--embed-dim", "8"),
                           "--hidden": ("--hidden-size", "8"),
                           "--decoder-hidden": ("--decoder-hidden-size", "8"),
                           "--valid-limit": ("--dev-limit", "3"),
                           "--valid-beam": ("--dev-beam", "2")},
    ("export",): {"--out": ("--output", "m.onnx")},
}


def _name(path: tuple[str, ...]) -> str:
    return " ".join(path)


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions
            if a.option_strings and not isinstance(a, (argparse._HelpAction,
                                                       argparse._VersionAction))]


def _help_line(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The option's entry in ``--help``, on one line."""
    return " ".join(parser._get_formatter()._format_action(action).split())


def _required_argv(parser: argparse.ArgumentParser) -> list[str]:
    """A value for each required option, so that the parser accepts a command line."""
    argv = []
    for action in parser._actions:
        if action.required and action.option_strings:
            argv += [action.option_strings[0], "x"]
    return argv


def test_the_walk_reaches_every_command():
    expected = {("tag",), ("classify",), ("generate",), ("translate",), ("export",), ("info",),
                *[("train", m) for m in ("tagger", "classifier", "lm", "generator", "seq2seq")],
                *[("eval", m) for m in ("tagger", "classifier", "lm", "seq2seq")],
                *[("demo", d) for d in ("tagger", "addition", "gradients", "agreement",
                                         "gates")]}
    assert expected <= set(LEAVES)


@pytest.mark.parametrize("path", sorted(LEAVES), ids=_name)
def test_every_option_has_a_help_line_and_its_default(path):
    parser = LEAVES[path]
    for action in parser._actions:
        if action.help is argparse.SUPPRESS:
            continue
        flag = (action.option_strings or [action.dest])[0]
        assert action.help, f"rnnlab {_name(path)} {flag} has no help line"
        assert "default" not in action.help.lower(), f"{flag}: a default written by hand"
        line = _help_line(parser, action)
        if action.option_strings and action.nargs != 0 and action.metavar is None \
                and action.choices is None:  # the value is named after the flag
            shown = visible_option_strings(action)[0]
            assert line.startswith(f"{shown} {shown[2:].upper().replace('-', '_')}"), line
        if shows_default(action):
            assert line.count("(default: ") == 1, f"{flag} does not show its default: {line}"
        elif action.option_strings and action.nargs != 0 and not action.required:
            assert "none given" in action.help or "required" in action.help, (
                f"rnnlab {_name(path)} {flag}: say what happens without it")


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: _name(p) or "rnnlab")
def test_help_prints_for_every_command(path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*path, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: rnnlab {_name(path)}".rstrip())


def _concept(action: argparse.Action) -> str | None:
    """The concept an option stands for: the one sharing most spellings with it, one whose
    canonical spelling it has first."""
    spellings = set(action.option_strings)
    scored = [((canonical in spellings, len(spellings & {canonical, *old})), name)
              for name, (canonical, old) in CONCEPTS.items()
              if spellings & {canonical, *old}]
    return max(scored)[1] if scored else None


@pytest.mark.parametrize("path", sorted(LEAVES), ids=_name)
def test_each_concept_shows_its_one_spelling(path):
    for action in _options(LEAVES[path]):
        shown = visible_option_strings(action)
        assert len([s for s in shown if s.startswith("--no-")]) <= 1
        concept = _concept(action)
        if concept is not None:
            assert shown[0] == CONCEPTS[concept][0], (
                f"rnnlab {_name(path)} shows {shown[0]} for the {concept} "
                f"({CONCEPTS[concept][0]} everywhere)")


@pytest.mark.parametrize("path", sorted(ALIASES), ids=_name)
def test_old_spellings_parse_to_the_same_setting_and_are_hidden(path):
    parser = LEAVES[path]
    text = parser.format_help()
    for old, (canonical, value) in ALIASES[path].items():
        action = parser._option_string_actions[old]
        assert action is parser._option_string_actions[canonical], old
        assert old in hidden_aliases(action)
        assert not re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", text), (
            f"rnnlab {_name(path)} --help shows the old spelling {old}")
        required = _required_argv(parser)
        by_old = parser.parse_args([*required, old, value])
        by_canonical = parser.parse_args([*required, canonical, value])
        assert getattr(by_old, action.dest) == getattr(by_canonical, action.dest)
        assert getattr(by_old, action.dest) != action.default


@pytest.mark.parametrize("path", TAKES_A_MODEL, ids=_name)
def test_every_command_that_takes_a_model_takes_model(path):
    action = LEAVES[path]._option_string_actions["--model"]
    assert visible_option_strings(action) == ["--model"] and action.metavar == "PATH"


def test_export_keeps_the_positional_model_hidden():
    parser = LEAVES[("export",)]
    assert parser.parse_args(["runs/x", "--output", "x.onnx"]).legacy_model == "runs/x"
    assert not hasattr(parser.parse_args(["--model", "runs/x", "--output", "x.onnx"]),
                       "legacy_model")
    assert "MODEL" not in parser.format_help()


@pytest.mark.parametrize("argv, flag, wanted", [
    (["generate", "--model", "m", "--top-p", "1.5"], "--top-p", "must be in (0, 1], not '1.5'"),
    (["generate", "--model", "m", "--temperature", "0"], "--temperature", "must be a finite "
                                                                          "number > 0"),
    (["train", "tagger", "--out", "r", "--hidden", "0"], "--hidden-size", "must be an integer ≥ 1"),
    (["train", "lm", "--out", "r", "--dev-fraction", "1"], "--dev-fraction", "must be in (0, 1)"),
    (["train", "classifier", "--out", "r", "--dropout", "nan"], "--dropout", "must be in [0, 1)"),
    (["tag", "--batch-size", "x"], "--batch-size", "must be an integer ≥ 1, not 'x'"),
    (["demo", "addition", "--seed", "-1"], "--seed", "must be an integer ≥ 0"),
])
def test_a_bad_value_is_refused_naming_the_flag(argv, flag, wanted, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert f"argument {flag}: {wanted}" in error
    assert "/--" not in error  # the canonical spelling alone, not "--hidden-size/--hidden"


def test_library_value_errors_are_given_the_flag_names():
    parser = LEAVES[("generate",)]
    assert describe(ValueError("top_p must be in (0, 1], got 2"), parser) == \
        "--top-p must be in (0, 1], got 2"
    assert describe(ValueError("temperature must be > 0"), parser) == "--temperature must be > 0"
    assert describe(ValueError("the seed is bad"), parser) == "the seed is bad"
    train = LEAVES[("train", "tagger")]
    assert describe(ValueError("lazy_embedding_updates needs the adam optimizer"), train) == \
        "--lazy-embedding-updates needs the adam optimizer"
