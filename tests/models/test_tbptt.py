"""Truncated BPTT: streams cut into B rows, consecutive windows, the state carried across
windows but detached, reset by start_epoch, and kept through a Trainer resume."""

import os
import signal

import numpy as np
import pytest

import rnnlab
from rnnlab.data.text import tbptt_batches
from rnnlab.data.vocab import Vocab
from rnnlab.engine import ops
from rnnlab.engine.tensor import Tensor
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig
from rnnlab.training import Trainer, TrainerConfig

V = 9


def small_model(seed: int = 0, **overrides) -> LanguageModel:
    rnnlab.seed(seed)
    config = LanguageModelConfig(
        vocab_size=V, level="char", embedding_dim=6, hidden_size=7, num_layers=2,
        init_scale=0.3, **overrides,
    )
    return LanguageModel(config, Vocab([str(i) for i in range(V)], pad=None, unk=None))


def stream(n: int = 61, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, V, n)


def grads(model: LanguageModel) -> dict[str, np.ndarray]:
    return {name: p.grad.copy() for name, p in model.named_parameters()}


def test_stream_is_split_into_rows_read_in_consecutive_windows():
    ids = np.arange(41)
    windows = list(tbptt_batches(ids, batch_size=4, bptt=3))
    rows = ids[:40].reshape(4, 10)  # row b is the b-th contiguous quarter of the stream
    inputs = np.concatenate([w.ids for w in windows])
    targets = np.concatenate([w.targets for w in windows])
    np.testing.assert_array_equal(inputs, rows.T[:-1])
    np.testing.assert_array_equal(targets, rows.T[1:])
    assert [len(w.ids) for w in windows] == [3, 3, 3]
    assert all(w.size == 4 and w.num_tokens == 12 and w.mask.all() for w in windows)


def test_carried_state_makes_windows_equal_one_long_pass():
    model = small_model()
    ids = stream()
    windows = list(tbptt_batches(ids, batch_size=3, bptt=4))
    whole_inputs = np.concatenate([w.ids for w in windows])
    whole_logits, _ = model.forward(whole_inputs)
    start = 0
    for window in windows:
        steps = len(window.ids)
        expected = ops.cross_entropy(whole_logits.data[start : start + steps], window.targets)
        np.testing.assert_allclose(model.loss(window).item(), expected.item(), rtol=1e-5)
        start += steps


def test_gradients_stop_at_the_window_start():
    model = small_model().double()
    first, second = list(tbptt_batches(stream(), batch_size=3, bptt=5))[:2]
    x1, x2, y2 = first.ids, second.ids, second.targets
    model.loss(first)
    carried = model._carried
    for layer_state in carried:
        for t in layer_state:
            assert t._creator is None and not t.requires_grad
    model.zero_grad()
    model.loss(second).backward()
    truncated = grads(model)

    # the same window from the same state given as plain constants: identical gradients
    constants = [tuple(Tensor(t.data.copy()) for t in s) for s in carried]
    model.zero_grad()
    logits, _ = model.forward(x2, constants)
    ops.cross_entropy(logits, y2).backward()
    for name, g in grads(model).items():
        np.testing.assert_allclose(truncated[name], g, rtol=1e-10, atol=1e-14)

    # full BPTT through both windows (loss on the second only) gives different gradients
    model.zero_grad()
    logits, _ = model.forward(np.concatenate([x1, x2]))
    ops.cross_entropy(logits[len(x1) :], y2).backward()
    difference = max(np.abs(truncated[n] - g).max() for n, g in grads(model).items())
    assert difference > 1e-4


def test_start_epoch_resets_and_a_new_batch_width_starts_from_zeros():
    model = small_model()
    windows = list(tbptt_batches(stream(), batch_size=3, bptt=5))
    first = model.loss(windows[0]).item()
    model.loss(windows[1])
    assert model.loss(windows[0]).item() != pytest.approx(first)
    model.start_epoch()
    assert model.loss(windows[0]).item() == pytest.approx(first)
    other_width = next(iter(tbptt_batches(stream(), batch_size=2, bptt=5)))
    fresh = small_model()
    assert model.loss(other_width).item() == pytest.approx(fresh.loss(other_width).item())


def test_trainer_state_round_trip():
    model = small_model()
    assert model.trainer_state() == {}
    model.loss(next(iter(tbptt_batches(stream(), batch_size=3, bptt=5))))
    saved = model.trainer_state()
    assert sorted(saved) == ["carried.0.c", "carried.0.h", "carried.1.c", "carried.1.h"]
    other = small_model(seed=1)
    other.load_trainer_state(saved)
    for a, b in zip(model._carried, other._carried, strict=True):
        for s, t in zip(a, b, strict=True):
            np.testing.assert_array_equal(s.data, t.data)


class InterruptedLanguageModel(LanguageModel):
    """Gets Ctrl-C (SIGINT) in loss call number ``stop_at``: the loop stops after it."""

    stop_at = 8  # epoch 2, third window: the carried state matters

    def loss(self, batch):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == self.stop_at:
            os.kill(os.getpid(), signal.SIGINT)
        return super().loss(batch)


def train(out, model_class=LanguageModel, resume=False, seed=0):
    rnnlab.seed(seed)
    base = small_model(seed=seed, dropout=0.2)
    model = model_class(base.config, base.vocab)
    model.load_state_dict(base.state_dict())
    windows = list(tbptt_batches(stream(90), batch_size=3, bptt=7))  # 5 windows per epoch
    valid = stream(40, seed=1)
    config = TrainerConfig(epochs=2, optimizer="sgd", lr=0.5, checkpoint_every=1, seed=3,
                           progress=False)
    trainer = Trainer(model, config, out, lambda epoch, rng: windows,
                      lambda: {"loss": model.score_stream(valid, 2, 5).nll})
    trainer.fit(resume=resume)
    return model.state_dict()


def test_resume_mid_epoch_continues_with_the_carried_state(tmp_path, monkeypatch):
    straight = train(tmp_path / "straight")
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "resumed", InterruptedLanguageModel)
    resumed = train(tmp_path / "resumed", resume=True, seed=99)
    for name, value in straight.items():
        np.testing.assert_array_equal(resumed[name], value)

    # control: resuming without the carried state gives other weights
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "control", InterruptedLanguageModel)
    monkeypatch.setattr(LanguageModel, "load_trainer_state", lambda self, arrays: None)
    forgetful = train(tmp_path / "control", resume=True)
    assert any(not np.array_equal(forgetful[n], v) for n, v in straight.items())
