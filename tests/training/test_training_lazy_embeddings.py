"""TrainerConfig(lazy_embedding_updates=True): Adam leaves the embedding rows no batch
looked up exactly as they were, and trains everything else as before."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import ops
from rnnlab.engine.module import Module
from rnnlab.nn import Embedding, Linear
from rnnlab.training import Trainer, TrainerConfig, make_optimizer


class BagOfWords(Module):
    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.embedding = Embedding(10, 4, rng=rng)
        self.out = Linear(4, 1, rng=rng)

    def loss(self, batch):
        ids, y = batch
        pred = self.out(ops.mean(self.embedding(ids), axis=0))
        diff = pred - y
        return ops.mean(diff * diff)

    def save(self, directory):
        pass


def _data():
    rng = np.random.default_rng(1)
    return [(rng.integers(0, 6, size=(3, 2)), rng.standard_normal((2, 1)).astype(np.float32))
            for _ in range(4)]  # ids 6…9 never occur


@pytest.mark.parametrize("lazy", [True, False])
def test_unused_rows_stay_put_only_with_lazy_updates(tmp_path, lazy):
    model = BagOfWords()
    start = model.embedding.weight.data.copy()
    out_start = model.out.weight.data.copy()
    data = _data()
    # with weight decay, dense AdamW shrinks every row at every step, used or not
    config = TrainerConfig(epochs=2, lr=0.05, weight_decay=0.1, progress=False,
                           checkpoint_every=0, lazy_embedding_updates=lazy)
    Trainer(model, config, tmp_path, lambda epoch, rng: data).fit()
    table = model.embedding.weight.data
    assert np.array_equal(table[6:], start[6:]) == lazy
    assert not np.allclose(table[:6], start[:6])
    assert not np.allclose(model.out.weight.data, out_start)


def test_lazy_updates_name_the_embedding_tables_and_need_adam():
    model = BagOfWords()
    optimizer = make_optimizer(model, TrainerConfig(lazy_embedding_updates=True))
    lazy = [p is model.embedding.weight for p in optimizer.params]
    assert optimizer._lazy == lazy and sum(lazy) == 1
    with pytest.raises(ValueError, match="needs the adam optimizer"):
        TrainerConfig(optimizer="sgd", lazy_embedding_updates=True)
