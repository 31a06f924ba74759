"""The agreement sentences: subject number, distance and attractor count are right."""

import numpy as np
import pytest

from rnnlab.demos.agreement_data import (
    PLURAL_NOUNS,
    SINGULAR_NOUNS,
    VOCAB,
    WORD_ID,
    encode,
    make_example,
    max_nouns,
    random_examples,
)


def labels_from_words(words):
    """Recompute the labels from the words alone."""
    subject = words[1]
    plural = subject in PLURAL_NOUNS
    clause = words[2:]
    attractors = sum((w in PLURAL_NOUNS) != plural for w in clause
                     if w in PLURAL_NOUNS or w in SINGULAR_NOUNS)
    return plural, len(clause), attractors


def test_labels_match_the_words():
    examples = random_examples(np.random.default_rng(0), 500, 20, 6, 0.5)
    for e in examples:
        assert e.words[0] == "the" and e.words[1] in PLURAL_NOUNS | SINGULAR_NOUNS
        assert labels_from_words(e.words) == (e.plural, e.distance, e.attractors)
        assert e.verb == ("were" if e.plural else "was")
        assert e.sentence().endswith(f"{e.verb} full")
    assert {e.attractors for e in examples} >= {0, 1, 2, 3}
    assert {e.distance for e in examples} == set(range(21))
    assert 0.4 < np.mean([e.plural for e in examples]) < 0.6


@pytest.mark.parametrize("plural", [False, True])
def test_exact_distance_and_attractors(plural):
    rng = np.random.default_rng(1)
    for distance in range(0, 17):
        for attractors in range(max_nouns(distance) + 1):
            e = make_example(rng, plural, distance, attractors, other_nouns=0)
            assert labels_from_words(e.words) == (plural, distance, attractors)
            nouns = [w for w in e.words[2:] if w in PLURAL_NOUNS | SINGULAR_NOUNS]
            assert len(nouns) == attractors  # no other nouns were asked for


def test_clause_starts_with_which_and_empty_clause_has_none():
    rng = np.random.default_rng(2)
    assert make_example(rng, True, 0, 0).words[2:] == ()
    assert make_example(rng, True, 5, 1).words[2] == "which"


def test_impossible_requests_are_refused():
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="attractors"):
        make_example(rng, True, 3, 1)  # "which" + 2 words: no room for "near the NOUN"
    with pytest.raises(ValueError, match="fit"):
        make_example(rng, True, 7, 1, other_nouns=2)


def test_encode_pads_time_major_and_completes_sentences():
    rng = np.random.default_rng(4)
    examples = [make_example(rng, False, 0, 0), make_example(rng, True, 6, 1)]
    ids, lengths, labels = encode(examples)
    assert ids.shape == (8, 2) and lengths.tolist() == [2, 8] and labels.tolist() == [0, 1]
    assert np.all(ids[2:, 0] == 0)  # padding
    assert [VOCAB[i] for i in ids[:8, 1]] == list(examples[1].words)
    full, full_lengths, _ = encode(examples, complete=True)
    assert full_lengths.tolist() == [4, 10]
    assert full[2, 0] == WORD_ID["was"] and full[8, 1] == WORD_ID["were"]
    assert full[3, 0] == WORD_ID["full"]
