"""Lazy (row-sparse) Adam for lookup tables: the dense Adam step on the rows a batch used,
nothing on the others; checked against dense Adam, against PyTorch's SparseAdam (same
rule) and across a state round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.engine.module import Parameter
from rnnlab.engine.tensor import Tensor
from rnnlab.nn import Embedding
from rnnlab.optim import Adam

ROWS, DIM = 7, 3


def _gradients(steps: int, rows_per_step: list[list[int]] | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    grads = []
    for k in range(steps):
        g = rng.standard_normal((ROWS, DIM))
        if rows_per_step is not None:
            mask = np.zeros(ROWS, bool)
            mask[rows_per_step[k % len(rows_per_step)]] = True
            g[~mask] = 0.0
        grads.append(g)
    return grads


def _run(optimizer_factory, grads, weight_decay=0.0):
    table = Parameter(np.random.default_rng(9).standard_normal((ROWS, DIM)))
    optimizer = optimizer_factory(table, weight_decay)
    for g in grads:
        table.grad = g.copy()
        optimizer.step()
    return table.data.copy(), optimizer


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_equals_dense_adam_bit_for_bit_when_every_row_has_a_gradient(weight_decay):
    grads = _gradients(5, None)
    dense, _ = _run(lambda p, wd: Adam([p], lr=0.05, weight_decay=wd), grads)
    lazy, _ = _run(lambda p, wd: Adam([p], lr=0.05, weight_decay=wd, lazy_rows=[p]), grads)
    assert np.array_equal(dense, lazy)


def test_rows_without_gradient_keep_weights_and_moments():
    grads = _gradients(6, [[0, 2], [2, 5], [0]])
    start = Parameter(np.random.default_rng(9).standard_normal((ROWS, DIM))).data
    lazy, optimizer = _run(lambda p, wd: Adam([p], lr=0.05, lazy_rows=[p]), grads)
    dense, _ = _run(lambda p, wd: Adam([p], lr=0.05), grads)
    never = [1, 3, 4, 6]
    assert np.array_equal(lazy[never], start[never])
    assert not optimizer.m[0][never].any() and not optimizer.v[0][never].any()
    assert not np.allclose(dense[5], lazy[5])  # dense Adam keeps moving row 5 on momentum
    assert not np.allclose(lazy[[0, 2, 5]], start[[0, 2, 5]])


def test_matches_pytorch_sparse_adam():
    """torch.optim.SparseAdam applies the same rule to the rows of a sparse gradient (it adds
    ε to √v rather than √v̂, so a negligible ε = 1e-30 makes the two formulas agree)."""
    rng = np.random.default_rng(3)
    ours = Embedding(ROWS, DIM, dtype=np.float64, rng=rng)
    theirs = torch.nn.Embedding(ROWS, DIM, sparse=True, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    our_optimizer = Adam(ours.parameters(), lr=0.02, eps=1e-30, lazy_rows=[ours.weight])
    their_optimizer = torch.optim.SparseAdam(theirs.parameters(), lr=0.02, eps=1e-30)
    for step in range(6):
        ids = rng.integers(0, ROWS, size=(4, 2))
        upstream = rng.standard_normal((4, 2, DIM))
        our_optimizer.zero_grad()
        (ours(ids) * Tensor(upstream)).sum().backward()
        our_optimizer.step()
        their_optimizer.zero_grad()
        (theirs(torch.from_numpy(ids)) * torch.from_numpy(upstream)).sum().backward()
        their_optimizer.step()
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(),
                                   rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


def test_state_round_trip_continues_identically():
    grads = _gradients(8, [[0, 1], [3], [1, 6]])
    full, _ = _run(lambda p, wd: Adam([p], lr=0.05, lazy_rows=[p]), grads)
    table = Parameter(np.random.default_rng(9).standard_normal((ROWS, DIM)))
    first = Adam([table], lr=0.05, lazy_rows=[table])
    for g in grads[:4]:
        table.grad = g.copy()
        first.step()
    second = Adam([table], lr=0.05, lazy_rows=[table])
    second.load_state_dict(first.state_dict())
    for g in grads[4:]:
        table.grad = g.copy()
        second.step()
    assert np.array_equal(table.data, full)


def test_lazy_rows_must_be_optimised_tables():
    table, vector = Parameter(np.zeros((2, 2))), Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="does not update"):
        Adam([table], lazy_rows=[Parameter(np.zeros((2, 2)))])
    with pytest.raises(ValueError, match="2-D tables"):
        Adam([table, vector], lazy_rows=[vector])
