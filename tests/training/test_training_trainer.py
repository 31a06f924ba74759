"""The shared Trainer: exact resume, NaN detection, early stopping, best-model saving."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import rnnlab
from rnnlab import ops
from rnnlab.engine.module import Module
from rnnlab.io import load_model_dir, save_model_dir
from rnnlab.nn import Dropout, Linear
from rnnlab.training import NonFiniteLossError, Trainer, TrainerConfig


class TinyRegressor(Module):
    """An LSTM with dropout and a linear read-out: enough to exercise every random stream."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        super().__init__()
        rng = np.random.default_rng(1)
        self.rnn = rnnlab.LSTM(3, 5, rng=rng)
        self.drop = Dropout(0.3)
        self.out = Linear(5, 1, rng=rng)
        self.calls = 0
        self.interrupt_at = interrupt_at
        self.poison = False

    def loss(self, batch):
        self.calls += 1
        if self.interrupt_at is not None and self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        x, y = batch
        if self.poison:
            x = x * np.float32(np.nan)
            return ops.mean(x)
        _, (h, _) = self.rnn(x)
        pred = self.out(self.drop(h[0]))
        diff = pred - y
        return ops.mean(diff * diff)

    def save(self, directory):
        save_model_dir(directory, self.state_dict(), {"kind": "tiny"})


def make_data(n_batches: int = 6):
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal((4, 2, 3)).astype(np.float32),
         rng.standard_normal((2, 1)).astype(np.float32))
        for _ in range(n_batches)
    ]


def batches(data):
    def for_epoch(epoch, rng):
        return [data[i] for i in rng.permutation(len(data))]

    return for_epoch


def config(**overrides) -> TrainerConfig:
    base = dict(epochs=3, lr=0.05, checkpoint_every=1, progress=False, seed=3)
    base.update(overrides)
    return TrainerConfig(**base)


@pytest.mark.parametrize("average_decay", [0.0, 0.9])
def test_resume_after_interrupt_matches_uninterrupted_run(tmp_path: Path, average_decay):
    data = make_data()
    straight = TinyRegressor()
    cfg = config(average_decay=average_decay)
    Trainer(straight, cfg, tmp_path / "a", batches(data)).fit()

    interrupted = TinyRegressor(interrupt_at=10)  # mid-epoch 2
    with pytest.raises(KeyboardInterrupt):
        Trainer(interrupted, cfg, tmp_path / "b", batches(data)).fit()
    resumed = TinyRegressor()
    history = Trainer(resumed, cfg, tmp_path / "b", batches(data)).fit(resume=True)

    assert [row["epoch"] for row in history] == [1, 2, 3]
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
    best_a, _ = load_model_dir(tmp_path / "a" / "model")
    best_b, _ = load_model_dir(tmp_path / "b" / "model")
    for name, value in best_a.items():  # the saved best model (the average, if kept)
        np.testing.assert_array_equal(best_b[name], value, err_msg=name)


def test_non_finite_loss_stops_before_any_update(tmp_path: Path):
    model = TinyRegressor()
    before = model.state_dict()
    model.poison = True
    with pytest.raises(NonFiniteLossError, match=r"loss is nan at epoch 1, step 1"):
        Trainer(model, config(), tmp_path, batches(make_data())).fit()
    for name, value in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], value)


def test_early_stopping_and_best_model(tmp_path: Path):
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.9])
    model = TinyRegressor()
    trainer = Trainer(
        model, config(epochs=5, patience=2, monitor="acc", monitor_mode="max"), tmp_path,
        batches(make_data(2)), evaluate=lambda: {"acc": next(scores)},
    )
    history = trainer.fit()
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]  # stopped after 2 bad epochs
    assert trainer.state.best == 0.7 and trainer.state.best_epoch == 2
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["dev_acc"] for line in lines] == [0.5, 0.7, 0.6, 0.65]
    assert (tmp_path / "learning_curves.png").stat().st_size > 1000
    weights, cfg = load_model_dir(tmp_path / "model")
    assert cfg == {"kind": "tiny"} and set(weights) == set(model.state_dict())


def test_step_schedule_decays_learning_rate(tmp_path: Path):
    trainer = Trainer(
        TinyRegressor(), config(epochs=4, optimizer="sgd", lr=1.0, lr_schedule="step",
                                lr_decay_start=2), tmp_path, batches(make_data(1)),
    )
    history = trainer.fit()
    assert [row["lr"] for row in history] == [1.0, 1.0, 0.5, 0.25]


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path):
    trainer = Trainer(TinyRegressor(), config(), tmp_path, batches(make_data()))
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        trainer.fit(resume=True)


def test_finished_run_resumes_with_more_epochs(tmp_path: Path):
    data = make_data()
    straight = TinyRegressor()
    Trainer(straight, config(epochs=3), tmp_path / "a", batches(data)).fit()

    first = TinyRegressor()
    Trainer(first, config(epochs=2), tmp_path / "b", batches(data)).fit()
    extended = TinyRegressor()
    history = Trainer(extended, config(epochs=3), tmp_path / "b", batches(data)).fit(resume=True)
    assert [row["epoch"] for row in history] == [1, 2, 3]
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(extended.state_dict()[name], value, err_msg=name)


def test_time_budget_stops_with_a_checkpoint(tmp_path: Path):
    trainer = Trainer(TinyRegressor(), config(epochs=50, time_budget_minutes=1e-9), tmp_path,
                      batches(make_data()))
    trainer.fit()
    assert trainer.state.epoch == 1 and trainer.state.step_in_epoch == 1
    saved = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert saved["loop"]["finished"] and not saved["loop"]["stopped_early"]


