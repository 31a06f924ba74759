"""Small slices of the shared datasets for tests that need real sentences.

The data are read from where the library reads them (``$RNNLAB_DATA``, else
``../shared/data``: :func:`rnnlab.data.default_path`); nothing of them is committed. A test
that asks for a dataset which is not there is skipped, with the reason. Tests that need a
file with a particular defect (a missing column, a missing tag, a byte-order mark) take real
sentences from here and change them themselves, so the defect and its line are known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import pytest

from rnnlab.data import default_path

Block = tuple[str, ...]  # the lines of one CoNLL-U sentence, without line ends


def shared_file(dataset: str, split: str | None = None, lang: str | None = None) -> Path:
    """The dataset's file, or skip the calling test when it is not available."""
    try:
        path = default_path(dataset, split, lang)
    except FileNotFoundError:
        path = None
    if path is None or not path.exists():
        pytest.skip(f"{dataset} {split or ''} not available (../shared/data or $RNNLAB_DATA)")
    return path


@cache
def ewt_blocks(split: str) -> tuple[Block, ...]:
    """Every sentence of UD English EWT's ``split`` as its raw lines."""
    text = shared_file("ud-english-ewt", split).read_text(encoding="utf-8")
    return tuple(tuple(block.split("\n")) for block in text.strip("\n").split("\n\n"))


def word_lines(block: Block) -> list[str]:
    """The lines of syntactic words (integer ID): no comments, ranges or empty nodes."""
    return [line for line in block if line.split("\t")[0].isdigit()]


def pick_blocks(blocks: Sequence[Block], count: int,
                keep: Callable[[Block], bool] = lambda block: True) -> list[Block]:
    """The first ``count`` blocks that ``keep`` accepts, in file order."""
    picked = [block for block in blocks if keep(block)][:count]
    assert len(picked) == count, f"only {len(picked)} sentences match"
    return picked


def short_ewt_sentences(count: int, max_words: int = 6) -> list[Block]:
    """The first ``count`` EWT training sentences of 3 to ``max_words`` words with gold UPOS
    and XPOS on every word and no multiword tokens: a corpus a tiny tagger can fit."""

    def plain(block: Block) -> bool:
        words = word_lines(block)
        return (3 <= len(words) <= max_words
                and all("-" not in line.split("\t")[0] for line in block if line[:1].isdigit())
                and all(line.split("\t")[3] != "_" and line.split("\t")[4] != "_"
                        for line in words))

    return pick_blocks(ewt_blocks("train"), count, plain)


def write_conllu_blocks(path: Path, blocks: Sequence[Sequence[str]]) -> Path:
    """Write ``blocks`` as a CoNLL-U file (blank line after each sentence)."""
    path.write_text("".join("\n".join(block) + "\n\n" for block in blocks), encoding="utf-8")
    return path


def multi30k_pairs(count: int, max_words: int = 5) -> tuple[list[str], list[str]]:
    """The first ``count`` German–English training pairs of Multi30k whose German side has
    at most ``max_words`` words, in file order."""
    german = shared_file("multi30k", "train", "de").read_text(encoding="utf-8").splitlines()
    english = shared_file("multi30k", "train", "en").read_text(encoding="utf-8").splitlines()
    pairs = [(de, en) for de, en in zip(german, english, strict=True)
             if len(de.split()) <= max_words and len(en.split()) <= max_words + 2]
    assert len(pairs) >= count, f"only {len(pairs)} short pairs"
    return [de for de, _ in pairs[:count]], [en for _, en in pairs[:count]]


def tagger_corpus(path: Path) -> Path:
    """16 short EWT training sentences (70 words) as a CoNLL-U file: small enough for a
    tiny tagger to fit in seconds, and "That" is PRON in one and SCONJ in another, so a
    perfect fit needs the context."""
    return write_conllu_blocks(path, short_ewt_sentences(16))


def ambiguous_positions(sentences) -> list[tuple[int, int]]:
    """(sentence, word) positions of every form that has more than one gold UPOS here."""
    tags: dict[str, set[str]] = {}
    for sentence in sentences:
        for word, upos in zip(sentence.words, sentence.upos, strict=True):
            tags.setdefault(word, set()).add(upos)
    return [(i, j) for i, sentence in enumerate(sentences)
            for j, word in enumerate(sentence.words) if len(tags[word]) > 1]
