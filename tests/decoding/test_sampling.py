"""Greedy, temperature, top-k and top-p sampling, and the shared generation loop."""

import numpy as np
import pytest

from rnnlab.data.levels import join_tokens, split_tokens
from rnnlab.decoding import Sampler, filtered_probabilities, sample_sequence

LOGITS = np.log(np.array([[0.05, 0.5, 0.15, 0.3]]))  # sorted: 1 (.5), 3 (.3), 2 (.15), 0 (.05)


def draw(sampler: Sampler, logits: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([sampler.choose(logits, rng) for _ in range(n)])


def test_same_seed_same_samples_and_other_seed_differs():
    sampler = Sampler(temperature=1.3)
    logits = np.random.default_rng(0).standard_normal((3, 50))
    a, b = draw(sampler, logits, 40, seed=5), draw(sampler, logits, 40, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, draw(sampler, logits, 40, seed=6))


def test_top_k_never_samples_outside_the_k_best():
    logits = np.random.default_rng(1).standard_normal((4, 30))
    top3 = np.argsort(-logits, axis=1)[:, :3]
    rng = np.random.default_rng(0)
    seen = [set() for _ in range(4)]
    for _ in range(500):
        ids = Sampler(temperature=5.0, top_k=3).choose(logits, rng)  # flat: tail would show up
        for row, token in enumerate(ids):
            assert token in top3[row]
            seen[row].add(int(token))
    assert all(len(s) == 3 for s in seen)  # and all three are reachable


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = filtered_probabilities(LOGITS, top_p=0.75)
    # .5 < .75, .5 + .3 ≥ .75 → keep tokens 1 and 3, renormalised to 5/8 and 3/8
    np.testing.assert_allclose(probs, [[0.0, 0.625, 0.0, 0.375]])
    np.testing.assert_allclose(filtered_probabilities(LOGITS, top_p=0.4), [[0, 1, 0, 0]])
    samples = draw(Sampler(top_p=0.75), LOGITS, 2000, seed=3)
    assert set(samples.tolist()) == {1, 3}
    assert abs((samples == 1).mean() - 0.625) < 0.04


def test_top_k_then_top_p_and_temperature():
    np.testing.assert_allclose(
        filtered_probabilities(LOGITS, top_k=3), [[0, 0.5 / 0.95, 0.15 / 0.95, 0.3 / 0.95]]
    )
    cold = filtered_probabilities(LOGITS, temperature=0.1)
    hot = filtered_probabilities(LOGITS, temperature=10.0)
    assert cold[0, 1] > 0.99
    assert hot.max() - hot.min() < 0.1


def test_greedy_is_the_argmax_and_needs_no_randomness():
    logits = np.random.default_rng(2).standard_normal((5, 9))
    ids = Sampler(greedy=True).choose(logits, np.random.default_rng(0))
    np.testing.assert_array_equal(ids, logits.argmax(axis=1))


@pytest.mark.parametrize(
    "kwargs", [{"temperature": 0.0}, {"top_k": -1}, {"top_p": 0.0}, {"top_p": 1.5}]
)
def test_invalid_sampler_settings_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Sampler(**kwargs)


def test_sample_sequence_feeds_back_and_stops_at_the_stop_token():
    # a "model" whose next token is always previous + 1; token 4 is the stop token
    def step(ids, state):
        logits = np.full((len(ids), 6), -50.0)
        logits[np.arange(len(ids)), np.minimum(ids + 1, 5)] = 0.0
        return logits, state + 1

    first = np.full((2, 6), -50.0)
    first[0, 1] = first[1, 2] = 0.0
    rows = sample_sequence(step, first, 0, 10, Sampler(greedy=True), np.random.default_rng(0),
                           stop_id=4)
    assert rows == [[1, 2, 3], [2, 3]]
    assert sample_sequence(step, first, 0, 2, Sampler(greedy=True),
                           np.random.default_rng(0)) == [[1, 2], [2, 3]]


def test_word_and_char_levels_round_trip():
    text = "the cat\nsat down"
    assert split_tokens(text, "word") == ["the", "cat", "<eos>", "sat", "down"]
    assert join_tokens(split_tokens(text, "word"), "word") == text
    assert join_tokens(split_tokens(text, "char"), "char") == text
    with pytest.raises(ValueError):
        split_tokens(text, "byte")