def test_sigterm_stops_at_a_step_boundary_and_resumes_exactly(tmp_path: Path):
    import os
    import signal

    data = make_data()
    straight = TinyRegressor()
    Trainer(straight, config(checkpoint_every=0), tmp_path / "a", batches(data)).fit()

    class KilledMidStep(TinyRegressor):
        def loss(self, batch):
            if self.calls == 8:
                os.kill(os.getpid(), signal.SIGTERM)  # arrives inside step 9
            return super().loss(batch)

    killed = KilledMidStep()
    with pytest.raises(KeyboardInterrupt):
        Trainer(killed, config(checkpoint_every=0), tmp_path / "b", batches(data)).fit()
    resumed = TinyRegressor()
    Trainer(resumed, config(checkpoint_every=0), tmp_path / "b", batches(data)).fit(resume=True)
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)


# ---------------------------------------- the time budget: cosine schedule, stop model

def sgd_config(**overrides) -> TrainerConfig:
    """SGD, checkpoints at epoch ends only: the budget tests' loop."""
    return config(optimizer="sgd", checkpoint_every=0, **overrides)


def test_cosine_schedule_needs_a_time_budget():
    with pytest.raises(ValueError, match="time_budget_minutes"):
        sgd_config(lr_schedule="cosine")


def test_cosine_schedule_follows_the_training_time(tmp_path: Path):
    trainer = Trainer(TinyRegressor(), sgd_config(lr=2.0, lr_schedule="cosine",
                                              time_budget_minutes=10.0),
                      tmp_path, batches(make_data(2)))
    for seconds, expected in [(0.0, 2.0), (150.0, 1.0 + math.cos(math.pi / 4)), (300.0, 1.0),
                              (600.0, 0.0), (900.0, 0.0)]:
        trainer.state.train_seconds = seconds
        assert trainer._annealed_lr() == pytest.approx(expected, abs=1e-12)


def test_every_update_uses_the_annealed_rate(tmp_path: Path, monkeypatch):
    used = []
    trainer = Trainer(TinyRegressor(), sgd_config(lr=2.0, lr_schedule="cosine",
                                              time_budget_minutes=1.0),
                      tmp_path, batches(make_data(2)))
    step = trainer.optimizer.step

    def record_and_step():
        used.append(trainer.optimizer.lr)
        trainer.state.train_seconds += 15.0  # each update "takes" a quarter of the budget
        step()

    monkeypatch.setattr(trainer.optimizer, "step", record_and_step)
    trainer.fit()
    # the real step times (milliseconds) add a little to the 15 s each
    assert used == pytest.approx([2.0, 1 + math.cos(math.pi / 4), 1.0,
                                  1 + math.cos(3 * math.pi / 4)], abs=2e-2)
    assert trainer.state.finished and trainer.state.epoch == 2  # stopped by the budget


@pytest.mark.parametrize(("stop_loss", "kept"), [(0.5, "stop"), (2.0, "epoch")])
def test_budget_stop_keeps_the_better_model(tmp_path: Path, monkeypatch, stop_loss, kept):
    scores = iter([1.0, stop_loss])
    monkeypatch.setattr(Trainer, "_over_budget", lambda self: self.state.global_step >= 5)
    saved = []
    monkeypatch.setattr(Trainer, "_save_model",
                        lambda self: saved.append(self.model.out.weight.data.copy()))
    model = TinyRegressor()
    trainer = Trainer(model, sgd_config(), tmp_path, batches(make_data(3)),
                      evaluate=lambda: {"loss": next(scores)})
    trainer.fit()
    state = trainer.state
    assert state.finished and (state.epoch, state.step_in_epoch) == (2, 2)
    if kept == "stop":
        assert state.best_epoch == 0 and state.best == 0.5
        assert state.budget_stop == {"epoch": 2, "step": 2, "dev_loss": 0.5}
        assert len(saved) == 2
        np.testing.assert_array_equal(saved[-1], model.out.weight.data)
    else:
        assert state.best_epoch == 1 and state.best == 1.0 and state.budget_stop is None
        assert len(saved) == 1


def test_budget_stop_before_any_epoch_saves_the_model(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(Trainer, "_over_budget", lambda self: self.state.global_step >= 2)
    trainer = Trainer(TinyRegressor(), sgd_config(), tmp_path, batches(make_data(3)),
                      evaluate=lambda: {"loss": 3.0})
    trainer.fit()
    assert trainer.state.best_epoch == 0 and trainer.state.budget_stop["dev_loss"] == 3.0
    weights, _ = load_model_dir(tmp_path / "model")
    assert set(weights) == set(trainer.model.state_dict())


def test_budget_clock_must_be_known():
    with pytest.raises(ValueError, match="budget_clock"):
        config(budget_clock="gpu")


@pytest.mark.parametrize("budget_clock", ["wall", "cpu"])
def test_the_budget_counts_the_chosen_clock(tmp_path: Path, monkeypatch, budget_clock):
    """Of two fake clocks, the chosen one gains 20 s per reading and the other stands
    still: a step (read before and after) counts 20 s, so the 1-minute budget stops the run
    after three steps, by the chosen clock alone."""
    from rnnlab.training import trainer as trainer_module

    ticks = {"wall": 0.0, "cpu": 0.0}

    def fake(name):
        def clock():
            if name == budget_clock:
                ticks[name] += 20.0
            return ticks[name]
        return clock

    monkeypatch.setattr(trainer_module, "BUDGET_CLOCKS", {n: fake(n) for n in ticks})
    trainer = Trainer(TinyRegressor(), sgd_config(epochs=50, time_budget_minutes=1.0,
                                                  budget_clock=budget_clock),
                      tmp_path, batches(make_data(2)))
    trainer.fit()
    assert trainer.state.finished and trainer.state.global_step == 3
    assert trainer.state.train_seconds == pytest.approx(60.0)
