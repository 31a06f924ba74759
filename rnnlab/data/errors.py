"""Exceptions raised by the data readers."""

from __future__ import annotations

from os import PathLike


class DataFormatError(ValueError):
    """A data file does not follow its expected format.

    The message always names the file and, where it is known, the 1-based line number,
    e.g. ``"data/train.conllu:12: expected 10 tab-separated columns, found 9"``.
    """

    def __init__(self, path: str | PathLike[str], line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        location = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{location}: {message}")
