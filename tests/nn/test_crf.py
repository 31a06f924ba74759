"""The linear-chain CRF: forward–backward gradient, Viterbi and log Z against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from shared_data import tagger_corpus

from rnnlab.data.conllu_io import read_conllu
from rnnlab.engine.tensor import Tensor
from rnnlab.io import load_arrays
from rnnlab.models import TaggerConfig
from rnnlab.models.tagger_metrics import accuracy
from rnnlab.nn.crf import CRFNegLogLikelihood, LinearChainCRF, viterbi_decode
from rnnlab.tasks.tagging import TaggerTrainingData, TaggingConfig, train
from rnnlab.training.trainer import TrainerConfig


def random_case(seed: int, steps: int = 4, batch: int = 3, tags: int = 3):
    rng = np.random.default_rng(seed)
    emissions = rng.standard_normal((steps, batch, tags))
    transitions = rng.standard_normal((tags, tags))
    start, end = rng.standard_normal(tags), rng.standard_normal(tags)
    lengths = np.array([steps] + list(rng.integers(1, steps + 1, batch - 1)))
    gold = rng.integers(0, tags, (steps, batch))
    gold[np.arange(steps)[:, None] >= lengths[None, :]] = -100  # padding
    return emissions, transitions, start, end, gold, lengths


def path_score(e, a, s, f, path):
    score = s[path[0]] + f[path[-1]] + sum(e[t, y] for t, y in enumerate(path))
    return score + sum(a[path[t - 1], path[t]] for t in range(1, len(path)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partition_and_viterbi_match_brute_force(seed):
    e, a, s, f, gold, lengths = random_case(seed)
    crf = LinearChainCRF(3, dtype=np.float64)
    crf.load_state_dict({"transitions": a, "start": s, "end": f})
    log_z = crf.log_partition(e, lengths)
    paths = crf.decode(e, lengths)
    for b, n in enumerate(lengths):
        scores = {p: path_score(e[:n, b], a, s, f, p)
                  for p in itertools.product(range(3), repeat=int(n))}
        values = np.array(list(scores.values()))
        np.testing.assert_allclose(log_z[b], np.log(np.exp(values).sum()), rtol=1e-12)
        assert tuple(paths[b]) == max(scores, key=scores.get)
    # the loss is Σ_b log Z_b − s_b(gold)
    nll = crf.neg_log_likelihood(Tensor(e), gold, lengths)
    expected = sum(log_z[b] - path_score(e[: n, b], a, s, f, gold[:n, b])
                   for b, n in enumerate(lengths))
    np.testing.assert_allclose(nll.data, expected, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences(seed, gradcheck):
    e, a, s, f, gold, lengths = random_case(seed, steps=5, batch=3, tags=4)
    inputs = {name: Tensor(x.copy(), requires_grad=True)
              for name, x in zip(("emissions", "transitions", "start", "end"), (e, a, s, f),
                                 strict=True)}
    weight = 0.7  # an upstream gradient other than 1
    gradcheck(lambda: CRFNegLogLikelihood.apply(*inputs.values(), gold, lengths) * weight,
              inputs)
    # padded positions get no emission gradient
    padded = np.arange(5)[:, None] >= lengths[None, :]
    assert np.all(inputs["emissions"].grad[padded] == 0)


def test_padding_does_not_change_scores_or_paths():
    e, a, s, f, gold, lengths = random_case(3, steps=6, batch=4)
    padded = e.copy()
    padded[np.arange(6)[:, None] >= lengths[None, :]] = 1e3  # garbage past each end
    assert viterbi_decode(e, a, s, f, lengths) == viterbi_decode(padded, a, s, f, lengths)
    one = CRFNegLogLikelihood().forward(e, a, s, f, gold, lengths)
    two = CRFNegLogLikelihood().forward(padded, a, s, f, gold, lengths)
    np.testing.assert_allclose(one, two, rtol=1e-12)


def test_rejects_bad_lengths():
    e, a, s, f, gold, lengths = random_case(0)
    with pytest.raises(ValueError, match="lengths must lie in"):
        CRFNegLogLikelihood().forward(e, a, s, f, gold, np.array([5, 1, 1]))


def test_crf_tagger_fits_the_tiny_corpus(tmp_path):
    sentences = read_conllu(tagger_corpus(tmp_path / "tiny.conllu"))
    config = TaggingConfig(
        model=TaggerConfig(word_dim=16, char_dim=8, char_hidden=16, hidden=32, dropout=0.0,
                           word_dropout=0.0, min_word_freq=1, crf=True),
        loop=TrainerConfig(epochs=6, lr=0.02, monitor="upos_accuracy", monitor_mode="max",
                           checkpoint_every=0, progress=False),
        batch_size=4,
    )
    model = train(tmp_path / "run", config,
                  prepared=TaggerTrainingData(train=sentences * 8, dev=sentences)).model
    model.load_state_dict(load_arrays(tmp_path / "run" / "checkpoint" / "model.safetensors"))
    upos, _ = model.predict([s.words for s in sentences])
    assert accuracy([s.upos for s in sentences], upos) == 1.0
    assert model.crf is not None and "crf.transitions" in model.state_dict()
