"""The command line's one error boundary: what an expected failure prints.

Every failure a user can cause — a file that cannot be read or written (the whole OSError
family: missing, a folder, no permission, a full disk, a file-size limit), a malformed data
file (:class:`~rnnlab.data.errors.DataFormatError`), a bad value or model folder
(``ValueError``), a truncated array file (``EOFError``), a model too large for memory — ends
as one line ``rnnlab: error: …`` naming the file (and line, field or flag) and exit status 1.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `… | head`


class CommandError(Exception):
    """A failure the command has already put into words (printed as it is)."""


def describe(error: BaseException, parser: argparse.ArgumentParser | None = None) -> str | None:
    """The one-line message of an expected failure, or None for an unexpected one.

    ``parser`` (the command's own) turns Python parameter names in a ``ValueError`` from
    the library into the flags that set them (``top_p`` → ``--top-p``).
    """
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):  # a ValueError, but without the file's name
        return f"invalid {error.encoding} byte sequence at byte {error.start} ({error.reason})"
    if isinstance(error, OSError):
        return describe_os_error(error)
    if isinstance(error, EOFError):
        return f"unexpected end of file{f' ({error})' if str(error) else ''}"
    if isinstance(error, MemoryError):
        return "not enough memory for this (a smaller model, batch or input may fit)"
    if isinstance(error, ValueError):
        return name_flags(str(error), parser)
    return None


def describe_os_error(error: OSError) -> str:
    """``FILE: reason`` (``FILE -> OTHER: reason`` for a rename), or the message as given
    where there is no file name (e.g. ``FileNotFoundError("no rnnlab model at …")``)."""
    if error.filename is None:
        return error.strerror or str(error)
    where = str(error.filename)
    if error.filename2 is not None:
        where += f" -> {error.filename2}"
    return f"{where}: {error.strerror or error}"


def name_flags(message: str, parser: argparse.ArgumentParser | None) -> str:
    """``message`` with each Python parameter of ``parser``'s options replaced by its flag:
    names with an underscore anywhere (``top_p must be in (0, 1]`` → ``--top-p must …``),
    one-word names only where the message starts with one (``temperature must …``)."""
    if parser is None:
        return message
    from rnnlab.cli.parser import visible_option_strings

    for action in parser._actions:  # argparse has no public list of a parser's actions
        if not action.option_strings or action.dest == argparse.SUPPRESS:
            continue
        flag = visible_option_strings(action)[0]
        if "_" in action.dest:
            message = re.sub(rf"(?<![\w-]){re.escape(action.dest)}(?![\w-])", flag, message)
        elif message.startswith(f"{action.dest} "):
            message = flag + message[len(action.dest):]
    return message


def report(message: str) -> None:
    """Print ``rnnlab: error: MESSAGE`` on standard error."""
    print(f"rnnlab: error: {message}", file=sys.stderr)


def silence_stdout() -> None:
    """Point standard output at /dev/null after the reader of a pipe went away, so that
    Python's final flush finds nowhere to fail (the recipe of the ``signal`` module's
    documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (e.g. under a test)
        pass
