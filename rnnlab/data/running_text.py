"""Gold CoNLL-U back to the running text it was cut from.

Two spellings of a paragraph (a ``# newpar`` or ``# newdoc`` starts one):

* :func:`running_text` — UD's ``.txt`` convention (the UD tools' ``conllu_to_text.pl``):
  a paragraph's sentences, each its ``# text``, joined by one space; paragraphs separated
  by a blank line. ``width`` breaks a paragraph's lines at the last whitespace before
  ``width`` characters, as that tool does at 80; the default keeps each paragraph on one
  line. This is the input an end-to-end score reads (issue 18's table uses it).
* :func:`paragraph_text` — the treebank's own spacing: no space after a sentence whose
  last token has ``SpaceAfter=No``. The tokenizer learns from this text
  (:mod:`rnnlab.data.tokenizer_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnlab.data.ud_document import UDSentence, paragraphs


def joiner(previous: UDSentence) -> str:
    """What stands between ``previous`` and the next sentence of its paragraph in the
    treebank's own spacing."""
    return " " if previous.tokens[-1].space_after else ""


def paragraph_text(sentences: Sequence[UDSentence]) -> str:
    """One paragraph's text in the treebank's own spacing (module docstring)."""
    parts: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(joiner(sentences[i - 1]))
        parts.append(sentence.surface())
    return "".join(parts)


def wrap(line: str, width: int) -> str:
    """``line`` broken at whitespace into lines of at most ``width`` characters where a
    word allows it (a longer word stays whole on its own line)."""
    out: list[str] = []
    while len(line) > width:
        cut = max(line.rfind(" ", 0, width + 1), line.rfind("\t", 0, width + 1))
        if cut <= 0:
            cut = next((i for i in range(width + 1, len(line)) if line[i] in " \t"), len(line))
        out.append(line[:cut])
        line = line[cut + 1:]
    out.append(line)
    return "\n".join(out)


def running_text(sentences: Sequence[UDSentence], width: int = 0) -> str:
    """The running text of a whole file in UD's ``.txt`` convention (module docstring):
    paragraphs separated by a blank line, a final newline; empty for no sentences.

    Raises:
        ValueError: a negative ``width``.
    """
    if width < 0:
        raise ValueError(f"width must be >= 0 (0: no line breaks), got {width}")
    texts = [" ".join(s.surface() for s in group) for group in paragraphs(list(sentences))]
    if width:
        texts = [wrap(text, width) for text in texts]
    return "\n\n".join(texts) + "\n" if texts else ""
