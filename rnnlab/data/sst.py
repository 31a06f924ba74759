"""Stanford Sentiment Treebank reader (PTB-style bracketed trees, one per line).

A tree looks like ``(3 (2 It) (4 (2 's) (3 fine)))``: every node carries a sentiment label
from 0 (very negative) to 4 (very positive); the root label is the sentence label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from typing import Literal

from rnnlab.data._files import read_utf8, split_lines
from rnnlab.data.errors import DataFormatError

SSTMode = Literal["fine", "binary"]
NUM_LABELS = 5
_BRACKET_WORDS = {
    "-LRB-": "(",
    "-RRB-": ")",
    "-LSB-": "[",
    "-RSB-": "]",
    "-LCB-": "{",
    "-RCB-": "}",
}
# The treebank escapes "/" and "*" with a backslash (e.g. 9\/11, and\/or).
_BACKSLASH_ESCAPE = re.compile(r"\\([/*])")


def _unescape(word: str) -> str:
    """Undo the treebank's escapes: -LRB- becomes (, a backslash before / or * is dropped."""
    return _BACKSLASH_ESCAPE.sub(r"\1", _BRACKET_WORDS.get(word, word))


# Only ASCII whitespace separates tokens: SST words may contain U+00A0 (e.g. "8\xa01\\/2").
_TOKEN = re.compile(r"\(|\)|[^ \t\n\r\f\v()]+")
_LABEL = re.compile(f"[0-{NUM_LABELS - 1}]")


@dataclass(frozen=True)
class SSTTree:
    """A labelled tree node: a leaf has a ``word`` and no children."""

    label: int
    children: tuple[SSTTree, ...] = ()
    word: str | None = None

    @property
    def is_leaf(self) -> bool:
        return self.word is not None

    def leaves(self) -> list[str]:
        """The words under this node, left to right."""
        if self.word is not None:
            return [self.word]
        return [w for child in self.children for w in child.leaves()]

    def nodes(self) -> Iterator[SSTTree]:
        """Every node of the subtree, in pre-order (this node first)."""
        yield self
        for child in self.children:
            yield from child.nodes()


@dataclass(frozen=True)
class SSTExample:
    """Tokens of a sentence or phrase and its (mapped) label."""

    tokens: list[str]
    label: int


class _TreeSyntaxError(Exception):
    pass


def parse_sst_tree(text: str) -> SSTTree:
    """Parse one bracketed tree; ``-LRB-``/``-RRB-`` (and square/curly variants) in leaves
    become the bracket characters, and ``\\/``, ``\\*`` become ``/``, ``*``.

    Raises:
        ValueError: the text is not a single well-formed tree with labels 0-4.
    """
    tokens = _TOKEN.findall(text)
    if not tokens:
        raise ValueError("empty tree")
    try:
        tree, pos = _parse_node(tokens, 0)
    except _TreeSyntaxError as exc:
        raise ValueError(str(exc)) from None
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r} after the end of the tree")
    return tree


def _parse_node(tokens: list[str], pos: int) -> tuple[SSTTree, int]:
    """Parse the node starting at ``tokens[pos]``; return it and the position after it."""
    if tokens[pos] != "(":
        raise _TreeSyntaxError(f"expected '(', found {tokens[pos]!r}")
    pos += 1
    if pos >= len(tokens) or tokens[pos] in ("(", ")"):
        raise _TreeSyntaxError("expected a label after '('")
    label_text = tokens[pos]
    if not _LABEL.fullmatch(label_text):
        raise _TreeSyntaxError(f"invalid label {label_text!r}: expected 0-{NUM_LABELS - 1}")
    label = int(label_text)
    pos += 1
    if pos >= len(tokens):
        raise _TreeSyntaxError("unbalanced brackets: missing ')'")
    if tokens[pos] not in ("(", ")"):
        word = tokens[pos]
        pos += 1
        if pos >= len(tokens) or tokens[pos] != ")":
            raise _TreeSyntaxError(f"expected ')' after the word {word!r}")
        return SSTTree(label, word=_unescape(word)), pos + 1
    children = []
    while pos < len(tokens) and tokens[pos] == "(":
        child, pos = _parse_node(tokens, pos)
        children.append(child)
    if pos >= len(tokens):
        raise _TreeSyntaxError("unbalanced brackets: missing ')'")
    if tokens[pos] != ")":
        raise _TreeSyntaxError(f"unexpected {tokens[pos]!r} inside a phrase")
    if not children:
        raise _TreeSyntaxError("node with a label but neither a word nor children")
    return SSTTree(label, children=tuple(children)), pos + 1


def read_sst_trees(path: str | PathLike[str]) -> list[SSTTree]:
    """Read one tree per non-blank line of ``path``.

    Raises:
        DataFormatError: a malformed tree, naming the file and line.
    """
    trees = []
    for number, line in enumerate(split_lines(read_utf8(path)), start=1):
        if not line.strip():
            continue
        try:
            trees.append(parse_sst_tree(line))
        except ValueError as exc:
            raise DataFormatError(path, number, f"malformed tree: {exc}") from None
    return trees


def map_label(label: int, mode: SSTMode) -> int | None:
    """Map a 0-4 label: ``fine`` keeps it; ``binary`` gives 0 for 0-1, 1 for 3-4, and
    ``None`` (drop the example) for the neutral 2."""
    if mode == "fine":
        return label
    if mode == "binary":
        return None if label == 2 else int(label > 2)
    raise ValueError(f"unknown SST mode {mode!r}: expected 'fine' or 'binary'")


def sst_examples(
    trees: list[SSTTree], mode: SSTMode = "fine", phrases: bool = False
) -> list[SSTExample]:
    """Turn trees into examples with labels mapped by :func:`map_label`.

    With ``phrases`` every labelled node becomes an example (tokens of its subtree), in
    pre-order, so each sentence is followed by its phrases down to single words; otherwise
    only whole sentences (root labels) are used. Neutral items are dropped in binary mode.
    """
    examples: list[SSTExample | None] = []
    for tree in trees:
        if phrases:
            _collect_phrases(tree, mode, examples)
        else:
            label = map_label(tree.label, mode)
            if label is not None:
                examples.append(SSTExample(tree.leaves(), label))
    return [ex for ex in examples if ex is not None]


def _collect_phrases(node: SSTTree, mode: SSTMode, out: list[SSTExample | None]) -> list[str]:
    """Append an example for ``node`` and its descendants in pre-order (``None`` for
    dropped labels) and return the node's leaves, computing each leaf list only once."""
    slot = len(out)
    out.append(None)
    if node.word is not None:
        leaves = [node.word]
    else:
        leaves = []
        for child in node.children:
            leaves.extend(_collect_phrases(child, mode, out))
    label = map_label(node.label, mode)
    if label is not None:
        out[slot] = SSTExample(leaves, label)
    return leaves


def read_sst(
    path: str | PathLike[str], mode: SSTMode = "fine", phrases: bool = False
) -> list[SSTExample]:
    """Read an SST file as classification examples (see :func:`sst_examples`)."""
    return sst_examples(read_sst_trees(path), mode=mode, phrases=phrases)
