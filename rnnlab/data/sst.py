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

from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import read_utf8, split_lines

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
        return [node.word for node in self.nodes() if node.word is not None]

    def nodes(self) -> Iterator[SSTTree]:
        """Every node of the subtree, in pre-order (this node first); a loop, not a
        recursion, so any depth works."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children))


@dataclass(frozen=True)
class SSTExample:
    """Tokens of a sentence or phrase and its (mapped) label."""

    tokens: list[str]
    label: int


def parse_sst_tree(text: str) -> SSTTree:
    """Parse one bracketed tree; ``-LRB-``/``-RRB-`` (and square/curly variants) in leaves
    become the bracket characters, and ``\\/``, ``\\*`` become ``/``, ``*``.

    The parser keeps the open phrases on a list of its own instead of recursing, so a tree
    of any depth parses (Python's recursion limit would stop a recursive one near 1000).

    Raises:
        ValueError: the text is not a single well-formed tree with labels 0-4.
    """
    tokens = _TOKEN.findall(text)
    if not tokens:
        raise ValueError("empty tree")
    open_phrases: list[tuple[int, list[SSTTree]]] = []  # (label, children so far)
    pos = 0
    while True:  # at the "(" of a node
        if tokens[pos] != "(":
            raise ValueError(f"expected '(', found {tokens[pos]!r}")
        label, pos = _label(tokens, pos + 1)
        if tokens[pos] == "(":  # a phrase: its first child comes next
            open_phrases.append((label, []))
            continue
        if tokens[pos] == ")":
            raise ValueError("node with a label but neither a word nor children")
        word = tokens[pos]
        if pos + 1 >= len(tokens) or tokens[pos + 1] != ")":
            raise ValueError(f"expected ')' after the word {word!r}")
        node, pos = SSTTree(label, word=_unescape(word)), pos + 2
        while open_phrases:  # the node is done: add it to its phrase, close finished ones
            open_phrases[-1][1].append(node)
            if pos >= len(tokens):
                raise ValueError("unbalanced brackets: missing ')'")
            if tokens[pos] == "(":
                break
            if tokens[pos] != ")":
                raise ValueError(f"unexpected {tokens[pos]!r} inside a phrase")
            phrase_label, children = open_phrases.pop()
            node, pos = SSTTree(phrase_label, children=tuple(children)), pos + 1
        else:
            if pos != len(tokens):
                raise ValueError(f"unexpected {tokens[pos]!r} after the end of the tree")
            return node


def _label(tokens: list[str], pos: int) -> tuple[int, int]:
    """The label at ``tokens[pos]`` and the position after it, which exists."""
    if pos >= len(tokens) or tokens[pos] in ("(", ")"):
        raise ValueError("expected a label after '('")
    if not _LABEL.fullmatch(tokens[pos]):
        raise ValueError(f"invalid label {tokens[pos]!r}: expected 0-{NUM_LABELS - 1}")
    if pos + 1 >= len(tokens):
        raise ValueError("unbalanced brackets: missing ')'")
    return int(tokens[pos]), pos + 1


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


def _collect_phrases(root: SSTTree, mode: SSTMode, out: list[SSTExample | None]) -> None:
    """Append an example for ``root`` and each of its descendants in pre-order (``None``
    for dropped labels), computing each node's leaves once, from its children's, in a loop
    from the last node back (children come after their parent in pre-order)."""
    order = list(root.nodes())
    first = len(out)
    out.extend([None] * len(order))
    leaves: dict[int, list[str]] = {}
    for index in range(len(order) - 1, -1, -1):
        node = order[index]
        if node.word is not None:
            words = [node.word]
        else:
            words = [word for child in node.children for word in leaves[id(child)]]
        leaves[id(node)] = words
        label = map_label(node.label, mode)
        if label is not None:
            out[first + index] = SSTExample(words, label)


def read_sst(
    path: str | PathLike[str], mode: SSTMode = "fine", phrases: bool = False
) -> list[SSTExample]:
    """Read an SST file as classification examples (see :func:`sst_examples`)."""
    return sst_examples(read_sst_trees(path), mode=mode, phrases=phrases)
