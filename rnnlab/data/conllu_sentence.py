"""One CoNLL-U sentence: its raw text, kept byte for byte, and what is read from it.

A :class:`ConlluSentence` stores the sentence's text exactly as it stood in the file (one
string: comments, word lines, multiword-token ranges such as ``3-4``, empty nodes such as
``8.1``, the blank lines after it, ``\\r\\n`` endings, a byte-order mark), the 1-based
number of its first line, and the three columns a tagger needs for the syntactic words
(the lines with an integer ID): FORM, UPOS and XPOS. Everything else is read from the text
when asked for — LEMMA, FEATS, MISC (:meth:`ConlluSentence.column`), multiword tokens,
``# key = value`` comments, the raw lines — each a pass over this one sentence, nothing
cached. Writing predictions (:meth:`ConlluSentence.with_tags`) changes only the UPOS, XPOS
and FEATS columns of word lines.

The text was validated when it was read (:mod:`rnnlab.data.conllu_io`), so the accessors
here trust its shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from rnnlab.data.text_files import BOM

COLUMNS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
COLUMN_INDEX = {name: i for i, name in enumerate(COLUMNS)}
UPOS_COL = COLUMN_INDEX["UPOS"]
XPOS_COL = COLUMN_INDEX["XPOS"]
FEATS_COL = COLUMN_INDEX["FEATS"]
_NO_VALUE = "_"
_SPACE_AFTER_NO = "SpaceAfter=No"
_SECTION_COMMENTS = {"newdoc id": "newdoc", "newpar id": "newpar"}


@dataclass(frozen=True, slots=True)
class MultiwordToken:
    """A multiword token: the line ``start-end`` whose FORM spans words start…end (1-based
    word IDs, inclusive), e.g. ``3-4  don't`` over ``do`` and ``n't``."""

    start: int
    end: int
    form: str
    misc: str

    @property
    def id(self) -> str:
        """The ID column as written: ``"3-4"``."""
        return f"{self.start}-{self.end}"

    @property
    def space_after(self) -> bool:
        """False when the token's MISC holds ``SpaceAfter=No``."""
        return _SPACE_AFTER_NO not in self.misc.split("|")


def parse_features(value: str) -> dict[str, str]:
    """The ``Name=Value|Name=Value`` pairs of a FEATS or MISC field (``_``: none).

    An item without ``=`` (free text in MISC) maps to ``""``.
    """
    if value == _NO_VALUE:
        return {}
    pairs = (item.partition("=") for item in value.split("|"))
    return {name: rest for name, _, rest in pairs}


