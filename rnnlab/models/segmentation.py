"""Raw text to sentences of tokens: what a :class:`~rnnlab.models.tokenizer.Tokenizer`'s
character labels mean, and the CoNLL-U that writes them.

The text is cut into paragraphs at blank lines (lines of nothing but whitespace); a single
newline inside a paragraph is whitespace like any other. Each paragraph is labelled by
the model and read character by character:

* whitespace is never part of a token, and always ends one;
* a non-space character ends a token when whitespace or the paragraph's end follows it,
  or when the model's probability that it ends one, 1 − P(inside), is above ½;
* where the model has a segmentation lexicon, the cuts its training text always makes
  replace these where they apply (:mod:`rnnlab.models.segmentation_lexicon`: the two
  cuts around an intra-word hyphen decided together, prefixes such as ``non-`` kept,
  forms such as ``Sat.`` cut as in training);
* a token that ends ends a sentence when P(sentence end) + P(multiword sentence end) is
  above P(token end) + P(multiword end), and is a multiword token when
  P(multiword end) + P(multiword sentence end) is above P(token end) + P(sentence end)
  (:mod:`rnnlab.data.tokenizer_labels` names the labels); the paragraph's end ends a
  sentence;
* a token whose form is usually a multiword token in training is one whatever the labels
  say; a multiword token's words come from the model's expander
  (:mod:`rnnlab.models.multiword`); one that expands to a single word is a plain token.

Every token keeps its character offsets in the input (``text[start:end] == form``) and
whether whitespace follows it (CoNLL-U's ``SpaceAfter``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.data.tokenizer_labels import (
    INSIDE,
    MULTIWORD_END,
    MULTIWORD_SENTENCE_END,
    SENTENCE_END,
    TOKEN_END,
)
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation_lexicon import SegmentationLexicon

if TYPE_CHECKING:
    from rnnlab.models.tokenizer import Tokenizer


@dataclass(frozen=True)
class Token:
    """One token: ``form == text[start:end]`` of the input, whether whitespace follows it
    (or the text ends), and its syntactic ``words`` (``(form,)`` for a plain token)."""

    form: str
    start: int
    end: int
    space_after: bool
    words: tuple[str, ...]

    @property
    def multiword(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Sentence:
    """A sentence's tokens, and whether it starts a paragraph."""

    tokens: tuple[Token, ...]
    new_paragraph: bool = False

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    @property
    def text(self) -> str:
        """The sentence as one line: its tokens, a space where whitespace followed one."""
        last = len(self.tokens) - 1
        return "".join(t.form + (" " if t.space_after and i < last else "")
                       for i, t in enumerate(self.tokens))


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``text``: runs of lines that are not blank,
    trimmed of the whitespace around them."""
    spans: list[tuple[int, int]] = []
    start = None
    position = 0
    for line in text.split("\n"):
        if line.strip():
            if start is None:
                start = position + (len(line) - len(line.lstrip()))
            end = position + len(line.rstrip())
        elif start is not None:
            spans.append((start, end))
            start = None
        position += len(line) + 1
    if start is not None:
        spans.append((start, end))
    return spans


def space_mask(text: str) -> np.ndarray:
    """Whether each character of ``text`` is whitespace (``str.isspace``), as a bool array;
    each distinct character is asked once."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    distinct, where = np.unique(codes, return_inverse=True)
    spaces = np.fromiter((chr(c).isspace() for c in distinct.tolist()), bool, len(distinct))
    return spaces[where.reshape(-1)]


