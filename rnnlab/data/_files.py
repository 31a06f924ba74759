"""Shared file helpers for the data readers."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from rnnlab.data.errors import DataFormatError

BOM = "\ufeff"


def read_utf8(path: str | PathLike[str], keep_bom: bool = False) -> str:
    """Return the text of ``path`` decoded as UTF-8, line endings left untouched.

    A leading byte-order mark is removed unless ``keep_bom`` is true. Bytes that are not
    valid UTF-8 raise :class:`DataFormatError` naming the line where they occur.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(path, line, f"invalid UTF-8 byte sequence ({exc.reason})") from None
    return text if keep_bom else text.removeprefix(BOM)


def split_lines(text: str) -> list[str]:
    """Split text into lines on "\\n" only, dropping "\\r\\n"/"\\n" endings.

    Unlike ``str.splitlines`` this does not break lines at characters such as U+2028 or
    U+0085 that may occur inside data, so line numbers match ``wc -l`` and editors.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
