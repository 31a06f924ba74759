"""Users' own text classification data: two-column TSV or CSV files (text, label)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

from rnnlab.data.errors import DataFormatError
from rnnlab.data.fields import field_problem
from rnnlab.data.text_files import read_utf8

TableFormat = Literal["tsv", "csv"]
_EXTENSIONS: dict[str, TableFormat] = {".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}
_HEADER_NAMES = ("text", "label")


@dataclass(frozen=True)
class LabelledText:
    """A piece of text and its class label (both as strings)."""

    text: str
    label: str


def table_format(path: str | PathLike[str], fmt: TableFormat | None = None) -> TableFormat:
    """``fmt`` if given, otherwise the format implied by the file extension."""
    if fmt is not None:
        if fmt not in ("tsv", "csv"):
            raise ValueError(f"unknown table format {fmt!r}: expected 'tsv' or 'csv'")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(
            f"{path}: cannot tell the format from the extension {suffix!r}; "
            "use .tsv/.csv or pass fmt='tsv' or fmt='csv'"
        )
    return _EXTENSIONS[suffix]


def _header_order(cells: list[str]) -> tuple[int, int] | None:
    """Column indices (text, label) if ``cells`` is a text/label header row, else None."""
    names = [c.strip().lower() for c in cells]
    if sorted(names) != sorted(_HEADER_NAMES):
        return None
    return names.index("text"), names.index("label")


def read_labelled_text(
    path: str | PathLike[str],
    fmt: TableFormat | None = None,
    header: bool | None = None,
) -> list[LabelledText]:
    """Read rows of (text, label) from a UTF-8 TSV or CSV file.

    Args:
        path: the file; ``.tsv``/``.tab`` mean TSV and ``.csv`` CSV unless ``fmt`` is given.
        fmt: ``"tsv"`` (tab-separated, quotes are ordinary characters) or ``"csv"``
            (comma-separated, standard double-quote quoting, so text may contain commas).
        header: whether the first row is a header. ``None`` detects one: a first row whose
            cells are ``text`` and ``label`` (any case, either order; the order then sets
            which column is which). Without a header the columns are text, then label.

    Blank lines are skipped and surrounding whitespace is stripped from both fields.

    Raises:
        DataFormatError: a row without exactly two columns, an empty text or label, a
            label a prediction line cannot carry (:mod:`rnnlab.data.fields`), or broken
            CSV quoting; the message names the file and line.
    """
    kind = table_format(path, fmt)
    if kind == "tsv":
        reader = csv.reader(
            io.StringIO(read_utf8(path), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE
        )
    else:
        reader = csv.reader(io.StringIO(read_utf8(path), newline=""), strict=True)
    text_col, label_col = 0, 1
    examples: list[LabelledText] = []
    first_row = True
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataFormatError(path, line, f"malformed {kind.upper()} row: {exc}") from None
        if all(not cell.strip() for cell in row):
            continue
        if first_row:
            first_row = False
            order = _header_order(row)
            if header is None and order is not None:
                text_col, label_col = order
                continue
            if header:
                text_col, label_col = order or (0, 1)
                continue
        examples.append(_parse_row(path, line, row, text_col, label_col))
    return examples


def _parse_row(
    path: str | PathLike[str], line: int, row: list[str], text_col: int, label_col: int
) -> LabelledText:
    if len(row) != 2:
        raise DataFormatError(path, line, f"expected 2 columns (text and label), found {len(row)}")
    text, label = row[text_col].strip(), row[label_col].strip()
    if not text:
        raise DataFormatError(path, line, "empty text")
    if not label:
        raise DataFormatError(path, line, "empty label")
    problem = field_problem(label, "line")
    if problem is not None:
        raise DataFormatError(path, line, f"the label {label!r} {problem}")
    return LabelledText(text, label)
