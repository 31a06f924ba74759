"""Sentences for the agreement experiment (LECTURE §5): "The cat(s), which …, was/were full".

A sentence is ``the SUBJECT`` + a clause of exactly ``distance`` words + the verb. The
clause is "which" followed by filler words and prepositional phrases "near the NOUN" in a
random order; a noun whose number differs from the subject's is an *attractor* — a
recency-based guess ("agree with the last noun") goes wrong on it::

    the cats which already ate near the dog a bunch of food  → were
        ^^^^ subject                    ^^^ attractor              (distance 10, 1 attractor)

Nouns of the subject's own number also appear, so "a noun was seen" says nothing by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOUNS = (("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("mouse", "mice"),
         ("child", "children"), ("horse", "horses"), ("fox", "foxes"), ("girl", "girls"))
FILLERS = ("already", "ate", "a", "bunch", "of", "food", "yesterday", "quietly", "often",
           "outside", "slept", "played")
PREPOSITIONS = ("near", "with", "behind")
VERBS = ("was", "were")
PAD = "<pad>"
VOCAB = (PAD, "the", "which", *FILLERS, *PREPOSITIONS,
         *(noun for pair in NOUNS for noun in pair), *VERBS, "full")
WORD_ID = {word: i for i, word in enumerate(VOCAB)}
PLURAL_NOUNS = {plural for _, plural in NOUNS}
SINGULAR_NOUNS = {singular for singular, _ in NOUNS}
PHRASE = 3  # "near the NOUN"


@dataclass(frozen=True)
class AgreementExample:
    """The words up to the verb, and the labels: the subject's number (``plural``), the
    number of words between subject and verb (``distance``) and of ``attractors``."""

    words: tuple[str, ...]
    plural: bool
    distance: int
    attractors: int

    @property
    def verb(self) -> str:
        return VERBS[int(self.plural)]

    def sentence(self) -> str:
        return " ".join((*self.words, self.verb, "full"))


def max_nouns(distance: int) -> int:
    """How many "near the NOUN" phrases fit in a clause of ``distance`` words ("which" + …)."""
    return max(distance - 1, 0) // PHRASE


def make_example(
    rng: np.random.Generator, plural: bool, distance: int, attractors: int,
    other_nouns: int | None = None,
) -> AgreementExample:
    """One sentence with exactly ``distance`` clause words and ``attractors`` attractors.

    ``other_nouns`` (nouns of the subject's own number) is drawn at random from what still
    fits when not given.
    """
    room = max_nouns(distance)
    if distance < 0 or not 0 <= attractors <= room:
        raise ValueError(f"a clause of {distance} words holds 0 … {room} attractors, "
                         f"not {attractors}")
    if other_nouns is None:
        other_nouns = int(rng.integers(0, room - attractors + 1))
    if attractors + other_nouns > room:
        raise ValueError(f"{attractors} + {other_nouns} nouns do not fit in {distance} words")
    subject = NOUNS[rng.integers(len(NOUNS))][int(plural)]
    chunks: list[list[str]] = []
    for noun_plural in [not plural] * attractors + [plural] * other_nouns:
        noun = NOUNS[rng.integers(len(NOUNS))][int(noun_plural)]
        chunks.append([PREPOSITIONS[rng.integers(len(PREPOSITIONS))], "the", noun])
    fillers = distance - 1 - PHRASE * len(chunks) if distance else 0
    chunks.extend([FILLERS[i]] for i in rng.integers(0, len(FILLERS), size=fillers))
    order = rng.permutation(len(chunks))
    clause = (["which"] if distance else []) + [w for i in order for w in chunks[i]]
    return AgreementExample(("the", subject, *clause), plural, distance, attractors)


def random_examples(
    rng: np.random.Generator, count: int, max_distance: int, max_clause_nouns: int,
    attractor_rate: float, min_distance: int = 0,
) -> list[AgreementExample]:
    """Distance uniform in [min_distance, max_distance]; the clause's noun count uniform over
    what fits (at most ``max_clause_nouns``); each noun an attractor with probability
    ``attractor_rate``, as attractors are the exception in real text; subject number a fair
    coin."""
    examples = []
    for _ in range(count):
        distance = int(rng.integers(min_distance, max_distance + 1))
        nouns = int(rng.integers(0, min(max_clause_nouns, max_nouns(distance)) + 1))
        attractors = int(rng.binomial(nouns, attractor_rate))
        examples.append(make_example(rng, bool(rng.integers(2)), distance, attractors,
                                     other_nouns=nouns - attractors))
    return examples


def encode(
    examples: list[AgreementExample], complete: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word ids (T, B) padded with 0 (time-major), lengths (B,) and labels (B,): 1 = plural.

    ``complete`` appends the verb and "full" (the whole sentence, for a language model).
    """
    sentences = [(*e.words, e.verb, "full") if complete else e.words for e in examples]
    lengths = np.array([len(words) for words in sentences])
    ids = np.zeros((lengths.max(), len(examples)), np.int64)
    for b, words in enumerate(sentences):
        ids[: lengths[b], b] = [WORD_ID[w] for w in words]
    return ids, lengths, np.array([int(e.plural) for e in examples])
