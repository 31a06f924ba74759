"""Shared file helpers for the data readers: strict UTF-8 from files and streams."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import BinaryIO

from rnnlab.data.errors import DataFormatError

BOM = "\ufeff"
STDIN = "<stdin>"


def decode_utf8(data: bytes, source: str | PathLike[str], keep_bom: bool = False) -> str:
    """``data`` decoded as strict UTF-8, line endings left untouched.

    A leading byte-order mark is removed unless ``keep_bom`` is true. Bytes that are not
    valid UTF-8 raise :class:`DataFormatError` naming ``source``, the line and the byte
    offset (from 0, as ``cmp`` and ``xxd`` count) where they occur.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(source, line, f"invalid UTF-8 byte sequence at byte {exc.start} "
                                            f"({exc.reason})") from None
    return text if keep_bom else text.removeprefix(BOM)


def read_utf8(path: str | PathLike[str], keep_bom: bool = False) -> str:
    """The text of the file ``path`` (:func:`decode_utf8`)."""
    return decode_utf8(Path(path).read_bytes(), path, keep_bom)


def read_utf8_stream(stream: BinaryIO, name: str = STDIN, keep_bom: bool = False) -> str:
    """All that is left of a binary ``stream`` (e.g. ``sys.stdin.buffer``) as text, checked
    as :func:`decode_utf8` checks a file; ``name`` stands for it in messages."""
    return decode_utf8(stream.read(), name, keep_bom)


def split_lines(text: str) -> list[str]:
    """Split text into lines on "\\n" only, dropping "\\r\\n"/"\\n" endings.

    Unlike ``str.splitlines`` this does not break lines at characters such as U+2028 or
    U+0085 that may occur inside data, so line numbers match ``wc -l`` and editors.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
