"""Multiword tokens: from a token the tokenizer marked as one to the words UD writes.

UD splits some orthographic tokens into several syntactic words: English contractions and
possessives (``don't`` → ``do`` + ``n't``, ``Bush's`` → ``Bush`` + ``'s``), French and
Spanish article fusions (``du`` → ``de`` + ``le``, ``del`` → ``de`` + ``el``). The
tokenizer only says *that* a token is one (:mod:`rnnlab.data.tokenizer_labels`); this
module says into *what*, learnt from the training treebank:

1. a dictionary of every multiword form seen in training and its most frequent words;
2. the same dictionary by lower-cased form, for other casings (``DONT`` → ``DO`` + ``NT``:
   when the words spell the form, the form itself is cut at the same places, so its case is
   kept; otherwise the words take the form's capitalisation);
3. for a form never seen, a suffix rule: the longest final word that ends at least
   ``MIN_SUFFIX_FORMS`` distinct training forms whose words spell them (``'s``, ``n't``,
   ``'ll`` …) is split off (``Obama's`` → ``Obama`` + ``'s``);
4. anything else stays one word.

It also knows the *usual* multiword forms: the lower-cased forms that are a multiword token
in at least half of their training occurrences (``wont`` → ``wo`` + ``nt``, ``thats``,
``gonna``), which the tokenizer's character labels often miss because nothing in the
characters marks them; :mod:`rnnlab.models.segmentation` expands these whatever the labels
say, and leaves ambiguous forms (``its``: mostly the possessive, sometimes ``it`` + ``s``)
to the labels.

Saved as two lists of strings: the entries, one per form, most frequent first,
``"FORM\\tWORD1\\tWORD2…"`` (a tab cannot occur inside a CoNLL-U field), and the usual
forms, sorted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rnnlab.data.ud_document import UDSentence

SEPARATOR = "\t"
MIN_SUFFIX_FORMS = 2


def _cut(form: str, lengths: Sequence[int]) -> tuple[str, ...]:
    """``form`` cut into pieces of ``lengths``."""
    pieces, start = [], 0
    for length in lengths:
        pieces.append(form[start:start + length])
        start += length
    return tuple(pieces)


def _recase(form: str, words: Sequence[str]) -> tuple[str, ...]:
    """``words`` (of another casing of ``form``) in ``form``'s casing."""
    if "".join(words).lower() == form.lower():
        return _cut(form, [len(w) for w in words])
    if form.isupper():
        return tuple(w.upper() for w in words)
    if form[:1].isupper():
        return (words[0][:1].upper() + words[0][1:], *words[1:])
    return tuple(words)


class MultiwordExpander:
    """The words of a multiword token (module docstring); ``entries`` and ``usual`` as
    saved."""

    def __init__(self, entries: Sequence[str] = (), usual: Sequence[str] = ()) -> None:
        self.entries = list(entries)
        self.usual = sorted(usual)
        self._usual = frozenset(self.usual)
        self.exact: dict[str, tuple[str, ...]] = {}
        self.lower: dict[str, tuple[str, ...]] = {}
        suffix_forms: Counter[str] = Counter()
        for number, entry in enumerate(self.entries, start=1):
            form, *words = entry.split(SEPARATOR)
            if not form or len(words) < 2 or not all(words):
                raise ValueError(f"multiword entry {number} {entry!r} is not "
                                 "FORM<tab>WORD<tab>WORD…")
            self.exact.setdefault(form, tuple(words))
            self.lower.setdefault(form.lower(), tuple(w.lower() for w in words))
            if "".join(words).lower() == form.lower() and len(words[-1]) < len(form):
                suffix_forms[words[-1].lower()] += 1
        self.suffixes = sorted((s for s, n in suffix_forms.items() if n >= MIN_SUFFIX_FORMS),
                               key=lambda s: (-len(s), s))

    @classmethod
    def build(cls, sentences: Iterable[UDSentence]) -> MultiwordExpander:
        """The expander of the multiword tokens in ``sentences`` (each form's most frequent
        words; forms ordered by frequency, then alphabetically) and their usual forms."""
        counts: Counter[tuple[str, ...]] = Counter()
        seen: Counter[str] = Counter()
        split: Counter[str] = Counter()
        for sentence in sentences:
            for token in sentence.tokens:
                seen[token.form.lower()] += 1
                if token.multiword:
                    split[token.form.lower()] += 1
                    counts[(token.form, *(w.form for w in token.words))] += 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls([SEPARATOR.join(key) for key, _ in ordered],
                   [form for form, n in split.items() if 2 * n >= seen[form]])

    def usually_multiword(self, form: str) -> bool:
        """Whether ``form`` (any case) is a multiword token in at least half of its training
        occurrences."""
        return form.lower() in self._usual

    def expand(self, form: str) -> tuple[str, ...]:
        """The words of ``form`` (one word when nothing applies)."""
        if form in self.exact:
            return self.exact[form]
        lowered = form.lower()
        if lowered in self.lower:
            return _recase(form, self.lower[lowered])
        for suffix in self.suffixes:
            if lowered.endswith(suffix) and len(form) > len(suffix):
                return (form[:-len(suffix)], form[-len(suffix):])
        return (form,)