def decode(text: str, start: int, end: int, probabilities: np.ndarray,
           expander: MultiwordExpander, lexicon: SegmentationLexicon | None = None
           ) -> list[Sentence]:
    """The sentences of the paragraph ``text[start:end]`` from its label
    ``probabilities`` (end − start, labels), with ``lexicon``'s cuts where one is given
    (module docstring). The token boundaries are found for all characters at once; the
    loop runs over tokens."""
    p = probabilities
    sentence_ends = (p[:, SENTENCE_END] + p[:, MULTIWORD_SENTENCE_END]
                     > p[:, TOKEN_END] + p[:, MULTIWORD_END])
    multiwords = (p[:, MULTIWORD_END] + p[:, MULTIWORD_SENTENCE_END]
                  > p[:, TOKEN_END] + p[:, SENTENCE_END])
    space = space_mask(text[start:end])
    space_follows = np.append(space[1:], True)  # the paragraph's end counts as whitespace
    end_probability = 1.0 - p[:, INSIDE]
    token_ends = ~space & (space_follows | (end_probability > 0.5))
    if lexicon is not None:
        token_ends = lexicon.cut(text[start:end], end_probability, space, token_ends)
    after_boundary = np.insert((space | token_ends)[:-1], 0, True)
    firsts = np.flatnonzero(~space & after_boundary).tolist()
    lasts = np.flatnonzero(token_ends).tolist()
    sentence_ends[-1:] = True
    sentences: list[Sentence] = []
    tokens: list[Token] = []
    for first, last in zip(firsts, lasts, strict=True):
        form = text[start + first:start + last + 1]
        multiword = multiwords[last] or expander.usually_multiword(form)
        words = expander.expand(form) if multiword else (form,)
        tokens.append(Token(form, start + first, start + last + 1, bool(space_follows[last]),
                            words))
        if sentence_ends[last]:
            sentences.append(Sentence(tuple(tokens), new_paragraph=not sentences))
            tokens = []
    return sentences


def tokenize_text(model: Tokenizer, text: str, batch_size: int = 32) -> list[Sentence]:
    """The sentences of raw ``text`` as ``model`` cuts them (module docstring); empty or
    blank text gives none.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_text needs a string, got a {type(text).__name__}")
    spans = paragraph_spans(text)
    probabilities = model.probabilities([text[a:b] for a, b in spans], batch_size)
    sentences: list[Sentence] = []
    for (a, b), p in zip(spans, probabilities, strict=True):
        sentences += decode(text, a, b, p, model.expander, model.lexicon)
    return sentences


def _line(token_id: str, form: str, misc: str = "_", upos: str = "_", xpos: str = "_") -> str:
    return f"{token_id}\t{form}\t_\t{upos}\t{xpos}\t_\t_\t_\t_\t{misc}\n"


def to_conllu(sentences: Sequence[Sentence], upos: Sequence[Sequence[str]] | None = None,
              xpos: Sequence[Sequence[str]] | None = None) -> str:
    """CoNLL-U of tokenized ``sentences``: ``# newpar`` where a paragraph starts,
    ``# sent_id`` (1, 2, …), ``# text``, multiword ranges and ``SpaceAfter=No``, and the
    UPOS and XPOS of each word where given (one list per sentence, one tag per word);
    every other column is ``_``.

    Raises:
        ValueError: a tag list whose length is not the sentence's number of words.
    """
    out: list[str] = []
    for number, sentence in enumerate(sentences, start=1):
        n_words = sum(len(t.words) for t in sentence.tokens)
        tags = []
        for name, given in (("UPOS", upos), ("XPOS", xpos)):
            column = ["_"] * n_words if given is None else list(given[number - 1])
            if len(column) != n_words:
                raise ValueError(f"sentence {number}: {len(column)} {name} tags for "
                                 f"{n_words} words")
            tags.append(column)
        if sentence.new_paragraph:
            out.append("# newpar\n")
        out.append(f"# sent_id = {number}\n# text = {sentence.text}\n")
        word = 1
        for token in sentence.tokens:
            misc = "_" if token.space_after else "SpaceAfter=No"
            if token.multiword:
                out.append(_line(f"{word}-{word + len(token.words) - 1}", token.form, misc))
            for k, form in enumerate(token.words):
                out.append(_line(str(word + k), form, "_" if token.multiword else misc,
                                 tags[0][word + k - 1], tags[1][word + k - 1]))
            word += len(token.words)
        out.append("\n")
    return "".join(out)
