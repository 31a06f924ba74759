"""The language model: PyTorch parity, weight tying, perplexity, memorisation, save/load."""

import math

import numpy as np
import pytest
import torch

import rnnlab
from rnnlab.data.batch import NextTokenBatch
from rnnlab.data.text import tbptt_batches
from rnnlab.data.vocab import Vocab
from rnnlab.decoding import Sampler
from rnnlab.engine import ops
from rnnlab.models.conditional_generator import ConditionalGenerator
from rnnlab.models.language_model import (
    LanguageModel,
    LanguageModelConfig,
    LanguageModelScore,
    SoftmaxNLL,
    build_vocab,
)
from rnnlab.optim import Adam, clip_grad_norm


def digit_vocab(n: int) -> Vocab:
    return Vocab([str(i) for i in range(n)], pad=None, unk=None)


def model_of(vocab: Vocab, seed: int = 0, **overrides) -> LanguageModel:
    rnnlab.seed(seed)
    settings = {"level": "char", "embedding_dim": 5, "hidden_size": 6, "num_layers": 2,
                "init_scale": 0.3}
    settings.update(overrides)
    return LanguageModel(LanguageModelConfig(vocab_size=len(vocab), **settings), vocab)


def test_matches_pytorch_embedding_lstm_linear():
    V = 7
    model = model_of(digit_vocab(V)).double()
    rng = np.random.default_rng(0)
    ids, targets = rng.integers(0, V, (8, 3)), rng.integers(0, V, (8, 3))
    loss = model.loss(NextTokenBatch.unpadded(ids, targets=targets))
    loss.backward()

    state = {k: torch.tensor(v) for k, v in model.state_dict().items()}
    emb, lstm, dec = torch.nn.Embedding(V, 5), torch.nn.LSTM(5, 6, 2), torch.nn.Linear(6, V)
    emb.weight.data = state["embedding.weight"]
    for layer in range(2):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, f"{name}_l{layer}").data = state[f"layers.{layer}.{name}_l0"].clone()
    dec.weight.data, dec.bias.data = state["decoder.weight"], state["decoder.bias"]
    for p in (*emb.parameters(), *lstm.parameters(), *dec.parameters()):
        p.requires_grad_(True)
    logits = dec(lstm(emb(torch.tensor(ids)))[0])
    reference = torch.nn.functional.cross_entropy(
        logits.reshape(-1, V), torch.tensor(targets).reshape(-1)
    )
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(model.embedding.weight.grad, emb.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(model.layers[1].weight_hh_l0.grad,
                               lstm.weight_hh_l1.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(model.decoder.weight.grad, dec.weight.grad.numpy(), atol=1e-12)


def test_tied_weight_is_one_parameter_receiving_both_gradients():
    V = 8
    tied = model_of(digit_vocab(V), tie_weights=True, embedding_dim=6).double()
    names = [n for n, _ in tied.named_parameters()]
    assert "embedding.weight" in names and not any(n.startswith("decoder.") for n in names)
    assert tied.output_weight is tied.embedding.weight

    rng = np.random.default_rng(1)
    batch = NextTokenBatch.unpadded(rng.integers(0, V, (5, 2)),
                                    targets=rng.integers(0, V, (5, 2)))
    tied.loss(batch).backward()

    untied = model_of(digit_vocab(V), embedding_dim=6).double()
    state = {k: v for k, v in tied.state_dict().items() if k != "decoder_bias"}
    state["decoder.weight"] = state["embedding.weight"].copy()
    state["decoder.bias"] = tied.decoder_bias.data.copy()
    untied.load_state_dict(state)
    untied.loss(batch).backward()
    both = untied.embedding.weight.grad + untied.decoder.weight.grad
    np.testing.assert_allclose(tied.embedding.weight.grad, both, rtol=1e-12, atol=1e-15)
    assert np.abs(untied.embedding.weight.grad).max() > 0  # both uses really contribute
    assert np.abs(untied.decoder.weight.grad).max() > 0

    # and the sum is the true derivative (central differences)
    weight, eps = tied.embedding.weight, 1e-6
    for index in [(int(batch.ids[0, 0]), 1), (int(batch.targets[2, 1]), 4), (V - 1, 0)]:
        saved = weight.data[index]
        weight.data[index] = saved + eps
        tied.start_epoch()
        up = tied.loss(batch).item()
        weight.data[index] = saved - eps
        tied.start_epoch()
        down = tied.loss(batch).item()
        weight.data[index] = saved
        assert tied.embedding.weight.grad[index] == pytest.approx((up - down) / (2 * eps),
                                                                  rel=1e-6, abs=1e-9)


def test_tying_needs_matching_sizes():
    with pytest.raises(ValueError, match="embedding_dim == hidden_size"):
        LanguageModelConfig(vocab_size=5, tie_weights=True, embedding_dim=4, hidden_size=6)


def test_perplexity_and_bits_on_a_hand_checked_example():
    # W_o = 0, b_o = log(.5, .25, .25): every step predicts (.5, .25, .25) whatever came before
    model = model_of(digit_vocab(3))
    model.decoder.weight.data[:] = 0.0
    model.decoder.bias.data[:] = np.log([0.5, 0.25, 0.25])
    score = model.score_stream(np.array([2, 0, 1]), batch_size=1, bptt=10)
    # targets 0 then 1: NLL = (ln 2 + ln 4) / 2 = 1.5 ln 2 → perplexity 2^1.5, 1.5 bits/token
    assert score.tokens == 2
    assert score.nll == pytest.approx(1.5 * math.log(2), rel=1e-6)
    assert score.perplexity == pytest.approx(2**1.5, rel=1e-6)
    assert score.bits_per_token == pytest.approx(1.5, rel=1e-6)
    assert LanguageModelScore(math.log(10.0), 4).perplexity == pytest.approx(10.0)


def test_memorises_a_tiny_text_and_regenerates_it_greedily():
    text = "the quick brown fox jumps over the lazy dog. " * 8
    vocab = build_vocab(list(text), "char")
    model = model_of(vocab, seed=3, embedding_dim=16, hidden_size=48, num_layers=1,
                     init_scale=0.1)
    ids = model.encode(text)
    windows = list(tbptt_batches(ids, batch_size=4, bptt=16))
    optimizer = Adam(model.parameters(), lr=0.02)
    for _ in range(30):
        model.start_epoch()
        for window in windows:
            optimizer.zero_grad()
            loss = model.loss(window)
            loss.backward()
            clip_grad_norm(model.parameters(), 5.0)
            optimizer.step()
    assert model.score_stream(ids, 1, 50).nll < 0.05
    [generated] = model.generate("the q", length=40, sampler=Sampler(greedy=True))
    assert generated == "the quick brown fox jumps over the lazy dog. "


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("dropout_kind", ["standard", "locked"])
def test_cells_and_dropout_kinds_train(cell, dropout_kind):
    model = model_of(digit_vocab(6), cell=cell, dropout=0.5, dropout_kind=dropout_kind)
    batch = next(iter(tbptt_batches(np.arange(40) % 6, batch_size=2, bptt=6)))
    loss = model.loss(batch)
    loss.backward()
    assert np.isfinite(loss.item())
    assert all(np.abs(p.grad).max() > 0 for p in model.parameters())
    model.eval()
    first, _ = model.forward(batch.ids)
    again, _ = model.forward(batch.ids)
    np.testing.assert_array_equal(first.data, again.data)  # no dropout in evaluation
    model.train()
    noisy, _ = model.forward(batch.ids)
    assert not np.allclose(noisy.data, first.data)


def test_save_load_round_trip_and_word_level_text(tmp_path):
    words = ["the", "cat", "sat", "on", "the", "mat", "<eos>", "the", "dog", "sat", "<eos>"]
    vocab = build_vocab(words, "word")
    assert vocab.tokens[:2] == ["<unk>", "<eos>"]
    model = model_of(vocab, level="word", tie_weights=True, embedding_dim=6)
    model.save(tmp_path / "lm")
    loaded = LanguageModel.load(tmp_path / "lm")
    ids = model.encode("the cat sat\nthe dog")
    assert model.decode(ids.tolist()) == "the cat sat\nthe dog"
    np.testing.assert_array_equal(model.forward(ids[:, None])[0].data,
                                  loaded.forward(ids[:, None])[0].data)
    assert model.encode("a zebra").tolist() == [vocab.unk_id, vocab.unk_id]
    a = loaded.generate("the", length=6, sampler=Sampler(top_k=3), seed=4, num_samples=2)
    assert a == loaded.generate("the", length=6, sampler=Sampler(top_k=3), seed=4, num_samples=2)
    assert all(text.startswith("the ") for text in a)
    with pytest.raises(ValueError, match="not a conditional generator"):
        ConditionalGenerator.load(tmp_path / "lm")


def test_output_logits_are_the_decoder_of_the_last_layer():
    model = model_of(digit_vocab(5), num_layers=1)
    ids = np.array([[1], [2]])
    logits, (state,) = model.forward(ids)
    h_last = state[0].data[0]
    expected = ops.linear(h_last, model.decoder.weight, model.decoder.bias).data
    np.testing.assert_allclose(logits.data[-1], expected, rtol=1e-6)


def test_fused_softmax_nll_equals_linear_then_cross_entropy_even_for_extreme_scores():
    rng = np.random.default_rng(4)
    h = rnnlab.Tensor(rng.standard_normal((3, 2, 5)) * 40, requires_grad=True)  # |z| ≫ 100
    weight = rnnlab.Tensor(rng.standard_normal((7, 5)), requires_grad=True)
    bias = rnnlab.Tensor(rng.standard_normal(7), requires_grad=True)
    targets = rng.integers(0, 7, (3, 2))
    fused = SoftmaxNLL.apply(h, weight, bias, targets)
    fused.backward()
    grads = [t.grad.copy() for t in (h, weight, bias)]
    for t in (h, weight, bias):
        t.grad = None
    reference = ops.cross_entropy(ops.linear(h, weight, bias), targets, reduction="sum")
    reference.backward()
    assert np.isfinite(fused.item()) and fused.item() > 100
    assert fused.item() == pytest.approx(reference.item(), rel=1e-12)
    for mine, t in zip(grads, (h, weight, bias), strict=True):
        np.testing.assert_allclose(mine, t.grad, rtol=1e-10, atol=1e-12)
