"""One vector to a sequence: the condition is used, padding never leaks, features + captions
files are read and learned."""

from pathlib import Path

import numpy as np
import pytest

import rnnlab
from rnnlab.data.conditioned_text import (
    ConditionedTexts,
    features_and_captions,
    labelled_directory,
    read_conditioned_texts,
)
from rnnlab.data.errors import DataFormatError
from rnnlab.data.levels import split_tokens
from rnnlab.decoding import Sampler
from rnnlab.models.conditional_generator import (
    ConditionalGenerator,
    ConditionalGeneratorConfig,
    generator_vocab,
)
from rnnlab.optim import Adam

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm"
TEXTS = ["abca", "bcab", "cc", "a"]


def generator(mode: str, texts=TEXTS, level="char", dim=3, seed=0, **overrides):
    rnnlab.seed(seed)
    vocab = generator_vocab([split_tokens(t, level) for t in texts])
    settings = {"embedding_dim": 5, "hidden_size": 8, "init_scale": 0.5}
    settings.update(overrides)
    config = ConditionalGeneratorConfig(
        vocab_size=len(vocab), condition_dim=dim, level=level, condition_mode=mode, **settings
    )
    return ConditionalGenerator(config, vocab)


def next_token_distributions(model, conditions, prefix):
    batch = model.make_batch(conditions, [prefix] * len(conditions))
    logits = model.forward(batch).data[len(prefix)]  # after <bos> + prefix
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("mode", ["init", "init+input"])
def test_different_conditions_give_different_distributions(mode, cell):
    model = generator(mode, cell=cell, num_layers=2)
    conditions = np.eye(3, dtype=np.float32)
    for prefix in ("", "ab"):
        p = next_token_distributions(model, conditions, prefix)
        assert np.abs(p[0] - p[1]).max() > 1e-3
        assert np.abs(p[1] - p[2]).max() > 1e-3
    batch = model.make_batch(conditions, ["ab", "c", "abc"])
    model.loss(batch).backward()
    assert np.abs(model.condition_to_state.weight.grad).max() > 0


def test_unconditional_model_ignores_the_vector():
    model = generator("none")
    p = next_token_distributions(model, np.eye(3, dtype=np.float32), "ab")
    np.testing.assert_allclose(p[0], p[1], rtol=1e-6)
    assert not hasattr(model, "condition_to_state")


def test_padding_never_leaks_into_the_loss():
    model = generator("init", num_layers=2).double()
    conditions = np.eye(3)[:2]
    together = model.loss(model.make_batch(conditions, ["abcab", "c"])).item()
    alone = [model.loss(model.make_batch(conditions[i : i + 1], [t])).item()
             for i, t in enumerate(["abcab", "c"])]
    # token-weighted mean: 6 targets ("abcab" + <eos>) and 2 ("c" + <eos>)
    assert together == pytest.approx((6 * alone[0] + 2 * alone[1]) / 8, rel=1e-10)
    batch = model.make_batch(conditions, ["abcab", "c"])
    assert batch.ids[0].tolist() == [model.vocab.bos_id] * 2
    assert batch.targets[1, 1] == model.vocab.eos_id and batch.lengths.tolist() == [6, 2]
    assert batch.num_tokens == 8 and batch.mask[:, 1].tolist() == [True, True] + [False] * 4


def test_reads_features_and_captions_and_learns_to_caption_each_vector():
    data = features_and_captions(FIXTURES / "captions" / "features.npy",
                                 FIXTURES / "captions" / "captions.txt")
    assert data.conditions.shape == (4, 6) and data.labels is None
    assert data.texts[2] == "a man rides a red bike"
    model = generator("init", texts=data.texts, level="word", dim=6, seed=1,
                      embedding_dim=16, hidden_size=32, init_scale=0.1)
    batch = model.make_batch(data.conditions, data.texts)
    optimizer = Adam(model.parameters(), lr=0.03)
    for _ in range(120):
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
    assert model.generate(data.conditions, sampler=Sampler(greedy=True)) == data.texts
    sampled = model.generate(data.conditions, sampler=Sampler(top_k=2), seed=9)
    assert sampled == model.generate(data.conditions, sampler=Sampler(top_k=2), seed=9)


def test_feature_file_errors_name_the_problem(tmp_path):
    captions = tmp_path / "captions.txt"
    captions.write_text("one\ntwo\n", encoding="utf-8")
    np.save(tmp_path / "three.npy", np.zeros((3, 4), np.float32))
    with pytest.raises(DataFormatError, match="2 captions but 3 feature rows"):
        features_and_captions(tmp_path / "three.npy", captions)
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(DataFormatError, match="2-D numeric"):
        features_and_captions(tmp_path / "cube.npy", captions)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(DataFormatError, match="objects.npy: the array holds Python objects") \
            as caught:
        features_and_captions(tmp_path / "objects.npy", captions)
    assert "pickle" not in str(caught.value)
    (tmp_path / "gap.txt").write_text("one\n\n", encoding="utf-8")
    np.save(tmp_path / "two.npy", np.zeros((2, 4), np.float32))
    with pytest.raises(DataFormatError, match="gap.txt:2: empty caption"):
        features_and_captions(tmp_path / "two.npy", tmp_path / "gap.txt")
    with pytest.raises(ValueError, match="--data takes"):
        read_conditioned_texts([str(captions)])


def test_labelled_directory_gives_one_hot_conditions_and_a_fixed_split(tmp_path):
    data = labelled_directory(FIXTURES / "names")
    assert data.labels == ["Dutch", "Japanese"]
    assert len(data) == 20
    dutch = data.texts.index("De Vries")
    np.testing.assert_array_equal(data.conditions[dutch], [1.0, 0.0])
    (tmp_path / "A.txt").write_text("Bo\nBo\nÉmile\n", encoding="utf-8")
    (tmp_path / "B.txt").write_text("Bo\n", encoding="utf-8")
    small = labelled_directory(tmp_path)
    assert small.texts == ["Bo", "Emile", "Bo"]  # duplicate pairs kept once, ASCII folded
    train, held = data.split(0.25, seed=3)
    again, held_again = data.split(0.25, seed=3)
    assert held.texts == held_again.texts and len(held) == 5 and len(train) == 15
    assert sorted(train.texts + held.texts) == sorted(data.texts)


def test_generate_needs_matching_vectors_and_known_labels():
    data = ConditionedTexts(np.eye(2, dtype=np.float32), ["ab", "ba"], ["x", "y"])
    model = generator("init", texts=data.texts, dim=2, labels=["x", "y"])
    np.testing.assert_array_equal(model.condition_vector("y"), [0.0, 1.0])
    with pytest.raises(ValueError, match="unknown condition 'z'"):
        model.condition_vector("z")
    with pytest.raises(ValueError, match="must have 2 values"):
        model.generate(np.ones((1, 3), np.float32))
    texts = model.generate(np.eye(2), max_length=5, seed=1)
    assert all(len(t) <= 5 for t in texts)
