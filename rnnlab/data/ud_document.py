"""CoNLL-U as running text sees it: paragraphs of sentences of tokens of words.

A tokenizer, a running-text writer and the CoNLL 2018 evaluator need the same few things
from a CoNLL-U file, and nothing of its syntax: each sentence's ``# text`` and whether it
opens a document (``# newdoc``) or a paragraph (``# newpar``), and its tokens — the surface
strings of the text, each with ``SpaceAfter=No`` or not — and the syntactic words of each
token (one word, or several for a multiword token such as ``don't`` → ``do`` + ``n't``),
with LEMMA, UPOS, XPOS and FEATS. This module reads exactly that, from the raw lines:

* a line ``N-M`` is a multiword token; the word lines ``N`` … ``M`` that follow are its
  words, and its MISC (not theirs) says ``SpaceAfter=No``;
* empty nodes (``N.1``) are skipped, as the CoNLL 2018 evaluator skips them;
* every other token line must have an integer ID in sequence, ten tab-separated columns and
  a non-empty FORM.

Errors name the file and the line (:class:`~rnnlab.data.errors.DataFormatError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import BOM, read_utf8, split_lines

N_COLUMNS = 10
_WORD_ID = re.compile(r"[1-9][0-9]*")
_RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"[0-9]+\.[1-9][0-9]*")


@dataclass(frozen=True)
class UDWord:
    """One syntactic word: its FORM, LEMMA, UPOS, XPOS and FEATS columns as written."""

    form: str
    lemma: str = "_"
    upos: str = "_"
    xpos: str = "_"
    feats: str = "_"


@dataclass(frozen=True)
class UDToken:
    """One surface token: ``form`` as it stands in the text, its ``words`` (one, or two and
    more for a multiword token) and whether a space follows it (``SpaceAfter=No`` absent)."""

    form: str
    words: tuple[UDWord, ...]
    space_after: bool = True

    @property
    def multiword(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class UDSentence:
    """One sentence: its tokens, its ``# text`` (None when the file has none), whether it
    starts a document or a paragraph, and the 1-based line of its first line."""

    tokens: tuple[UDToken, ...]
    text: str | None = None
    new_document: bool = False
    new_paragraph: bool = False
    line: int = 1

    @property
    def words(self) -> list[UDWord]:
        return [word for token in self.tokens for word in token.words]

    def surface(self) -> str:
        """The sentence's text: ``# text`` when given, else the token forms joined by a space
        where ``SpaceAfter=No`` is absent."""
        if self.text is not None:
            return self.text
        return "".join(t.form + (" " if t.space_after else "") for t in self.tokens).rstrip()


def _space_after(misc: str) -> bool:
    return "SpaceAfter=No" not in misc.split("|")


class _Reader:
    """Reads one file's lines into sentences (see the module docstring)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, line: int, message: str) -> DataFormatError:
        return DataFormatError(self.source, line, message)

    def columns(self, number: int, line: str) -> list[str]:
        columns = line.split("\t")
        if len(columns) != N_COLUMNS:
            raise self.error(number, f"expected {N_COLUMNS} tab-separated columns, found "
                                     f"{len(columns)}")
        if not columns[1]:
            raise self.error(number, "empty FORM")
        return columns

    def read(self, lines: list[str]) -> list[UDSentence]:
        sentences: list[UDSentence] = []
        comments: list[str] = []
        tokens: list[UDToken] = []
        n_words = 0
        start = 0
        index = 0
        while index < len(lines):
            number, line = index + 1, lines[index]
            index += 1
            if not line.strip():
                if tokens:
                    sentences.append(self.sentence(tokens, comments, start))
                elif comments:
                    raise self.error(number, "comment lines without a sentence after them")
                tokens, comments, n_words = [], [], 0
                continue
            if not tokens and not comments:
                start = number
            if line.startswith("#"):
                if tokens:
                    raise self.error(number, "a comment inside a sentence")
                comments.append(line)
                continue
            columns = self.columns(number, line)
            expected = n_words + 1
            if _EMPTY_ID.fullmatch(columns[0]):
                continue
            if match := _RANGE_ID.fullmatch(columns[0]):
                first, last = int(match.group(1)), int(match.group(2))
                if first != expected or last <= first:
                    raise self.error(number, f"multiword token {columns[0]} must span the "
                                             f"next words, from word {expected}")
                words = []
                while len(words) < last - first + 1:
                    if index >= len(lines) or not lines[index].strip():
                        raise self.error(number, f"multiword token {columns[0]} is not "
                                                 "followed by its words")
                    word_number, word_line = index + 1, lines[index]
                    index += 1
                    word_columns = self.columns(word_number, word_line)
                    if _EMPTY_ID.fullmatch(word_columns[0]):
                        continue
                    if word_columns[0] != str(first + len(words)):
                        raise self.error(word_number, f"word ID {word_columns[0]!r} inside "
                                                      f"multiword token {columns[0]}, expected "
                                                      f"{first + len(words)}")
                    words.append(UDWord(*word_columns[1:6]))
                tokens.append(UDToken(columns[1], tuple(words), _space_after(columns[9])))
                n_words += len(words)
            elif _WORD_ID.fullmatch(columns[0]):
                if int(columns[0]) != expected:
                    raise self.error(number, f"word ID {columns[0]} out of sequence, expected "
                                             f"{expected}")
                tokens.append(UDToken(columns[1], (UDWord(*columns[1:6]),),
                                      _space_after(columns[9])))
                n_words += 1
            else:
                raise self.error(number, f"invalid ID {columns[0]!r}: expected an integer, a "
                                         "range like 3-4 or an empty node like 8.1")
        if tokens:
            sentences.append(self.sentence(tokens, comments, start))
        elif comments:
            raise self.error(len(lines), "comment lines without a sentence after them")
        return sentences

    @staticmethod
    def sentence(tokens: list[UDToken], comments: list[str], start: int) -> UDSentence:
        text = None
        new_document = new_paragraph = False
        for comment in comments:
            key, equals, value = comment.lstrip("#").partition("=")
            key = key.strip()
            if key == "text" and equals:
                text = value.strip()
            elif key.split()[:1] == ["newdoc"]:
                new_document = True
            elif key.split()[:1] == ["newpar"]:
                new_paragraph = True
        return UDSentence(tuple(tokens), text, new_document, new_paragraph, start)


def parse_ud(text: str, source: str = "<string>") -> list[UDSentence]:
    """The sentences of CoNLL-U ``text`` (``source`` names it in errors).

    Raises:
        DataFormatError: a line that is not CoNLL-U (wrong column count, empty FORM, an ID
            out of sequence or malformed, a multiword token without its words, a comment
            inside a sentence).
    """
    return _Reader(source).read(split_lines(text.removeprefix(BOM)))


def read_ud(path: str | PathLike[str]) -> list[UDSentence]:
    """The sentences of a CoNLL-U file (UTF-8); errors as :func:`parse_ud`."""
    return parse_ud(read_utf8(path), source=str(path))


def paragraphs(sentences: list[UDSentence]) -> list[list[UDSentence]]:
    """The sentences grouped into paragraphs: a new one at each ``# newpar`` or ``# newdoc``
    (a file without either is one paragraph)."""
    groups: list[list[UDSentence]] = []
    for sentence in sentences:
        if not groups or sentence.new_paragraph or sentence.new_document:
            groups.append([])
        groups[-1].append(sentence)
    return groups
