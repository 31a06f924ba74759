"""Read and write CoNLL-U files (Universal Dependencies) for part-of-speech tagging.

Every sentence keeps its original lines, so writing it back reproduces the input byte for
byte: comments, multiword-token ranges (``3-4``), empty nodes (``8.1``), blank lines and
line endings. Only the UPOS and XPOS columns of word lines change when predictions are
written. Each sentence also carries the :class:`conllu.TokenList` parsed by the ``conllu``
package, and plain ``words``/``upos``/``xpos`` lists for the syntactic words (the lines with
an integer ID, which are the ones a tagger labels).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from os import PathLike

from conllu.exceptions import ParseException
from conllu.models import Metadata, Token, TokenList
from conllu.parser import DEFAULT_FIELD_PARSERS, DEFAULT_FIELDS, parse_comment_line

from rnnlab.data._files import BOM, read_utf8
from rnnlab.data.errors import DataFormatError
from rnnlab.io.atomic import atomic_write_bytes

COLUMNS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
_UPOS_COL = 3
_XPOS_COL = 4
_WORD_ID = re.compile(r"[1-9][0-9]*")
_RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"(0|[1-9][0-9]*)\.([1-9][0-9]*)")
_HEAD = re.compile(r"_|0|[1-9][0-9]*")


@dataclass(frozen=True)
class ConlluSentence:
    """One sentence of a CoNLL-U file.

    Attributes:
        tokenlist: the sentence as parsed by ``conllu`` (all token lines, with metadata).
        lines: the sentence's raw lines with their line endings, including the blank
            line(s) that follow it; joining them gives the original text exactly.
        words, upos, xpos: FORM, UPOS and XPOS of the syntactic words (integer IDs) only.
        first_line: 1-based line number of ``lines[0]`` in the file.
        word_line_index, word_token_index: for each word, its index in ``lines`` and in
            ``tokenlist``.
    """

    tokenlist: TokenList
    lines: tuple[str, ...]
    words: tuple[str, ...]
    upos: tuple[str, ...]
    xpos: tuple[str, ...]
    first_line: int
    word_line_index: tuple[int, ...]
    word_token_index: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        """The sentence's original text, byte-identical to the file."""
        return "".join(self.lines)

    def with_tags(
        self, upos: Sequence[str] | None = None, xpos: Sequence[str] | None = None
    ) -> ConlluSentence:
        """A copy with the UPOS and/or XPOS of each word replaced; nothing else changes.

        Raises:
            ValueError: a tag list of the wrong length, or an empty tag or one containing
                whitespace (which would corrupt the file).
        """
        lines = list(self.lines)
        tokens = list(self.tokenlist)
        new_upos, new_xpos = self.upos, self.xpos
        for col, field, tags in ((_UPOS_COL, "upos", upos), (_XPOS_COL, "xpos", xpos)):
            if tags is None:
                continue
            tags = tuple(tags)
            _check_tags(tags, len(self.words), COLUMNS[col])
            for tag, li, ti in zip(tags, self.word_line_index, self.word_token_index, strict=True):
                lines[li] = _replace_column(lines[li], col, tag)
                token = Token(tokens[ti])
                token[field] = None if field == "xpos" and tag == "_" else tag
                tokens[ti] = token
            if field == "upos":
                new_upos = tags
            else:
                new_xpos = tags
        tokenlist = TokenList(
            tokens, self.tokenlist.metadata, default_fields=self.tokenlist.default_fields
        )
        return replace(self, tokenlist=tokenlist, lines=tuple(lines), upos=new_upos, xpos=new_xpos)


def _check_tags(tags: tuple[str, ...], n_words: int, column: str) -> None:
    if len(tags) != n_words:
        raise ValueError(f"got {len(tags)} {column} tags for a sentence of {n_words} words")
    for tag in tags:
        if not isinstance(tag, str) or not tag or any(c.isspace() for c in tag):
            raise ValueError(
                f"invalid {column} tag {tag!r}: must be a non-empty string without whitespace"
            )


def _split_ending(line: str) -> tuple[str, str]:
    """Split a raw line into its content and its line ending ("", "\\n" or "\\r\\n")."""
    content = line.rstrip("\r\n")
    return content, line[len(content) :]


def _replace_column(line: str, col: int, value: str) -> str:
    bom = BOM if line.startswith(BOM) else ""
    content, ending = _split_ending(line.removeprefix(BOM))
    cols = content.split("\t")
    cols[col] = value
    return bom + "\t".join(cols) + ending


