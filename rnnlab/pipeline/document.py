"""What the pipeline gives back: a document of sentences of tokens of words, and its CoNLL-U.

The shape is CoNLL-U's own:

* a :class:`Document` is the input text and its sentences;
* a :class:`Sentence` is a run of tokens, and says whether it opens a paragraph (a blank
  line before it in the input) or the document;
* a :class:`Token` is a piece of the text — ``text[start:end] == form`` — and whether
  whitespace follows it (CoNLL-U's ``SpaceAfter``); it holds one syntactic word, or
  several for a multiword token (``don't`` → ``do`` + ``n't``), written as an ID range;
* a :class:`Word` has its FORM, LEMMA, UPOS, XPOS and FEATS (``"_"``: not predicted).

:meth:`Document.to_conllu` writes the ten-column format: ``# newdoc`` before the first
sentence, ``# newpar`` where a paragraph starts, ``# sent_id`` (1, 2, …) and ``# text``
(the sentence's tokens, one space where whitespace followed one) before each sentence, a
``N-M`` line before a multiword token's words, ``SpaceAfter=No`` in the MISC column of a
token that touches the next one (on its range line for a multiword token), and ``_`` in
HEAD, DEPREL and DEPS.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_VALUE = "_"  # CoNLL-U's "no value"


@dataclass(frozen=True)
class Word:
    """One syntactic word: ``id`` (1, 2, … in its sentence) and its columns."""

    id: int
    form: str
    lemma: str = NO_VALUE
    upos: str = NO_VALUE
    xpos: str = NO_VALUE
    feats: str = NO_VALUE


@dataclass(frozen=True)
class Token:
    """One token of the text: ``form == document.text[start:end]``, whether whitespace
    follows it, and its words (one, or several for a multiword token)."""

    form: str
    start: int
    end: int
    space_after: bool
    words: tuple[Word, ...]

    @property
    def multiword(self) -> bool:
        return len(self.words) > 1

    @property
    def id(self) -> str:
        """The CoNLL-U ID: ``"3"``, or ``"3-4"`` for a multiword token."""
        first, last = self.words[0].id, self.words[-1].id
        return str(first) if first == last else f"{first}-{last}"


@dataclass(frozen=True)
class Sentence:
    """One sentence's tokens; ``new_paragraph`` / ``new_document``: it opens one."""

    tokens: tuple[Token, ...]
    new_paragraph: bool = False
    new_document: bool = False

    @property
    def words(self) -> list[Word]:
        return [word for token in self.tokens for word in token.words]

    @property
    def text(self) -> str:
        """The sentence as one line: its tokens, a space where whitespace followed one."""
        last = len(self.tokens) - 1
        return "".join(t.form + (" " if t.space_after and i < last else "")
                       for i, t in enumerate(self.tokens))


@dataclass(frozen=True)
class Document:
    """The input ``text`` and its sentences."""

    text: str
    sentences: tuple[Sentence, ...]

    @property
    def tokens(self) -> list[Token]:
        return [token for sentence in self.sentences for token in sentence.tokens]

    @property
    def words(self) -> list[Word]:
        return [word for sentence in self.sentences for word in sentence.words]

    def to_conllu(self) -> str:
        """The document as CoNLL-U (module docstring); empty for a document without
        sentences."""
        out: list[str] = []
        for number, sentence in enumerate(self.sentences, start=1):
            if sentence.new_document:
                out.append("# newdoc\n")
            if sentence.new_paragraph:
                out.append("# newpar\n")
            out.append(f"# sent_id = {number}\n# text = {sentence.text}\n")
            for token in sentence.tokens:
                misc = NO_VALUE if token.space_after else "SpaceAfter=No"
                if token.multiword:
                    out.append(f"{token.id}\t{token.form}\t_\t_\t_\t_\t_\t_\t_\t{misc}\n")
                    misc = NO_VALUE
                for w in token.words:
                    out.append(f"{w.id}\t{w.form}\t{w.lemma}\t{w.upos}\t{w.xpos}\t{w.feats}"
                               f"\t_\t_\t_\t{misc}\n")
            out.append("\n")
        return "".join(out)
