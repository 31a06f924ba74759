"""Whether a string can be written as one field of rnnlab's line-based outputs.

A model's output vocabulary ends up in files: tags in CoNLL-U's tab-separated columns
(``tag --format text`` writes them the same way), class labels at the start of a
``label<TAB>probability<TAB>text`` line. A tag ``"A\\nB"``, ``"BAD TAG"`` or ``""`` would
make those lines malformed, so model folders holding one are refused on load
(:mod:`rnnlab.models.folder`). Two kinds of field:

* ``"word"`` — a CoNLL-U column such as UPOS or XPOS, or a token of a space-joined output
  line: not empty, no whitespace and none of what ``"line"`` forbids;
* ``"line"`` — a label in its own column of a line: not empty, no control characters
  (tab and line breaks among them), no line or paragraph separators, no lone surrogates
  (which UTF-8 cannot encode); spaces are fine.

Invisible format characters (soft hyphens, joiners, direction marks) break no line and
are allowed: they occur inside real words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

FIELD_KINDS = ("word", "line")
_UNFIT = {"Cc": "a control character", "Cs": "a lone surrogate (not encodable as UTF-8)",
          "Zl": "a line separator", "Zp": "a paragraph separator"}


def field_problem(text: str, kind: str) -> str | None:
    """What makes ``text`` unfit for a field of ``kind`` (module docstring), or None."""
    if kind not in FIELD_KINDS:
        raise ValueError(f"field kind must be one of {FIELD_KINDS}, got {kind!r}")
    if not text:
        return "is empty"
    for char in text:
        category = unicodedata.category(char)
        if category in _UNFIT:
            return f"holds {_UNFIT[category]} (U+{ord(char):04X})"
        if kind == "word" and (char.isspace() or category[0] == "Z"):
            return f"holds whitespace (U+{ord(char):04X})"
    return None


def first_unfit(texts: Iterable[str], kind: str) -> tuple[int, str, str] | None:
    """``(index, text, problem)`` of the first of ``texts`` unfit for a ``kind`` field, or
    None when all are fit."""
    for index, text in enumerate(texts):
        problem = field_problem(text, kind)
        if problem is not None:
            return index, text, problem
    return None
