"""The ``rnnlab`` command line.

Each ``rnnlab/cli/commands_*.py`` module adds its own commands through
``register(groups: CommandGroups)``; this module only collects them, so every task keeps
its command-line code beside itself and none edits a shared list.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from dataclasses import dataclass

from rnnlab import __version__
from rnnlab.data.errors import DataFormatError


@dataclass
class CommandGroups:
    """Where a command module hangs its commands.

    ``top``: ``rnnlab NAME``; ``train``: ``rnnlab train NAME``; ``eval``: ``rnnlab eval NAME``;
    ``demo``: ``rnnlab demo NAME``. Each added parser must ``set_defaults(handler=func)``
    with ``func(args) -> int | None``.
    """

    top: argparse._SubParsersAction
    train: argparse._SubParsersAction
    eval: argparse._SubParsersAction
    demo: argparse._SubParsersAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnlab",
        description="Recurrent neural networks for language, from first principles.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = top.add_parser("train", help="train a model").add_subparsers(
        dest="model", metavar="MODEL", required=True
    )
    evaluate = top.add_parser("eval", help="evaluate a trained model").add_subparsers(
        dest="model", metavar="MODEL", required=True
    )
    demo = top.add_parser("demo", help="run one of the lecture's experiments").add_subparsers(
        dest="demo", metavar="NAME", required=True
    )
    groups = CommandGroups(top=top, train=train, eval=evaluate, demo=demo)
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("commands_"):
            importlib.import_module(f"{__name__}.{info.name}").register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except (DataFormatError, FileNotFoundError, ValueError) as error:
        print(f"rnnlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rnnlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
