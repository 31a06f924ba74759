"""Text ↔ tokens at character level or word level (the two vocabularies a generator uses).

Word level splits on whitespace and marks each line break with ``<eos>`` (the PTB
convention of :func:`rnnlab.data.text.read_words`); character level keeps every character,
newlines included.
"""

from __future__ import annotations

from rnnlab.data.vocab import EOS

LEVELS = ("char", "word")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    return level


def split_tokens(text: str, level: str) -> list[str]:
    """``list(text)`` for ``char``; whitespace-separated words with ``<eos>`` per line break
    for ``word``."""
    if check_level(level) == "char":
        return list(text)
    lines = text.replace("\r\n", "\n").split("\n")
    tokens: list[str] = []
    for i, line in enumerate(lines):
        tokens.extend(line.split())
        if i < len(lines) - 1:
            tokens.append(EOS)
    return tokens


def join_tokens(tokens: list[str], level: str) -> str:
    """The inverse of :func:`split_tokens` (up to whitespace for ``word``)."""
    if check_level(level) == "char":
        return "".join(tokens)
    lines: list[list[str]] = [[]]
    for token in tokens:
        if token == EOS:
            lines.append([])
        else:
            lines[-1].append(token)
    return "\n".join(" ".join(line) for line in lines)
