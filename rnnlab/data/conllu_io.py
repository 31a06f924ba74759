"""Read and write CoNLL-U files (Universal Dependencies) for part-of-speech tagging.

Every sentence keeps its original text (:class:`~rnnlab.data.conllu_sentence.ConlluSentence`),
so writing it back reproduces the input byte for byte: comments, multiword-token ranges
(``3-4``), empty nodes (``8.1``), blank lines and line endings. Only the UPOS, XPOS and
FEATS columns of word lines change when predictions are written.

Reading validates every token line (ten tab-separated columns, none empty; IDs in sequence;
ranges and empty nodes where they may stand; HEAD an integer or ``_``) and keeps FORM, UPOS
and XPOS of the syntactic words; the other columns stay in the text until asked for. Equal
strings are stored once (a file's words repeat, its tags come from a small set), so a
sentence costs its text plus a pointer per word and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike

from rnnlab.data.conllu_sentence import (
    COLUMNS,
    ConlluSentence,
    MultiwordToken,
    parse_features,
)
from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import BOM, read_utf8
from rnnlab.io.atomic import atomic_write_bytes
from rnnlab.progress import progress_bar

__all__ = [
    "COLUMNS",
    "ConlluSentence",
    "MultiwordToken",
    "format_conllu",
    "parse_conllu",
    "parse_features",
    "read_conllu",
    "write_conllu",
]

_N_COLUMNS = len(COLUMNS)
_WORD_ID = re.compile(r"[1-9][0-9]*")
_RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"(0|[1-9][0-9]*)\.([1-9][0-9]*)")
_HEAD = re.compile(r"_|0|[1-9][0-9]*")
_IDS = tuple(str(i) for i in range(1000))  # _IDS[n] == str(n), looked up rather than built
_HEADS = frozenset(("_", *_IDS))  # the HEADs of all but the longest sentences
# DEPS entries ID:relation, as the conllu package parsed them, for the range check below
_DEPS_ID = r"(?:0|[1-9][0-9]*|[1-9][0-9]*-[1-9][0-9]*|[0-9]+\.[1-9][0-9]*)"
_DEPS_ENTRY = rf"{_DEPS_ID}(?::[^\d:_\-|][^:|]*)+"
_DEPS_LIST = re.compile(rf"{_DEPS_ENTRY}(?:\|{_DEPS_ENTRY})*")


class _Reader:
    """Validates blocks of lines and builds sentences; errors name the file and the line.

    ``strings`` maps each string seen to its first copy, so repeated forms and tags are
    stored once.
    """

    def __init__(self, source: str, has_bom: bool, has_cr: bool) -> None:
        self.source = source
        self.has_bom, self.has_cr = has_bom, has_cr
        self.strings: dict[str, str] = {}

    def error(self, number: int, message: str) -> DataFormatError:
        return DataFormatError(self.source, number, message)

    def sentence(self, text: str, first_line: int, content_line: int, lines: list[str]
                 ) -> ConlluSentence:
        """The sentence whose text is ``text``, starting at line ``first_line`` of the file;
        ``lines`` are its non-blank lines (split at "\\n"), the first of them line
        ``content_line``."""
        keep = self.strings.setdefault
        bom, cr = self.has_bom, self.has_cr
        strip, heads, ids = str.strip, _HEADS, _IDS
        words: list[str] = []
        upos: list[str] = []
        xpos: list[str] = []
        range_ends: list[tuple[int, int]] = []
        expected = "1"
        for number, line in enumerate(lines, start=content_line):
            if bom:
                line = line.removeprefix(BOM)
            if line.startswith("#"):
                continue
            if cr:
                line = line.rstrip("\r")
            cols = line.split("\t")
            if len(cols) != _N_COLUMNS or not all(map(strip, cols)):
                self.check_columns(number, cols)
            token_id, form, _, tag, xtag, _, head, _, deps, _ = cols
            if token_id == expected:
                words.append(keep(form, form))
                upos.append(keep(tag, tag))
                xpos.append(keep(xtag, xtag))
                n = len(words) + 1
                expected = ids[n] if n < len(ids) else str(n)
            else:
                end = self.check_other_id(number, token_id, len(words) + 1)
                if end is not None:
                    range_ends.append((number, end))
            if head not in heads and not _HEAD.fullmatch(head):
                raise self.error(number, f"invalid HEAD {head!r}: expected an integer or '_'")
            if "-" in deps:
                self.check_deps(number, deps)
        if not words:
            raise self.error(content_line, "sentence has no word lines (lines with an integer ID)")
        for number, end in range_ends:
            if end > len(words):
                raise self.error(
                    number,
                    f"multiword token ends at word {end} but the sentence has {len(words)} words",
                )
        return ConlluSentence(text, first_line, tuple(words), tuple(upos), tuple(xpos))

    def check_columns(self, number: int, cols: list[str]) -> None:
        if len(cols) != _N_COLUMNS:
            raise self.error(number,
                             f"expected {_N_COLUMNS} tab-separated columns, found {len(cols)}")
        for name, value in zip(COLUMNS, cols, strict=True):
            if value.strip() == "":
                raise self.error(number, f"column {name} is empty (use '_' for no value)")

    def check_other_id(self, number: int, token_id: str, next_word: int) -> int | None:
        """Check an ID that is not the next word's; a range's end word, else None."""
        if _WORD_ID.fullmatch(token_id):
            raise self.error(number, f"word ID {token_id} out of sequence, expected {next_word}")
        if match := _RANGE_ID.fullmatch(token_id):
            start, end = int(match.group(1)), int(match.group(2))
            if end <= start:
                raise self.error(number, f"invalid multiword token range {token_id!r}")
            if start != next_word:
                raise self.error(
                    number,
                    f"multiword token {token_id} must start at the next word ID {next_word}",
                )
            return end
        if match := _EMPTY_ID.fullmatch(token_id):
            if int(match.group(1)) != next_word - 1:
                raise self.error(number,
                                 f"empty node {token_id} must follow word {match.group(1)}")
            return None
        raise self.error(
            number,
            f"invalid ID {token_id!r}: expected an integer, a range like 3-4 "
            "or an empty node like 8.1",
        )

    def check_deps(self, number: int, deps: str) -> None:
        """A DEPS list naming a backwards range (``4-3:rel``) is an error, as it was when
        the conllu package parsed the column."""
        if not _DEPS_LIST.fullmatch(deps):
            return
        for entry in deps.split("|"):
            start, dash, end = entry.split(":")[0].partition("-")
            if dash and int(end) < int(start):
                raise self.error(number, f"invalid DEPS {deps!r}: {entry.split(':')[0]!r} "
                                 "is not a valid ID")


def _blocks(lines: list[str], has_bom: bool) -> list[tuple[int, int, int, int]]:
    """Group lines into sentences: content lines plus the blank lines after them.

    Blank lines at the start of the text go with the first sentence. Returns 0-based line
    indices ``(first, content_first, content_stop, stop)`` per sentence: its lines are
    ``first:stop``, the non-blank ones among them ``content_first:content_stop``.
    """
    blocks: list[tuple[int, int, int, int]] = []
    start = content_start = content_stop = 0
    has_content = False
    for index, line in enumerate(lines):
        if not (line.removeprefix(BOM) if has_bom else line).strip():
            continue
        if not has_content:
            content_start, has_content = index, True
        elif content_stop != index:  # blank lines came between: a new sentence
            blocks.append((start, content_start, content_stop, index))
            start = content_start = index
        content_stop = index + 1
    if has_content:
        blocks.append((start, content_start, content_stop, len(lines)))
    return blocks


def parse_conllu(
    text: str, source: str = "<string>", progress: bool | None = None
) -> list[ConlluSentence]:
    """Parse CoNLL-U ``text``; ``source`` names the input in error messages.

    ``progress``: a progress bar on standard error (None: when it is a terminal and the
    parse takes more than two seconds; :func:`rnnlab.progress.progress_bar`).

    Raises:
        DataFormatError: a malformed line (wrong column count, bad ID or HEAD, empty
            column, IDs out of order, comments without tokens); the message gives the
            source, the line number and the problem.
    """
    lines = text.split("\n")
    reader = _Reader(source, has_bom=BOM in text, has_cr="\r" in text)
    blocks = _blocks(lines, reader.has_bom)
    sentences = []
    with progress_bar(len(blocks), "reading", "sent", progress) as bar:
        for first, content_first, content_stop, stop in blocks:
            # every line but the text's last one ended with "\n"
            block_text = "\n".join(lines[first:stop]) + ("\n" if stop < len(lines) else "")
            sentences.append(reader.sentence(block_text, first + 1, content_first + 1,
                                             lines[content_first:content_stop]))
            bar.update(1)
    return sentences


def read_conllu(path: str | PathLike[str], progress: bool | None = None) -> list[ConlluSentence]:
    """Read a CoNLL-U file (UTF-8); see :func:`parse_conllu` for ``progress`` and errors."""
    return parse_conllu(read_utf8(path, keep_bom=True), source=str(path), progress=progress)


def _tagged(
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None,
    xpos: Sequence[Sequence[str]] | None,
    feats: Sequence[Sequence[str]] | None = None,
) -> list[ConlluSentence]:
    for name, tags in (("upos", upos), ("xpos", xpos), ("feats", feats)):
        if tags is not None and len(tags) != len(sentences):
            raise ValueError(f"got {name} for {len(tags)} sentences, expected {len(sentences)}")
    return [
        sent.with_tags(None if upos is None else upos[i], None if xpos is None else xpos[i],
                       None if feats is None else feats[i])
        for i, sent in enumerate(sentences)
    ]


def format_conllu(
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None = None,
    xpos: Sequence[Sequence[str]] | None = None,
    feats: Sequence[Sequence[str]] | None = None,
) -> str:
    """The CoNLL-U text of ``sentences``, with predicted tags filled in where given.

    ``upos``/``xpos``/``feats`` hold one tag sequence per sentence (one tag per word).
    Without them the text equals the input exactly.
    """
    return "".join(sent.text for sent in _tagged(sentences, upos, xpos, feats))


def write_conllu(
    path: str | PathLike[str],
    sentences: Sequence[ConlluSentence],
    upos: Sequence[Sequence[str]] | None = None,
    xpos: Sequence[Sequence[str]] | None = None,
) -> None:
    """Write ``sentences`` to ``path`` (UTF-8, atomically) with :func:`format_conllu`."""
    text = format_conllu(sentences, upos, xpos)
    atomic_write_bytes(path, text.encode("utf-8"))
