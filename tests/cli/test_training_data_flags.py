"""The treebank training commands (``train tagger``, ``train lemmatizer``, ``train
tokenizer``, ``train pipeline``) take their data flags from the helpers of
:mod:`rnnlab.cli.flags` (``add_training_data_flags``, ``add_sentence_limit_flag``): the
same spellings, value names, defaults and destinations on each, and each command's own
help text."""

from __future__ import annotations

import argparse

import pytest

from rnnlab.cli import build_parser
from rnnlab.cli.flags import add_sentence_limit_flag, add_training_data_flags
from rnnlab.cli.parser import CommandParser, walk

PARSERS = {path[1]: parser for path, parser in walk(build_parser())
           if path[:1] == ("train",) and len(path) == 2}
HELP = {  # command: (--train help, --dev help)
    "tagger": ("training CoNLL-U file (required unless --resume)",
               "dev CoNLL-U file; its UPOS accuracy picks the best epoch (required unless "
               "--resume)"),
    "lemmatizer": ("training CoNLL-U file with lemmas (required unless --resume)",
                   "dev CoNLL-U file; its lemma accuracy picks the best epoch (required "
                   "unless --resume)"),
    "tokenizer": ("training CoNLL-U file (required unless --resume)",
                  "dev CoNLL-U file; its running text is tokenized and scored after every "
                  "epoch (required unless --resume)"),
    "pipeline": ("training CoNLL-U file (required unless --resume finds every part started)",
                 "dev CoNLL-U file; each part picks its best epoch on it (required unless "
                 "--resume finds every part started)"),
}
SENTENCE_LIMIT = ("tagger", "lemmatizer")


def _shape(action: argparse.Action) -> tuple:
    return (action.option_strings, action.dest, action.default, action.metavar,
            action.required, action.type, action.nargs)


def _reference() -> CommandParser:
    parser = CommandParser()
    add_training_data_flags(parser, dev_use="x")
    add_sentence_limit_flag(parser)
    return parser


@pytest.mark.parametrize("command", sorted(HELP))
def test_the_shared_data_flags_are_on_each_treebank_command(command):
    parser, reference = PARSERS[command], _reference()
    for flag, text in zip(("--train", "--dev"), HELP[command], strict=True):
        action = parser._option_string_actions[flag]
        assert _shape(action) == _shape(reference._option_string_actions[flag]), flag
        assert action.help == text
    assert parser._option_string_actions["--valid"].dest == "dev"
    assert parser.parse_args(["--out", "r", "--valid", "d.conllu"]).dev == "d.conllu"
    if command in SENTENCE_LIMIT:
        action = parser._option_string_actions["--train-limit"]
        shared = reference._option_string_actions["--train-limit"]
        assert _shape(action) == _shape(shared) and action.help == shared.help
        args = parser.parse_args(["--out", "r", "--max-train-sentences", "3"])
        assert args.train_limit == 3


def test_without_data_flags_the_parser_leaves_the_check_to_the_command():
    for command in HELP:
        args = PARSERS[command].parse_args(["--out", "r"])
        assert args.train is None and args.dev is None
