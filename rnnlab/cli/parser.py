"""The argument parser every ``rnnlab`` command uses: options added on first use, one help
layout, old flag spellings kept working but out of sight.

* :class:`CommandParser` is an ``ArgumentParser`` that builds its options the first time it
  parses or prints help (``build=`` of ``add_parser``), so ``rnnlab --help`` and ``rnnlab tag``
  import neither the code nor the libraries of the commands they do not run.
* :class:`HelpFormatter` is the one help layout: each option once, under its canonical
  spelling (the first long one; later long spellings are hidden aliases), with
  ``(default: X)`` appended wherever an option has a default worth showing — help strings
  never write defaults by hand. The canonical spelling of each concept (``--dev``,
  ``--hidden-size``, ``--embed-dim``, ``--model PATH``, …) is the table ``CONCEPTS`` of
  tests/cli/test_cli_vocabulary.py, which walks every command and holds them to it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

COMMAND_PARSER = "_command_parser"
"""Namespace attribute: the parser of the command that was run (its flags name errors)."""

_FLAGS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._StoreConstAction,
          argparse._AppendConstAction, argparse._CountAction, argparse._HelpAction,
          argparse._VersionAction)  # options whose "default" only means "not given"


def visible_option_strings(action: argparse.Action) -> list[str]:
    """The spellings ``--help`` shows: the short ones and the first long one (with its
    ``--no-`` twin for a ``BooleanOptionalAction``); any further long spelling is an alias
    kept for old command lines."""
    longs = [s for s in action.option_strings if s.startswith("--")]
    shorts = [s for s in action.option_strings if not s.startswith("--")]
    if isinstance(action, argparse.BooleanOptionalAction):
        return shorts + longs[:2]
    return shorts + longs[:1]


def hidden_aliases(action: argparse.Action) -> list[str]:
    """The spellings of ``action`` that parse but ``--help`` does not show."""
    shown = visible_option_strings(action)
    return [s for s in action.option_strings if s not in shown]


def shows_default(action: argparse.Action) -> bool:
    """Whether the help line of ``action`` should end in ``(default: X)``: it takes a value
    (or is a ``--x/--no-x`` switch) and has a default other than None or empty."""
    if isinstance(action, _FLAGS) or action.help is argparse.SUPPRESS:
        return False
    if not action.option_strings and action.nargs not in ("?", "*"):
        return False
    return action.default not in (None, "", argparse.SUPPRESS)


class HelpFormatter(argparse.HelpFormatter):
    """Each option under its visible spellings, its value named after its flag, its default
    appended where it has one."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings:
            return super()._format_action_invocation(action)
        spellings = visible_option_strings(action)
        if action.nargs == 0:
            return ", ".join(spellings)
        value = self._format_args(action, self._get_default_metavar_for_optional(action))
        return ", ".join(f"{s} {value}" for s in spellings)

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        """The value's name from the flag, not from the Python name it sets
        (``--embed-dim EMBED_DIM``, not ``WORD_DIM``)."""
        return visible_option_strings(action)[-1].lstrip("-").upper().replace("-", "_")

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or not shows_default(action):
            return text
        default = action.default
        if isinstance(default, (list, tuple)):
            default = " ".join(map(str, default))
        shown = str(default).replace("%", "%%")
        return f"{text} (default: {shown})" if text else f"(default: {shown})"


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` with :class:`HelpFormatter` whose options are added by
    ``build(parser)`` the first time it parses, prints help or reports an error.

    Subparsers of a ``CommandParser`` are ``CommandParser`` too, so
    ``subparsers.add_parser(name, help=..., build=func)`` declares a command for the price
    of its name; ``func`` adds its options and ``set_defaults(handler=...)``.
    """

    def __init__(self, *args: Any, build: Callable[[CommandParser], None] | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._build = build

    def ensure_built(self) -> CommandParser:
        """Add the options (once) and return the parser."""
        build, self._build = self._build, None
        if build is not None:
            build(self)
        return self

    def parse_known_args(self, args=None, namespace=None):
        self.ensure_built()
        namespace, extras = super().parse_known_args(args, namespace)
        if not hasattr(namespace, COMMAND_PARSER):  # the innermost command parses first
            setattr(namespace, COMMAND_PARSER, self)
        return namespace, extras

    def format_usage(self) -> str:
        self.ensure_built()
        return super().format_usage()

    def format_help(self) -> str:
        self.ensure_built()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        """argparse's usage-and-exit-2, naming an option by its visible spelling."""
        self.ensure_built()
        for action in self._actions:
            if hidden_aliases(action):
                message = message.replace(f"argument {'/'.join(action.option_strings)}:",
                                          f"argument {'/'.join(visible_option_strings(action))}:")
        super().error(message)

    def flag_of(self, dest: str) -> str | None:
        """The visible spelling of the option that sets ``dest`` (None: no such option)."""
        for action in self.ensure_built()._actions:
            if action.dest == dest and action.option_strings:
                return visible_option_strings(action)[0]
        return None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """``{name: parser}`` of the commands directly below ``parser`` (none for a leaf)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse has no public list of a parser's actions
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def walk(parser: argparse.ArgumentParser,
         path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command below ``parser`` as ``(path, built parser)``, e.g.
    ``(("train", "tagger"), parser)``, ``parser`` itself first (path ``()``)."""
    if isinstance(parser, CommandParser):
        parser.ensure_built()
    yield path, parser
    for name, sub in subcommands(parser).items():
        yield from walk(sub, (*path, name))
