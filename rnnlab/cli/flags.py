"""Flags several commands share, spelled and explained once (the vocabulary: a model is
``--model PATH`` everywhere, a file read ``--input``, a file written ``--output``, a run
folder ``--out``)."""

from __future__ import annotations

import argparse

from rnnlab.cli.values import output_file, run_folder

MODEL_HELP = "a model folder, or a training run folder (its model/)"
RUN_FOLDER_HELP = "run folder (run.json, model/, checkpoint/, metrics.jsonl)"


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
