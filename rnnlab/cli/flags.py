"""Flags several commands share, spelled and explained once (the vocabulary: a model is
``--model PATH`` everywhere, a file read ``--input``, a file written ``--output``, a run
folder ``--out``, the training and dev files ``--train`` and ``--dev``)."""

from __future__ import annotations

import argparse

from rnnlab.cli.values import output_file, positive_int, run_folder

MODEL_HELP = "a model folder, or a training run folder (its model/)"
RUN_FOLDER_HELP = "run folder (run.json, model/, checkpoint/, metrics.jsonl)"
UNLESS_RESUME = "required unless --resume"


def add_model_flag(parser: argparse.ArgumentParser, what: str = "", *,
                   shipped: str | None = None) -> None:
    """``--model PATH`` (a model folder or a run folder, opened with
    :func:`rnnlab.models.open_model_dir`); required unless ``shipped`` says which model is
    used without one."""
    text = (f"{what}: " if what else "") + MODEL_HELP
    parser.add_argument("--model", metavar="PATH", required=shipped is None, default=None,
                        help=text if shipped is None else f"{text}; none given: {shipped}")


def add_input_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """``--input FILE``, standard input when not given."""
    parser.add_argument("--input", metavar="FILE", default=None,
                        help=f"{what} (none given: standard input)")


def add_output_flag(parser: argparse.ArgumentParser, what: str, *,
                    stdout: bool = True) -> None:
    """``--output FILE``: standard output when not given (``stdout``), else no file."""
    where = "standard output" if stdout else "not written"
    parser.add_argument("--output", metavar="FILE", type=output_file, default=None,
                        help=f"{what}, written atomically (none given: {where})")


def add_run_folder_flag(parser: argparse.ArgumentParser,
                        contents: str = RUN_FOLDER_HELP) -> None:
    """``--out DIR``, the run folder of a training command."""
    parser.add_argument("--out", metavar="DIR", type=run_folder, required=True, help=contents)


def add_json_flag(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def add_training_data_flags(parser: argparse.ArgumentParser, *, dev_use: str,
                            train: str = "training CoNLL-U file",
                            required: str = UNLESS_RESUME) -> None:
    """``--train FILE`` and ``--dev FILE`` (old spelling ``--valid``) of a command that trains
    on a treebank: help ``"{train} ({required})"`` and ``"dev CoNLL-U file; {dev_use}
    ({required})"``. The parser requires neither (``--resume`` reads them from run.json):
    the handler does (:func:`rnnlab.cli.trainer_flags.require_flags`)."""
    parser.add_argument("--train", metavar="FILE", default=None, help=f"{train} ({required})")
    parser.add_argument("--dev", "--valid", metavar="FILE", dest="dev", default=None,
                        help=f"dev CoNLL-U file; {dev_use} ({required})")


def add_sentence_limit_flag(parser: argparse.ArgumentParser) -> None:
    """``--train-limit N`` (old spelling ``--max-train-sentences``): train on the first N
    sentences of ``--train``."""
    parser.add_argument("--train-limit", "--max-train-sentences", dest="train_limit",
                        type=positive_int, default=None,
                        help="train on the first N sentences only (none given: all)")
