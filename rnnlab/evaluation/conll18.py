"""The CoNLL 2018 shared task's UD metrics: a system's CoNLL-U scored against gold.

Implemented from the metric definitions of the shared task (Zeman et al. 2018) so that
the numbers are those of its evaluator, ``conll18_ud_eval.py``:

* **The text.** Both files must spell the same characters once whitespace is set aside:
  the token FORMs, in order, with every space character (Unicode category Zs) removed.
  Each token, sentence and word is a span of that character sequence; a word of a
  multiword token has the token's span.
* **Tokens, Sentences.** A system span is correct when a gold span starts and ends at the
  same characters. Precision = correct / system, recall = correct / gold,
  F1 = 2·correct / (system + gold).
* **Words.** Words outside multiword tokens are aligned when their spans are equal. Where
  either side has a multiword token, the *multiword span* is the smallest stretch of
  text that starts there and leaves no multiword token of either side sticking out; the
  words inside it are aligned by the longest common subsequence of their lower-cased
  FORMs. Words = F1 of the aligned words.
* **UPOS, XPOS, UFeats, AllTags, Lemmas.** On the aligned words, an attribute counts as
  correct when it is equal; precision and recall divide by all system and gold words, so
  a word not aligned is wrong. UFeats compares the universal features only (the 21 of
  UD's core set, sorted); AllTags is UPOS, XPOS and UFeats together; a gold lemma ``_``
  accepts any lemma. Each score also gives the accuracy on aligned words
  (``aligned_accuracy``).

Empty nodes are skipped; dependency relations are not scored here (rnnlab has no parser).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

from rnnlab.data.ud_document import UDSentence, read_ud

METRICS = ("Tokens", "Sentences", "Words", "UPOS", "XPOS", "UFeats", "AllTags", "Lemmas")
UNIVERSAL_FEATURES = frozenset((
    "PronType", "NumType", "Poss", "Reflex", "Foreign", "Abbr", "Gender", "Animacy",
    "Number", "Case", "Definite", "Degree", "VerbForm", "Mood", "Tense", "Aspect", "Voice",
    "Evident", "Polarity", "Person", "Polite",
))
_SHOWN = 20  # characters of each side a mismatch error shows


class TextMismatchError(ValueError):
    """The gold and system files do not spell the same text (whitespace aside)."""


@dataclass(frozen=True)
class Score:
    """``correct`` of ``system`` predictions against ``gold`` items; ``aligned``: the
    aligned words the attribute was compared on (None for span metrics)."""

    correct: int
    gold: int
    system: int
    aligned: int | None = None

    @property
    def precision(self) -> float:
        return self.correct / self.system if self.system else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.system + self.gold
        return 2 * self.correct / total if total else 0.0

    @property
    def aligned_accuracy(self) -> float | None:
        if self.aligned is None:
            return None
        return self.correct / self.aligned if self.aligned else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "aligned_accuracy": self.aligned_accuracy, "correct": self.correct,
                "gold": self.gold, "system": self.system, "aligned": self.aligned}


@dataclass(frozen=True)
class _Word:
    """A word as the metrics see it: its token's span, whether that token is multiword,
    and the compared columns (FEATS reduced to the universal features)."""

    start: int
    end: int
    multiword: bool
    form: str
    lemma: str
    upos: str
    xpos: str
    feats: str


@dataclass
class _Side:
    """One file: its characters (whitespace removed), token, sentence and word spans, and
    the file line where each sentence starts (for error messages)."""

    source: str
    characters: str
    tokens: list[tuple[int, int]]
    sentences: list[tuple[int, int]]
    words: list[_Word]
    sentence_lines: list[int]


def _strip_spaces(form: str) -> str:
    return "".join(c for c in form if unicodedata.category(c) != "Zs")


def _universal(feats: str) -> str:
    return "|".join(sorted(f for f in feats.split("|")
                           if f.split("=", 1)[0] in UNIVERSAL_FEATURES))


def _side(sentences: Sequence[UDSentence], source: str) -> _Side:
    characters: list[str] = []
    side = _Side(source, "", [], [], [], [])
    position = 0
    for sentence in sentences:
        first = position
        for token in sentence.tokens:
            form = _strip_spaces(token.form)
            if not form:
                raise ValueError(f"{source}:{sentence.line}: a token whose FORM is only "
                                 f"spaces ({token.form!r})")
            characters.append(form)
            span = (position, position + len(form))
            position = span[1]
            side.tokens.append(span)
            for word in token.words:
                side.words.append(_Word(
                    span[0], span[1], token.multiword,
                    word.form if token.multiword else form,
                    word.lemma, word.upos, word.xpos, _universal(word.feats)))
        side.sentences.append((first, position))
        side.sentence_lines.append(sentence.line)
    side.characters = "".join(characters)
    return side


def _check_same_text(gold: _Side, system: _Side) -> None:
    if gold.characters == system.characters:
        return
    a, b = gold.characters, system.characters
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
    line = gold.sentence_lines[0] if gold.sentence_lines else 1
    for (start, _), sentence_line in zip(gold.sentences, gold.sentence_lines, strict=True):
        if start > index:
            break
        line = sentence_line
    raise TextMismatchError(
        f"the text differs: {system.source} does not spell the text of {gold.source} "
        f"(whitespace aside) from its non-space character {index + 1} on, in the gold "
        f"sentence at line {line}: gold {a[index:index + _SHOWN]!r}, system "
        f"{b[index:index + _SHOWN]!r}")


def _span_score(gold: Sequence[tuple[int, int]], system: Sequence[tuple[int, int]]) -> Score:
    """Spans that start and end together; both lists are in text order."""
    correct = g = s = 0
    while g < len(gold) and s < len(system):
        if system[s][0] < gold[g][0]:
            s += 1
        elif gold[g][0] < system[s][0]:
            g += 1
        else:
            correct += gold[g][1] == system[s][1]
            g += 1
            s += 1
    return Score(correct, len(gold), len(system))


def _beyond(words: Sequence[_Word], i: int, end: int) -> bool:
    """Whether ``words[i]`` lies past a multiword span that ends at ``end``."""
    if i >= len(words):
        return True
    return words[i].start >= end if words[i].multiword else words[i].end > end


def _multiword_span(gold: Sequence[_Word], system: Sequence[_Word], g: int, s: int
                    ) -> tuple[int, int, int, int]:
    """The words ``gold[g0:g1]`` and ``system[s0:s1]`` of the multiword span that starts
    at ``gold[g]`` / ``system[s]``, one of which is in a multiword token."""
    if gold[g].multiword:
        end = gold[g].end
        if not system[s].multiword and system[s].start < gold[g].start:
            s += 1
    else:
        end = system[s].end
        if not gold[g].multiword and gold[g].start < system[s].start:
            g += 1
    g0, s0 = g, s
    while not _beyond(gold, g, end) or not _beyond(system, s, end):
        if g < len(gold) and (s >= len(system) or gold[g].start <= system[s].start):
            if gold[g].multiword:
                end = max(end, gold[g].end)
            g += 1
        else:
            if system[s].multiword:
                end = max(end, system[s].end)
            s += 1
    return g0, s0, g, s


def _lcs_pairs(gold: Sequence[str], system: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of two lists of lower-cased forms,
    taking an equal pair as soon as it comes."""
    n, m = len(gold), len(system)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in reversed(range(n)):
        for j in reversed(range(m)):
            same = 1 + table[i + 1][j + 1] if gold[i] == system[j] else 0
            table[i][j] = max(same, table[i + 1][j], table[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if gold[i] == system[j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif table[i][j] == table[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _align(gold: Sequence[_Word], system: Sequence[_Word]) -> list[tuple[int, int]]:
    """Aligned (gold index, system index) word pairs (module docstring)."""
    pairs: list[tuple[int, int]] = []
    g = s = 0
    while g < len(gold) and s < len(system):
        if gold[g].multiword or system[s].multiword:
            g0, s0, g, s = _multiword_span(gold, system, g, s)
            lower = [w.form.lower() for w in gold[g0:g]], [w.form.lower() for w in system[s0:s]]
            pairs += [(g0 + i, s0 + j) for i, j in _lcs_pairs(*lower)]
        elif (gold[g].start, gold[g].end) == (system[s].start, system[s].end):
            pairs.append((g, s))
            g += 1
            s += 1
        elif gold[g].start <= system[s].start:
            g += 1
        else:
            s += 1
    return pairs


_ATTRIBUTES: dict[str, Callable[[_Word, _Word], bool]] = {
    "UPOS": lambda g, s: g.upos == s.upos,
    "XPOS": lambda g, s: g.xpos == s.xpos,
    "UFeats": lambda g, s: g.feats == s.feats,
    "AllTags": lambda g, s: (g.upos, g.xpos, g.feats) == (s.upos, s.xpos, s.feats),
    "Lemmas": lambda g, s: g.lemma == "_" or g.lemma == s.lemma,
}


def evaluate(gold: Sequence[UDSentence], system: Sequence[UDSentence],
             gold_source: str = "gold", system_source: str = "system") -> dict[str, Score]:
    """The scores of :data:`METRICS` for ``system`` against ``gold`` (module docstring);
    the sources name the two in errors.

    Raises:
        TextMismatchError: the two do not spell the same text (the message shows where).
        ValueError: a token whose FORM is nothing but spaces.
    """
    gold_side, system_side = _side(gold, gold_source), _side(system, system_source)
    _check_same_text(gold_side, system_side)
    pairs = _align(gold_side.words, system_side.words)
    n_gold, n_system = len(gold_side.words), len(system_side.words)
    scores = {
        "Tokens": _span_score(gold_side.tokens, system_side.tokens),
        "Sentences": _span_score(gold_side.sentences, system_side.sentences),
        "Words": Score(len(pairs), n_gold, n_system),
    }
    for name, same in _ATTRIBUTES.items():
        correct = sum(same(gold_side.words[g], system_side.words[s]) for g, s in pairs)
        scores[name] = Score(correct, n_gold, n_system, len(pairs))
    return scores


def evaluate_files(gold: str | PathLike[str], system: str | PathLike[str]
                   ) -> dict[str, Score]:
    """:func:`evaluate` on two CoNLL-U files.

    Raises:
        DataFormatError: a file that is not CoNLL-U; otherwise as :func:`evaluate`.
    """
    return evaluate(read_ud(gold), read_ud(system), str(gold), str(system))


def format_table(scores: dict[str, Score]) -> str:
    """The scores as the shared task's evaluator prints them with ``--verbose``."""
    lines = ["Metric     | Precision |    Recall |  F1 Score | AligndAcc",
             "-----------+-----------+-----------+-----------+-----------"]
    for name in METRICS:
        score = scores[name]
        accuracy = score.aligned_accuracy
        shown = f"{100 * accuracy:10.2f}" if accuracy is not None else ""
        lines.append(f"{name:<11}|{100 * score.precision:10.2f} |{100 * score.recall:10.2f} "
                     f"|{100 * score.f1:10.2f} |{shown}")
    return "\n".join(lines)
