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
