"""What the commands read from the user and write for the user.

Input is strict UTF-8, from a file or from standard input, and a bad byte is reported with
its line. Output goes to standard output or to a file written atomically
(:func:`rnnlab.io.atomic.atomic_path`: a temporary file beside it, renamed into place once
complete), so a failed write — a full disk, a file-size limit — leaves any earlier file
whole; a device or a pipe named as the output (``/dev/stdout``, a FIFO) is written
directly. An output file that is one of the command's input files is refused before any
work is done.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sized
from pathlib import Path
from typing import BinaryIO

from rnnlab.cli.errors import CommandError

STDIN = "<stdin>"


def read_input(path: str | None, keep_bom: bool = False) -> tuple[str, str]:
    """``(text, source name)`` of a UTF-8 file, or of standard input when ``path`` is None.

    Raises:
        DataFormatError: the bytes are not UTF-8 (naming the source and the line).
    """
    from rnnlab.data.errors import DataFormatError
    from rnnlab.data.text_files import BOM, read_utf8

    if path is not None:
        return read_utf8(path, keep_bom=keep_bom), path
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(STDIN, line, f"invalid UTF-8 byte sequence ({exc.reason})") from None
    return (text if keep_bom else text.removeprefix(BOM)), STDIN


def text_lines(text: str) -> list[str]:
    """The lines of ``text`` (a byte-order mark and the line endings removed), split at
    "\\n" only, so that line numbers match ``wc -l``."""
    from rnnlab.data.text_files import BOM, split_lines

    return split_lines(text.removeprefix(BOM))


def require_some(items: Sized, source: str | None, what: str) -> None:
    """Refuse an empty input: ``items`` read from ``source`` (None: standard input) must not
    be empty; ``what`` names what was expected, e.g. ``"sentences to tag"``.

    Raises:
        CommandError: ``SOURCE: no WHAT (the input is empty)``.
    """
    if not len(items):
        raise CommandError(f"{source or STDIN}: no {what} (the input is empty)")


def refuse_overwriting_inputs(output: str | None, flag: str,
                              inputs: Iterable[tuple[str, str | None]]) -> None:
    """Refuse ``output`` when it is the same file as one of ``inputs`` (``(flag, path)``
    pairs; a None path is standard input).

    Raises:
        CommandError: naming both flags.
    """
    if output is None or not os.path.exists(output):
        return
    for input_flag, path in inputs:
        if path is not None and os.path.exists(path) and os.path.samefile(output, path):
            raise CommandError(f"{flag} {output} is the {input_flag} file; write the output "
                               "to another file")


def write_output(text: str, path: str | None) -> None:
    """``text`` as UTF-8 to the file ``path`` (atomically, see the module), or to standard
    output when ``path`` is None.

    Raises:
        CommandError: the file could not be written (naming it and the reason).
    """
    data = text.encode("utf-8")
    if path is None:
        sys.stdout.flush()
        _write_all(sys.stdout.buffer, data)
        sys.stdout.buffer.flush()
        return
    target = Path(os.path.abspath(path))
    try:
        if _written_in_place(target):
            with open(target, "wb") as stream:
                stream.write(data)
        else:
            from rnnlab.io.atomic import atomic_path

            with atomic_path(target.resolve()) as tmp:  # a symbolic link: the file it names
                tmp.write_bytes(data)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from error


def _written_in_place(path: Path) -> bool:
    """Whether ``path`` is a device, a pipe or a descriptor (``/dev/stdout``,
    ``/proc/self/fd/1``): written as it is, never replaced by a renamed file."""
    return path.parts[1:2] in (("dev",), ("proc",)) or (path.exists() and not path.is_file())


def _write_all(stream: BinaryIO, data: bytes) -> None:
    """Write all of ``data``: a buffered write into a pipe whose reader has gone may return
    a short count instead of raising, and only the next write raises BrokenPipeError."""
    view = memoryview(data)
    while view:
        view = view[stream.write(view):]