@dataclass(frozen=True, slots=True)
class ConlluSentence:
    """One sentence of a CoNLL-U file.

    Attributes:
        text: the sentence's original text, byte-identical to the file, including the blank
            line(s) that follow it (the first sentence also holds blank lines before it).
        first_line: 1-based line number of the text's first line in the file.
        words, upos, xpos: FORM, UPOS and XPOS of the syntactic words (integer IDs) only.
    """

    text: str
    first_line: int
    words: tuple[str, ...]
    upos: tuple[str, ...]
    xpos: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)

    # ------------------------------------------------------------------ raw lines
    @property
    def lines(self) -> tuple[str, ...]:
        """The raw lines with their line endings; joining them gives :attr:`text`."""
        pieces = self.text.split("\n")
        lines = [piece + "\n" for piece in pieces[:-1]]
        if pieces[-1]:
            lines.append(pieces[-1])
        return tuple(lines)

    def _token_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(index in :attr:`lines`, the ten columns) of every token line, in order."""
        for index, line in enumerate(self.text.split("\n")):
            content = line.removeprefix(BOM).rstrip("\r")
            if content.strip() and not content.startswith("#"):
                yield index, content.split("\t")

    def _word_rows(self) -> Iterator[tuple[int, list[str]]]:
        return ((i, cols) for i, cols in self._token_rows() if cols[0].isdigit())

    @property
    def word_line_index(self) -> tuple[int, ...]:
        """For each word, the index of its line in :attr:`lines` (its line in the file is
        ``first_line + index``)."""
        return tuple(i for i, _ in self._word_rows())

    # ------------------------------------------------------------------ columns
    def column(self, name: str) -> tuple[str, ...]:
        """One column (``"LEMMA"``, ``"FEATS"``, ``"HEAD"``, … as in :data:`COLUMNS`) of
        the syntactic words, as written (``_`` for no value).

        Raises:
            ValueError: an unknown column name.
        """
        if name not in COLUMN_INDEX:
            raise ValueError(f"unknown CoNLL-U column {name!r}; expected one of "
                             f"{', '.join(COLUMNS)}")
        col = COLUMN_INDEX[name]
        return tuple(cols[col] for _, cols in self._word_rows())

    @property
    def lemmas(self) -> tuple[str, ...]:
        """LEMMA of each word."""
        return self.column("LEMMA")

    @property
    def feats(self) -> tuple[str, ...]:
        """FEATS of each word as written; :func:`parse_features` splits one."""
        return self.column("FEATS")

    @property
    def misc(self) -> tuple[str, ...]:
        """MISC of each word as written; :func:`parse_features` splits one."""
        return self.column("MISC")

    @property
    def space_after(self) -> tuple[bool, ...]:
        """For each word, False when its own MISC holds ``SpaceAfter=No``. Inside a
        multiword token the token's MISC says it instead (:attr:`multiword_tokens`)."""
        return tuple(_SPACE_AFTER_NO not in misc.split("|") for misc in self.misc)

    @property
    def token_ids(self) -> tuple[str, ...]:
        """The ID column of every token line: words, ranges (``3-4``), empty nodes
        (``8.1``)."""
        return tuple(cols[0] for _, cols in self._token_rows())

    @property
    def multiword_tokens(self) -> tuple[MultiwordToken, ...]:
        """The multiword tokens (lines with an ID range), in order."""
        tokens = []
        for _, cols in self._token_rows():
            start, dash, end = cols[0].partition("-")
            if dash:
                tokens.append(MultiwordToken(int(start), int(end), cols[1], cols[9]))
        return tuple(tokens)

    @property
    def comments(self) -> dict[str, str | None]:
        """The sentence's ``# key = value`` comments as {key: value}, e.g. ``sent_id`` and
        ``text``. ``# newdoc`` and ``# newpar`` (with or without ``id = X``) give the keys
        ``newdoc`` / ``newpar`` with the id or None. Comments without ``=`` are left out
        (:attr:`lines` keeps every one); a key given twice keeps its last value.
        """
        found: dict[str, str | None] = {}
        for line in self.text.split("\n"):
            content = line.removeprefix(BOM).strip()
            if not content.startswith("#"):
                continue
            key, equals, value = content[1:].partition("=")
            key = key.strip()
            if key in _SECTION_COMMENTS.values() and not equals:
                found[key] = None
            elif equals and key:
                found[_SECTION_COMMENTS.get(key, key)] = value.strip()
        return found

    # ------------------------------------------------------------------ writing
    def with_tags(
        self, upos: Sequence[str] | None = None, xpos: Sequence[str] | None = None,
        feats: Sequence[str] | None = None,
    ) -> ConlluSentence:
        """A copy with the UPOS, XPOS and/or FEATS of each word replaced; nothing else
        changes.

        Raises:
            ValueError: a tag list of the wrong length, or an empty tag or one containing
                whitespace (which would corrupt the file).
        """
        new_upos = self.upos if upos is None else _checked(upos, len(self.words), UPOS_COL)
        new_xpos = self.xpos if xpos is None else _checked(xpos, len(self.words), XPOS_COL)
        new_feats = None if feats is None else _checked(feats, len(self.words), FEATS_COL)
        if upos is None and xpos is None and new_feats is None:
            return self
        lines = list(self.lines)
        for word, index in enumerate(self.word_line_index):
            line = lines[index]
            bom = BOM if line.startswith(BOM) else ""
            content = line.removeprefix(BOM).rstrip("\r\n")
            cols = content.split("\t")
            cols[UPOS_COL], cols[XPOS_COL] = new_upos[word], new_xpos[word]
            if new_feats is not None:
                cols[FEATS_COL] = new_feats[word]
            lines[index] = bom + "\t".join(cols) + line[len(bom) + len(content):]
        return replace(self, text="".join(lines), upos=new_upos, xpos=new_xpos)


def _checked(tags: Sequence[str], n_words: int, col: int) -> tuple[str, ...]:
    tags = tuple(tags)
    column = COLUMNS[col]
    if len(tags) != n_words:
        raise ValueError(f"got {len(tags)} {column} tags for a sentence of {n_words} words")
    for tag in tags:
        if not isinstance(tag, str) or not tag or any(c.isspace() for c in tag):
            raise ValueError(
                f"invalid {column} tag {tag!r}: must be a non-empty string without whitespace"
            )
    return tags
