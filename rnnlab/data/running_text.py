"""Gold CoNLL-U back to the running text it was cut from, as UD's ``.txt`` files give it.

Within a paragraph the sentences follow each other on one line, each its ``# text``,
separated by a space — or by nothing when the sentence before ends in a token with
``SpaceAfter=No``; paragraphs (a ``# newpar`` or ``# newdoc`` starts one) are separated by
a blank line. This is the input a tokenizer and sentence splitter sees when a treebank is
scored end to end (:mod:`rnnlab.evaluation.conll18` checks its output against the gold
file), and the text a tokenizer is trained on (:mod:`rnnlab.data.tokenizer_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlab.data.ud_document import UDSentence, paragraphs


def joiner(previous: UDSentence) -> str:
    """What stands between ``previous`` and the next sentence of its paragraph."""
    return " " if previous.tokens[-1].space_after else ""


def paragraph_text(sentences: Sequence[UDSentence]) -> str:
    """One paragraph's text: its sentences' texts joined (module docstring)."""
    parts: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(joiner(sentences[i - 1]))
        parts.append(sentence.surface())
    return "".join(parts)


def running_text(sentences: Sequence[UDSentence]) -> str:
    """The running text of a whole file: paragraphs separated by a blank line, a final
    newline (empty for no sentences)."""
    groups = paragraphs(list(sentences))
    return "".join(paragraph_text(group) + ("\n\n" if i < len(groups) - 1 else "\n")
                   for i, group in enumerate(groups))