def _split_lines(text: str) -> list[str]:
    """Split on "\\n" only (str.splitlines would also split inside fields on U+2028 etc.)."""
    pieces = text.split("\n")
    lines = [p + "\n" for p in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Group lines into sentences: content lines plus the blank lines after them.

    Blank lines at the start of the file go with the first sentence. Returns
    ``(first_line_number, lines)`` pairs.
    """
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    has_content = False
    ended = False
    for number, line in enumerate(lines, start=1):
        blank = line.removeprefix(BOM).strip() == ""
        if not blank and ended:
            blocks.append((start, current))
            current, start, has_content, ended = [], number, False, False
        current.append(line)
        if blank:
            ended = has_content
        else:
            has_content = True
    if has_content:
        blocks.append((start, current))
    return blocks


class _SentenceParser:
    """Validates and parses one block of lines; errors name the file and the line."""

    def __init__(self, source: str, first_line: int, lines: list[str]) -> None:
        self.source = source
        self.first_line = first_line
        self.lines = lines
        self.expected_word = 1
        self.range_ends: list[tuple[int, int]] = []

    def error(self, index: int, message: str) -> DataFormatError:
        return DataFormatError(self.source, self.first_line + index, message)

    def parse(self) -> ConlluSentence:
        metadata = Metadata()
        tokens: list[Token] = []
        words: list[str] = []
        upos: list[str] = []
        xpos: list[str] = []
        line_index: list[int] = []
        token_index: list[int] = []
        for i, raw in enumerate(self.lines):
            content, _ = _split_ending(raw.removeprefix(BOM))
            if not content.strip():
                continue
            if content.startswith("#"):
                for key, value in parse_comment_line(content):
                    metadata[key] = value
                continue
            cols = self.check_token_line(i, content)
            if _WORD_ID.fullmatch(cols[0]):
                words.append(cols[1])
                upos.append(cols[_UPOS_COL])
                xpos.append(cols[_XPOS_COL])
                line_index.append(i)
                token_index.append(len(tokens))
            try:
                tokens.append(self.make_token(cols))
            except ParseException as exc:
                raise self.error(i, f"conllu could not parse the line: {exc}") from None
        if not words:
            first = next(i for i, raw in enumerate(self.lines) if raw.removeprefix(BOM).strip())
            raise self.error(first, "sentence has no word lines (lines with an integer ID)")
        last_word = self.expected_word - 1
        for index, end in self.range_ends:
            if end > last_word:
                raise self.error(
                    index,
                    f"multiword token ends at word {end} but the sentence has {last_word} words",
                )
        return ConlluSentence(
            tokenlist=TokenList(tokens, metadata, default_fields=DEFAULT_FIELDS),
            lines=tuple(self.lines),
            words=tuple(words),
            upos=tuple(upos),
            xpos=tuple(xpos),
            first_line=self.first_line,
            word_line_index=tuple(line_index),
            word_token_index=tuple(token_index),
        )

    @staticmethod
    def make_token(cols: list[str]) -> Token:
        token = Token()
        for i, field in enumerate(DEFAULT_FIELDS):
            parser = DEFAULT_FIELD_PARSERS.get(field)
            token[field] = parser(cols, i) if parser else cols[i]
        return token

    def check_token_line(self, i: int, content: str) -> list[str]:
        cols = content.split("\t")
        if len(cols) != len(COLUMNS):
            raise self.error(i, f"expected {len(COLUMNS)} tab-separated columns, found {len(cols)}")
        for name, value in zip(COLUMNS, cols, strict=True):
            if value.strip() == "":
                raise self.error(i, f"column {name} is empty (use '_' for no value)")
        token_id = cols[0]
        if _WORD_ID.fullmatch(token_id):
            if int(token_id) != self.expected_word:
                raise self.error(
                    i, f"word ID {token_id} out of sequence, expected {self.expected_word}"
                )
            self.expected_word += 1
        elif match := _RANGE_ID.fullmatch(token_id):
            start, end = int(match.group(1)), int(match.group(2))
            if end <= start:
                raise self.error(i, f"invalid multiword token range {token_id!r}")
            if start != self.expected_word:
                raise self.error(
                    i,
                    f"multiword token {token_id} must start at the next word ID "
                    f"{self.expected_word}",
                )
            self.range_ends.append((i, end))
        elif match := _EMPTY_ID.fullmatch(token_id):
            if int(match.group(1)) != self.expected_word - 1:
                raise self.error(i, f"empty node {token_id} must follow word {match.group(1)}")
        else:
            raise self.error(
                i,
                f"invalid ID {token_id!r}: expected an integer, a range like 3-4 "
                "or an empty node like 8.1",
            )
        if not _HEAD.fullmatch(cols[6]):
            raise self.error(i, f"invalid HEAD {cols[6]!r}: expected an integer or '_'")
        return cols


def parse_conllu(text: str, source: str = "<string>") -> list[ConlluSentence]:
    """Parse CoNLL-U ``text``; ``source`` names the input in error messages.

    Raises:
        DataFormatError: a malformed line (wrong column count, bad ID or HEAD, empty
            column, IDs out of order, comments without tokens); the message gives the
            source, the line number and the problem.
    """
    return [
        _SentenceParser(source, start, lines).parse()
        for start, lines in _blocks(_split_lines(text))
    ]


def read_conllu(path: str | PathLike[str]) -> list[ConlluSentence]:
    """Read a CoNLL-U file (UTF-8); see :func:`parse_conllu` for errors."""
    return parse_conllu(read_utf8(path, keep_bom=True), source=str(path))


def _tagged(
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None,
    xpos: Sequence[Sequence[str]] | None,
) -> list[ConlluSentence]:
    for name, tags in (("upos", upos), ("xpos", xpos)):
        if tags is not None and len(tags) != len(sentences):
            raise ValueError(f"got {name} for {len(tags)} sentences, expected {len(sentences)}")
    return [
        sent.with_tags(None if upos is None else upos[i], None if xpos is None else xpos[i])
        for i, sent in enumerate(sentences)
    ]


def format_conllu(
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None = None,
    xpos: Sequence[Sequence[str]] | None = None,
) -> str:
    """The CoNLL-U text of ``sentences``, with predicted tags filled in where given.

    ``upos``/``xpos`` hold one tag sequence per sentence (one tag per word). Without
    them the text equals the input exactly.
    """
    return "".join(sent.text for sent in _tagged(sentences, upos, xpos))


def write_conllu(
    path: str | PathLike[str],
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None = None,
    xpos: Sequence[Sequence[str]] | None = None,
) -> None:
    """Write ``sentences`` to ``path`` (UTF-8, atomically) with :func:`format_conllu`."""
    text = format_conllu(sentences, upos, xpos)
    atomic_write_bytes(path, text.encode("utf-8"))
