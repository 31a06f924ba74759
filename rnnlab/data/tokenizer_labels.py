"""What a tokenizer and sentence splitter learns: one label per character of running text.

The formulation of UDPipe and Stanza. Each character of a paragraph's text
(:mod:`rnnlab.data.running_text`) gets one of five labels::

    INSIDE                  not the last character of a token (and every whitespace)
    TOKEN_END               the last character of a token
    SENTENCE_END            … of a token that ends a sentence
    MULTIWORD_END           … of a multiword token (``don't`` = ``do`` + ``n't``)
    MULTIWORD_SENTENCE_END  … of a multiword token that ends a sentence

Tokens are found in the text by their FORMs, in order, skipping whitespace between them,
so the labels say where the treebank cuts — its conventions (``SpaceAfter=No``, ``# text``,
multiword ranges, paragraph marks), not ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnlab.data.errors import DataFormatError
from rnnlab.data.running_text import joiner
from rnnlab.data.ud_document import UDSentence, paragraphs

INSIDE, TOKEN_END, SENTENCE_END, MULTIWORD_END, MULTIWORD_SENTENCE_END = range(5)
LABELS = ("inside", "token end", "sentence end", "multiword end", "multiword sentence end")


def end_label(multiword: bool, sentence_end: bool) -> int:
    """The label of a token's last character."""
    if multiword:
        return MULTIWORD_SENTENCE_END if sentence_end else MULTIWORD_END
    return SENTENCE_END if sentence_end else TOKEN_END


@dataclass(frozen=True, eq=False)
class LabelledParagraph:
    """A paragraph's ``text`` and ``labels`` (int8, one per character of ``text``)."""

    text: str
    labels: np.ndarray


def paragraph_labels(sentences: Sequence[UDSentence], source: str = "<data>"
                     ) -> LabelledParagraph:
    """The text of one paragraph and its character labels (module docstring).

    Raises:
        DataFormatError: a token's FORM is not where the sentence's ``# text`` has it.
    """
    pieces: list[str] = []
    labels: list[np.ndarray] = []
    for i, sentence in enumerate(sentences):
        if i:
            gap = joiner(sentences[i - 1])
            pieces.append(gap)
            labels.append(np.zeros(len(gap), np.int8))
        text = sentence.surface()
        own = np.zeros(len(text), np.int8)
        position = 0
        for k, token in enumerate(sentence.tokens):
            while position < len(text) and text[position].isspace():
                position += 1
            if not text.startswith(token.form, position):
                raise DataFormatError(
                    source, sentence.line,
                    f"token {k + 1} {token.form!r} is not in the sentence's # text at "
                    f"character {position + 1} (found {text[position:position + 20]!r})")
            position += len(token.form)
            own[position - 1] = end_label(token.multiword, k == len(sentence.tokens) - 1)
        if text[position:].strip():
            raise DataFormatError(source, sentence.line,
                                  f"the sentence's # text goes on after its last token: "
                                  f"{text[position:position + 20]!r}")
        pieces.append(text)
        labels.append(own)
    return LabelledParagraph("".join(pieces), np.concatenate(labels) if labels
                             else np.zeros(0, np.int8))


def labelled_paragraphs(sentences: Sequence[UDSentence], source: str = "<data>"
                        ) -> list[LabelledParagraph]:
    """Every paragraph of a file with its labels (:func:`paragraph_labels`)."""
    return [paragraph_labels(group, source) for group in paragraphs(list(sentences))]
