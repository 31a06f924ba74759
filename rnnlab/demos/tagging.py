"""The main job in one screen: tag a few sentences with the shipped English model.

LECTURE §3.1 and §11 — many-to-many with the same length: one tag per word. The sentences
include the lecture's own (§5) so the agreement example is visible in the tags too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rnnlab.data.tokenize import tokenize_english
from rnnlab.models.tagger import TaggedWord, Tagger

SENTENCES = (
    "The cat, which already ate a bunch of food, was full.",
    "The cats, which already ate a bunch of food, were full.",
    "Recurrent networks read a sentence one word at a time.",
    "I can't believe she flew to Paris on Monday!",
    "Time flies like an arrow; fruit flies like a banana.",
)


@dataclass
class TaggingDemoConfig:
    sentences: Sequence[str] = SENTENCES
    model: str | None = None  # a model directory; None = the shipped English model


def aligned(tagged: Sequence[TaggedWord]) -> str:
    """Three rows — words, UPOS, XPOS — each column as wide as its widest entry."""
    rows = [[t.word for t in tagged], [t.upos for t in tagged]]
    if all(t.xpos is not None for t in tagged):
        rows.append([t.xpos for t in tagged])
    widths = [max(len(row[i]) for row in rows) for i in range(len(tagged))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def run_tagging_demo(config: TaggingDemoConfig) -> str:
    """Tokenise, tag and lay out each sentence: word over UPOS over XPOS."""
    tagger = Tagger.load(config.model)
    sentences = [tokenize_english(s) for s in config.sentences]
    blocks = [aligned(tagged) for tagged in tagger.tag_many(sentences)]
    source = config.model or "the shipped English model (UD English EWT 2.16, CC BY-SA 4.0)"
    header = f"Part-of-speech tags from {source}; rows: word, UPOS, XPOS.\n"
    return header + "\n\n".join(blocks)
