"""The ``rnnlab`` command line.

Each ``rnnlab/cli/commands_*.py`` module adds its own commands through
``register(groups: CommandGroups)``; this module only collects them, so every task keeps
its command-line code beside itself and none edits a shared list. A command is declared by
name and help line only; its options are added, and its task code imported, when it runs
(:class:`~rnnlab.cli.parser.CommandParser`), so start-up costs what the command needs.

:func:`main` is the one error boundary (:mod:`rnnlab.cli.errors`): an expected failure is
one line ``rnnlab: error: …`` and exit status 1; Ctrl-C exits 130; a closed pipe
(``rnnlab tag … | head -1``) ends quietly with 141; anything else keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from dataclasses import dataclass

from rnnlab import __version__
from rnnlab.cli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    describe,
    report,
    silence_stdout,
)
from rnnlab.cli.parser import COMMAND_PARSER, CommandParser


@dataclass
class CommandGroups:
    """Where a command module hangs its commands.

    ``top``: ``rnnlab NAME``; ``train``: ``rnnlab train NAME``; ``eval``: ``rnnlab eval NAME``;
    ``demo``: ``rnnlab demo NAME``. Declare a command with
    ``add_parser(NAME, help=..., description=..., build=func)``; ``func(parser)`` adds the
    options and ``parser.set_defaults(handler=run)`` with ``run(args) -> int | None``.
    """

    top: argparse._SubParsersAction
    train: argparse._SubParsersAction
    eval: argparse._SubParsersAction
    demo: argparse._SubParsersAction


def build_parser() -> CommandParser:
    """The ``rnnlab`` parser: every command declared, none of their options built yet
    (:func:`rnnlab.cli.parser.walk` builds them all)."""
    parser = CommandParser(
        prog="rnnlab",
        description="Recurrent neural networks for language, from first principles.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlab {__version__}",
                        help="print the version and exit")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups = CommandGroups(
        top=top,
        train=top.add_parser("train", help="train a model").add_subparsers(
            dest="model_kind", metavar="MODEL", required=True),
        eval=top.add_parser("eval", help="evaluate a trained model").add_subparsers(
            dest="model_kind", metavar="MODEL", required=True),
        demo=top.add_parser("demo", help="run one of the lecture's experiments").add_subparsers(
            dest="demo", metavar="NAME", required=True),
    )
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("commands_"):
            importlib.import_module(f"{__name__}.{info.name}").register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``rnnlab ARGV``; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        status = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary
        return status
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("rnnlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        message = describe(error, getattr(args, COMMAND_PARSER, None))
        if message is None:
            raise
        report(message)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
