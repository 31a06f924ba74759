"""Weight averaging (rnnlab.training.averaging): the EMA recursion, an exact swap in and
out, and a Trainer that evaluates and saves the average rather than the last weights."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import ops
from rnnlab.engine.module import Module, Parameter
from rnnlab.io import load_model_dir, save_model_dir
from rnnlab.nn import Linear
from rnnlab.training import Trainer, TrainerConfig
from rnnlab.training.averaging import WeightAverage


def test_average_follows_the_recursion():
    p = Parameter(np.array([1.0, -2.0]))
    average = WeightAverage([p], decay=0.75)
    expected = p.data.copy()
    for value in ([3.0, 0.0], [-1.0, 4.0], [2.0, 2.0]):
        p.data[...] = value
        average.update()
        expected = 0.75 * expected + 0.25 * np.array(value)
    np.testing.assert_allclose(average.averages[0], expected, rtol=1e-15)


def test_applied_swaps_in_the_average_and_restores_exactly():
    p = Parameter(np.array([0.1, 0.2, 0.3], np.float32))
    average = WeightAverage([p], decay=0.5)
    p.data += np.float32(1.0)
    average.update()
    current = p.data.copy()
    with average.applied():
        np.testing.assert_array_equal(p.data, average.averages[0])
        assert not np.array_equal(p.data, current)
    np.testing.assert_array_equal(p.data, current)


def test_decay_must_lie_strictly_between_zero_and_one():
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="decay"):
            WeightAverage([Parameter(np.zeros(2))], bad)
    with pytest.raises(ValueError, match="average_decay"):
        TrainerConfig(average_decay=1.0)


class Line(Module):
    def __init__(self) -> None:
        super().__init__()
        self.fit_line = Linear(1, 1, rng=np.random.default_rng(0))
        self.evaluated: list[np.ndarray] = []

    def loss(self, batch):
        x, y = batch
        diff = self.fit_line(x) - y
        return ops.mean(diff * diff)

    def save(self, directory):
        save_model_dir(directory, self.state_dict(), {"kind": "line"})


def test_trainer_evaluates_and_saves_the_average(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 1)).astype(np.float32)
    data = [(x[i : i + 4], 3 * x[i : i + 4] + 1) for i in range(0, 16, 4)]
    model = Line()

    def evaluate():
        model.evaluated.append(model.fit_line.weight.data.copy())
        return {"loss": 0.0}  # constant: the first epoch stays the best

    config = TrainerConfig(epochs=2, lr=0.1, optimizer="sgd", average_decay=0.9,
                           progress=False, checkpoint_every=0)
    trainer = Trainer(model, config, tmp_path, lambda epoch, rng: data, evaluate)
    trainer.fit()
    final_average = trainer.average.averages[0]
    np.testing.assert_array_equal(model.evaluated[-1], final_average)
    assert not np.array_equal(model.fit_line.weight.data, final_average)  # θ ≠ θ̄
    saved, _ = load_model_dir(tmp_path / "model")
    np.testing.assert_array_equal(saved["fit_line.weight"], model.evaluated[0])
