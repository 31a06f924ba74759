"""Greedy and beam search on a toy model small enough to enumerate every output."""

import itertools

import numpy as np
import pytest

from rnnlab.decoding import (
    Hypothesis,
    beam_search,
    greedy_search,
    length_normalized,
    max_output_lengths,
    replace_unknowns,
)

PAD, BOS, EOS = 0, 1, 2
WORDS = (3, 4, 5)
V, S = 6, 3


class MarkovToy:
    """P(next | previous token) from one random table per sentence; the 'attention' of a
    step is a fixed distribution chosen by the sentence and the previous token."""

    bos_id, eos_id = BOS, EOS

    def __init__(self, sentences, seed):
        rng = np.random.default_rng(seed)
        logits = rng.standard_normal((sentences, V, V)) * 2.0
        self.log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        self.log_probs[:, :, [PAD, BOS]] = -np.inf
        attention = rng.random((sentences, V, S))
        self.attention = attention / attention.sum(axis=2, keepdims=True)

    def start(self, sentences):
        return np.arange(sentences)  # the state of a row is its sentence index

    def decode_step(self, tokens, state):
        return self.log_probs[state, tokens].copy(), state, self.attention[state, tokens]

    def reorder_state(self, state, rows, sentences):
        return state[rows]

    def path_score(self, sentence, tokens, ended):
        path = [BOS, *tokens] + ([EOS] if ended else [])
        return sum(self.log_probs[sentence, a, b] for a, b in itertools.pairwise(path))


def _all_hypotheses(toy, sentence, max_length):
    """Every output the decoders may return for a sentence, with its summed log-probability."""
    for n in range(max_length + 1):
        for words in itertools.product(WORDS, repeat=n):
            if n < max_length:
                yield list(words), toy.path_score(sentence, words, True), n + 1
            if n == max_length:
                yield list(words), toy.path_score(sentence, words, False), n


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_finds_the_best_hypothesis_when_all_can_be_enumerated(alpha, seed):
    max_lengths = np.array([3, 1, 2, 3])
    toy = MarkovToy(len(max_lengths), seed)
    found = beam_search(toy, toy.start(4), max_lengths, beam_size=64, length_penalty=alpha)
    for sentence, limit in enumerate(max_lengths):
        best = max(
            _all_hypotheses(toy, sentence, limit),
            key=lambda h: length_normalized(h[1], h[2], alpha),
        )
        assert found[sentence].tokens == best[0]
        assert found[sentence].score == pytest.approx(best[1], abs=1e-12)
        assert found[sentence].length == best[2]


@pytest.mark.parametrize("seed", range(6))
def test_beam_of_one_is_greedy(seed):
    max_lengths = np.array([4, 2, 6, 1, 5])
    toy = MarkovToy(len(max_lengths), seed)
    greedy = greedy_search(toy, toy.start(5), max_lengths)
    beam = beam_search(toy, toy.start(5), max_lengths, beam_size=1)
    for g, b in zip(greedy, beam, strict=True):
        assert g.tokens == b.tokens and g.length == b.length
        assert g.score == pytest.approx(b.score, abs=1e-12)
        np.testing.assert_array_equal(g.attention, b.attention)


def test_scores_and_attention_follow_each_returned_hypothesis():
    max_lengths = np.array([5, 3, 4])
    toy = MarkovToy(3, seed=7)
    for hypotheses in (
        greedy_search(toy, toy.start(3), max_lengths),
        beam_search(toy, toy.start(3), max_lengths, beam_size=3, length_penalty=0.5),
    ):
        for sentence, h in enumerate(hypotheses):
            ended = h.length == len(h.tokens) + 1
            assert ended or len(h.tokens) == max_lengths[sentence]
            assert h.score == pytest.approx(toy.path_score(sentence, h.tokens, ended))
            previous = [BOS, *h.tokens][: len(h.tokens)]
            np.testing.assert_array_equal(h.attention, toy.attention[sentence, previous])


def test_outputs_respect_each_sentence_length_limit():
    toy = MarkovToy(2, seed=3)
    toy.log_probs[:, :, EOS] = -50.0  # never wants to stop
    limits = np.array([2, 5])
    for hypotheses in (
        greedy_search(toy, toy.start(2), limits),
        beam_search(toy, toy.start(2), limits, beam_size=4),
    ):
        assert [len(h.tokens) for h in hypotheses] == [2, 5]
        assert [h.length for h in hypotheses] == [2, 5]


def test_length_normalisation_and_length_limits():
    assert length_normalized(-6.0, 3, 0.0) == -6.0
    assert length_normalized(-6.0, 3, 1.0) == -2.0
    assert Hypothesis([4, 5], -6.0, 3).normalized_score(1.0) == -2.0
    np.testing.assert_array_equal(max_output_lengths([0, 4, 10], 1.5, 2), [2, 8, 17])
    np.testing.assert_array_equal(max_output_lengths([3], 0.0, 0), [1])
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(MarkovToy(1, 0), np.arange(1), [3], beam_size=0)


def test_unknown_words_are_copied_from_the_most_attended_source_word():
    attention = np.array([[0.1, 0.8, 0.1, 0.9], [0.6, 0.2, 0.2, 0.0], [0.3, 0.3, 0.4, 0.0]])
    source = ["Anna", "sieht", "Bonn"]  # the last column is padding and must be ignored
    out = replace_unknowns(["<unk>", "sees", "<unk>"], attention, source, "<unk>")
    assert out == ["sieht", "sees", "Bonn"]
    with pytest.raises(ValueError, match="attention rows"):
        replace_unknowns(["a"], attention, source, "<unk>")
