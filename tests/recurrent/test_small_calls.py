"""Forwards without a tape run on the NumPy steps until Numba is set up or their budget is
spent (:func:`rnnlab.recurrent.compute_path.for_call`): the NumPy path's numbers bit for
bit, the compiled path's to float32 rounding, and no Numba import for a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnlab
from rnnlab.engine import kernels
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import compute_path, make_recurrent

ROOT = Path(__file__).resolve().parents[2]
FLOAT32 = dict(rtol=2e-4, atol=2e-5)  # test_fused_paths.py's tolerance between the paths


@pytest.fixture
def fresh(monkeypatch):
    """A process in which Numba has not been set up and no small call has run yet."""
    monkeypatch.setattr(compute_path, "_numba_set_up", False)
    monkeypatch.setattr(compute_path, "_small_spent", 0.0)


def _forward(cell, bidirectional, lengths):
    rng = np.random.default_rng(0)
    layer = make_recurrent(cell, 5, 6, num_layers=2, bidirectional=bidirectional,
                           rng=np.random.default_rng(1))
    x = Tensor(rng.standard_normal((7, 4, 5)).astype(np.float32))
    with rnnlab.no_grad():
        output, state = layer(x, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    return [output.data] + [s.data for s in states]


@pytest.mark.parametrize("lengths", [None, [7, 3, 5, 1]], ids=["full", "uneven"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_a_small_call_gives_the_numpy_numbers(monkeypatch, fresh, cell, bidirectional,
                                              lengths):
    chosen = []
    for_call = compute_path.for_call
    monkeypatch.setattr(compute_path, "for_call", lambda *a: chosen.append(for_call(*a))
                        or chosen[-1])
    small = _forward(cell, bidirectional, lengths)
    assert chosen and set(chosen) == {compute_path.NUMPY}
    with monkeypatch.context() as m:
        m.setenv(kernels.DISABLE_ENV, "1")
        numpy_path = _forward(cell, bidirectional, lengths)
    monkeypatch.setattr(compute_path, "NUMPY_BUDGET", 0.0)
    compiled = _forward(cell, bidirectional, lengths)
    assert compute_path.current() != compute_path.NUMPY, "numba should import in the test venv"
    for a, b, c in zip(small, numpy_path, compiled, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, **FLOAT32)


def test_small_calls_stop_at_their_budget(monkeypatch, fresh):
    extra = 10 * (compute_path.STEP_COST + compute_path.VALUE_COST * 2 * 20)
    monkeypatch.setattr(compute_path, "NUMPY_BUDGET", 2.5 * extra)
    assert [compute_path.for_call(10, 2, 20) for _ in range(3)] == ["numpy", "numpy", None]
    assert compute_path.for_call(5, 2, 20) == "numpy"  # half as much still fits


def test_a_call_past_the_budget_runs_compiled(fresh):
    steps = int(compute_path.NUMPY_BUDGET / compute_path.STEP_COST) + 1
    assert compute_path.for_call(steps, 1, 4) is None
    assert compute_path.for_call(100, 100_000, 512) is None
    assert compute_path._small_spent == 0.0  # nothing spent on calls that did not run
    assert compute_path.for_call(10, 2, 20) == "numpy"


def test_once_numba_is_set_up_small_calls_use_it(fresh):
    assert compute_path.for_call(10, 2, 20) == "numpy"
    compute_path.current()
    assert compute_path.for_call(10, 2, 20) is None


def test_tagging_one_sentence_does_not_import_numba():
    code = ("import sys\nfrom rnnlab.models.tagger import Tagger\n"
            "tags = Tagger.load().predict([['A', 'sentence', '.']])\n"
            "assert tags[0] == [['DET', 'NOUN', 'PUNCT']], tags\n"
            "assert 'numba' not in sys.modules, 'numba imported'")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(kernels.DISABLE_ENV, None)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
