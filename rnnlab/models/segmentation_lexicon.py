"""What the training treebank always does where a tokenizer's labels hesitate: cuts decided
from the training text, applied to the token ends the labels give.

The character labels (:mod:`rnnlab.models.segmentation`) decide each character's token end
on its own. Three things learnt from the training paragraphs' text and labels
(:mod:`rnnlab.data.tokenizer_labels`) then correct them, in this order:

1. **Paired characters.** A character between two letters or digits (``anti-American``,
   ``and/or``, ``don't``, ``mail@host``) offers two cuts, before it and after it. Where the
   treebank makes only one of the two in at most :data:`ONE_SIDED` of the (at least
   :data:`MIN_PAIRED`) training occurrences of that character between letters or digits,
   the two are decided together: both when the model's probabilities of a token end at
   the character before it and at the character itself sum to more than 1, neither
   otherwise. EWT train cuts the hyphen on both sides 736 times, on neither 612 times and
   on one side never, where the labels alone give ``anti-`` + ``American``.
2. **The word before a paired character.** Where training saw the same run of letters and
   digits (in any case) right before the same paired character at least
   :data:`MIN_BEFORE` times, always with the same decision, that decision is taken
   whatever the probabilities say: EWT keeps ``non-``, ``anti-``, ``pre-``, ``co-`` inside
   their words and cuts ``two-``, ``well-``, ``self-`` off.
3. **Forms.** A string of non-space characters that training cuts into whole tokens the
   same way in at least :data:`MIN_SHARE` of its occurrences — as one token (``Sat.``,
   ``Yahoo!``, ``a.m.``), or as several (``#1`` → ``#`` + ``1``, ``<>`` → ``<`` + ``>``) — is
   cut that way wherever the decisions so far make it a run of whole tokens, a token
   start to a token end with no whitespace between: from each token start, left to
   right, the longest such form is cut as training cut it, and the search goes on after
   it. A form counts where it is a run of whole tokens inside a piece of training text
   without whitespace, at most :data:`MAX_PIECES` tokens long. Left out, to keep the
   lexicon small: forms of one token made only of letters (what the labels do not cut),
   forms of several tokens seen fewer than :data:`MIN_SPLIT` times, and forms longer than
   :data:`MAX_FORM` characters (web and e-mail addresses, which do not come back); none of
   the three changes a score on EWT dev.

Every decision keeps whitespace a token end; the labels still decide which token ends end
sentences and which tokens are multiword tokens. Built from UD English EWT 2.16 train and
applied to the shipped tokenizer's labels on the dev running text, Words F1 goes from
99.02 (labels alone) to 99.06 (rule 1), 99.10 (rules 1 and 2), 99.10 (rule 3 alone) and
99.17 (all three); Sentences F1 stays 89.67.

Saved as a list of strings, one entry per line of knowledge, fields separated by tabs
(whitespace never occurs inside an entry's fields): ``"paired\\tC"``,
``"before\\tC\\tRUN\\tcut"`` or ``"before\\tC\\tRUN\\tjoined"`` (``RUN`` lower-cased), and
``"form\\tFORM"`` (one token) or ``"form\\tFORM\\tPIECE\\tPIECE…"``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from rnnlab.data.tokenizer_labels import INSIDE, LabelledParagraph

SEPARATOR = "\t"
ONE_SIDED = 0.01
MIN_PAIRED = 10
MIN_BEFORE = 3
MIN_SHARE = 0.75
MAX_PIECES = 4
MIN_SPLIT = 2
MAX_FORM = 32


def _pieces(text: str) -> Iterable[tuple[int, int]]:
    """``(start, stop)`` of each run of non-space characters of ``text``."""
    position, n = 0, len(text)
    while position < n:
        if text[position].isspace():
            position += 1
            continue
        stop = position
        while stop < n and not text[stop].isspace():
            stop += 1
        yield position, stop
        position = stop


def _run_before(text: str, index: int) -> str:
    """The letters and digits right before ``text[index]``, lower-cased."""
    start = index
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    return text[start:index].lower()


class SegmentationLexicon:
    """Paired characters, decisions before them and forms (module docstring), from the
    saved ``entries``."""

    def __init__(self, entries: Sequence[str] = ()) -> None:
        self.entries = list(entries)
        self.paired: set[str] = set()
        self.before: dict[tuple[str, str], bool] = {}
        self.forms: dict[str, tuple[int, ...]] = {}
        for number, entry in enumerate(self.entries, start=1):
            kind, *fields = entry.split(SEPARATOR)
            if kind == "paired" and len(fields) == 1 and len(fields[0]) == 1:
                self.paired.add(fields[0])
            elif (kind == "before" and len(fields) == 3 and len(fields[0]) == 1 and fields[1]
                  and fields[2] in ("cut", "joined")):
                self.before[(fields[0], fields[1])] = fields[2] == "cut"
            elif kind == "form" and fields and all(fields) and (
                    len(fields) == 1 or "".join(fields[1:]) == fields[0]):
                lengths = np.cumsum([len(p) for p in fields[1:]]).tolist()
                self.forms[fields[0]] = tuple(lengths[:-1])
            else:
                raise ValueError(f"lexicon entry {number} {entry!r} is not 'paired<tab>C', "
                                 "'before<tab>C<tab>RUN<tab>cut|joined' or "
                                 "'form<tab>FORM[<tab>PIECE…]'")
        self._paired_codes = np.array(sorted(ord(c) for c in self.paired), np.uint32)
        self._longest = max(map(len, self.forms), default=0)

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, paragraphs: Iterable[LabelledParagraph]) -> SegmentationLexicon:
        """The lexicon of training ``paragraphs`` (module docstring)."""
        sides: defaultdict[str, Counter[int]] = defaultdict(Counter)
        before: defaultdict[tuple[str, str], Counter[bool]] = defaultdict(Counter)
        cuts: defaultdict[str, Counter[tuple[int, ...]]] = defaultdict(Counter)
        for paragraph in paragraphs:
            text, ends = paragraph.text, paragraph.labels != INSIDE
            for i in range(1, len(text) - 1):
                char = text[i]
                if (not char.isalnum() and not char.isspace() and text[i - 1].isalnum()
                        and text[i + 1].isalnum()):
                    made = int(ends[i - 1]) + int(ends[i])
                    sides[char][made] += 1
                    if made != 1:
                        before[(char, _run_before(text, i))][made == 2] += 1
            for start, stop in _pieces(text):
                stops = (np.flatnonzero(ends[start:stop]) + 1).tolist()
                starts = [0, *stops[:-1]]
                for a in range(len(stops)):
                    for b in range(a, min(len(stops), a + MAX_PIECES)):
                        form = text[start + starts[a]:start + stops[b]]
                        if len(form) <= MAX_FORM:
                            cuts[form][tuple(s - starts[a] for s in stops[a:b])] += 1
        paired = sorted(c for c, n in sides.items()
                        if sum(n.values()) >= MIN_PAIRED and n[1] <= ONE_SIDED * sum(n.values()))
        entries = [f"paired{SEPARATOR}{c}" for c in paired]
        for (char, run), decisions in sorted(before.items()):
            if char in paired and run and len(decisions) == 1:
                (cut, n), = decisions.items()
                if n >= MIN_BEFORE:
                    entries.append(SEPARATOR.join(("before", char, run,
                                                   "cut" if cut else "joined")))
        for form, ways in sorted(cuts.items()):
            way, n = ways.most_common(1)[0]
            if (n < MIN_SHARE * sum(ways.values()) or (not way and form.isalpha())
                    or (way and n < MIN_SPLIT)):
                continue
            bounds = [0, *way, len(form)]
            pieces = [form[a:b] for a, b in zip(bounds, bounds[1:], strict=False)] if way else []
            entries.append(SEPARATOR.join(("form", form, *pieces)))
        return cls(entries)

    # ------------------------------------------------------------------ decoding
    def cut(self, text: str, end_probability: np.ndarray, space: np.ndarray,
            token_ends: np.ndarray) -> np.ndarray:
        """The token ends of ``text`` (a paragraph) after the lexicon's decisions (module
        docstring), from the labels' ``token_ends`` and the model's probability of a token
        end at each character, ``end_probability``; ``space`` marks its whitespace."""
        ends = token_ends.copy()
        if len(self._paired_codes) and len(text) > 2:
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
            for i in (np.flatnonzero(np.isin(codes[1:-1], self._paired_codes)) + 1).tolist():
                if text[i - 1].isalnum() and text[i + 1].isalnum():
                    known = self.before.get((text[i], _run_before(text, i)))
                    both = (end_probability[i - 1] + end_probability[i] > 1.0
                            if known is None else known)
                    ends[i - 1] = ends[i] = both
        if self.forms:
            self._cut_forms(text, space, ends)
        return ends

    def _cut_forms(self, text: str, space: np.ndarray, ends: np.ndarray) -> None:
        """Cut the longest lexicon form from each token start as training did (in place)."""
        lasts = np.flatnonzero(ends).tolist()
        firsts = np.flatnonzero(~space & np.insert((space | ends)[:-1], 0, True)).tolist()
        k = 0
        while k < len(firsts):
            start, found, j = firsts[k], None, k
            while j < len(lasts) and lasts[j] - start < self._longest:
                if j > k and firsts[j] != lasts[j - 1] + 1:
                    break  # whitespace between: the run of tokens ends
                if text[start:lasts[j] + 1] in self.forms:
                    found = j
                j += 1
            if found is None:
                k += 1
                continue
            ends[start:lasts[found]] = False
            for length in self.forms[text[start:lasts[found] + 1]]:
                ends[start + length - 1] = True
            k = found + 1
