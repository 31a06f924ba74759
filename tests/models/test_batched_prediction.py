"""Prediction in batches: any ``batch_size`` gives the numbers of one big batch, in the
input order (classification, generation; tagging and translation have their own tests)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import random as rnd
from rnnlab.data.levels import split_tokens
from rnnlab.data.vocab import Vocab
from rnnlab.decoding import Sampler
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier
from rnnlab.models.conditional_generator import (
    ConditionalGenerator,
    ConditionalGeneratorConfig,
    generator_vocab,
)
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig

SENTENCES = [["a", "good", "film"], ["bad"], ["a", "very", "very", "long", "bad", "one"],
             ["good"], ["fine", "film"]]


def _classifier() -> SentenceClassifier:
    vocab = Vocab.build(SENTENCES)
    rnd.seed(0)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=3, embed_dim=6,
                              hidden_size=5, bidirectional=True, pooling="max")
    return SentenceClassifier(config, vocab, ["neg", "neu", "pos"])


def test_classifier_batches_give_the_probabilities_of_one_batch_in_input_order():
    model = _classifier()
    whole = model.predict_proba(SENTENCES, batch_size=len(SENTENCES))
    for batch_size in (1, 2, 3):
        np.testing.assert_allclose(model.predict_proba(SENTENCES, batch_size), whole,
                                   rtol=1e-5, atol=1e-6)
    alone = [model.predict_proba([s])[0] for s in SENTENCES]  # row i belongs to sentence i
    np.testing.assert_allclose(np.array(alone), whole, rtol=1e-5, atol=1e-6)
    texts = [" ".join(s) for s in SENTENCES]
    assert model.classify(texts, batch_size=2) == model.classify(texts)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model.classify(texts, batch_size=0)


def test_generators_give_the_same_greedy_texts_in_any_batch_size():
    rnd.seed(0)
    texts = ["abca", "bcab", "cc", "a"]
    vocab = generator_vocab([split_tokens(t, "char") for t in texts])
    generator = ConditionalGenerator(ConditionalGeneratorConfig(
        vocab_size=len(vocab), condition_dim=3, level="char", embedding_dim=5, hidden_size=8,
        init_scale=0.5), vocab)
    conditions = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    greedy = Sampler(greedy=True)
    whole = generator.generate(conditions, 6, greedy)
    assert generator.generate(conditions, 6, greedy, batch_size=2) == whole
    assert [generator.generate(c[None], 6, greedy)[0] for c in conditions] == whole
    sampled = generator.generate(conditions, 6, Sampler(top_k=2), seed=3, batch_size=2)
    assert sampled == generator.generate(conditions, 6, Sampler(top_k=2), seed=3, batch_size=2)

    lm_vocab = Vocab.build([list("0123456789")], pad=None, unk=None)
    model = LanguageModel(LanguageModelConfig(vocab_size=len(lm_vocab), level="char",
                                              embedding_dim=4, hidden_size=6), lm_vocab)
    whole = model.generate("12", 5, greedy, num_samples=3)
    assert len(whole) == 3
    assert model.generate("12", 5, greedy, num_samples=3, batch_size=2) == whole
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model.generate("12", 5, greedy, batch_size=0)


def test_prediction_runs_on_a_single_threaded_blas_beside_two_layer_threads(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    from rnnlab.recurrent import parallel

    model = _classifier()
    seen = []
    forward = SentenceClassifier.forward
    monkeypatch.setattr(SentenceClassifier, "forward", lambda self, batch: (
        seen.append(max(lib["num_threads"] for lib in threadpool_info()
                        if lib["user_api"] == "blas" and lib["internal_api"] != "mkl")),
        forward(self, batch))[1])
    parallel.set_num_threads(2)
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            model.predict_proba(SENTENCES, batch_size=2)
    finally:
        parallel.set_num_threads(None)
    assert seen == [1, 1, 1]
