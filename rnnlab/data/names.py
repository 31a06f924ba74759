"""Surnames by language (the char-RNN tutorial data): one ``<Language>.txt`` file per class."""

from __future__ import annotations

import unicodedata
from os import PathLike
from pathlib import Path

from rnnlab.data.errors import DataFormatError
from rnnlab.data.labelled_text import LabelledText
from rnnlab.data.text_files import read_utf8, split_lines

# Letters that Unicode does not decompose into an ASCII letter plus accents.
_ASCII_FALLBACK = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "ŀ": "l",
        "Ŀ": "L",
        "’": "'",
        "‘": "'",
    }
)


def to_ascii(text: str) -> str:
    """Transliterate to ASCII: accents are removed (``é`` -> ``e``, ``Ś`` -> ``S``), a few
    letters are spelled out (``ß`` -> ``ss``, ``æ`` -> ``ae``, ``ł`` -> ``l``) and any other
    non-ASCII character is dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FALLBACK))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def read_names(directory: str | PathLike[str], ascii_only: bool = False) -> list[LabelledText]:
    """Read every ``*.txt`` file in ``directory``: one name per line, labelled with the file
    stem (e.g. ``German``). Files are read in sorted order, names in file order; duplicates
    are kept. ``ascii_only`` applies :func:`to_ascii` to each name. Blank lines, and names
    left empty by the conversion, are skipped.

    Raises:
        FileNotFoundError: ``directory`` does not exist or holds no ``.txt`` file.
        DataFormatError: the files hold no name at all.
    """
    files = sorted(Path(directory).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no .txt name files in {directory}")
    examples, lines = [], 0
    for file in files:
        for line in split_lines(read_utf8(file)):
            name = line.strip()
            lines += bool(name)
            if ascii_only:
                name = to_ascii(name)
            if name:
                examples.append(LabelledText(name, file.stem))
    if not examples:
        raise DataFormatError(directory, None, f"no names in its {len(files)} .txt file(s)"
                              + (" after the conversion to ASCII" if lines else ""))
    return examples
