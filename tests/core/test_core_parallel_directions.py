"""The two directions of a bidirectional layer on two threads give exactly the numbers of
running them one after the other, and the second thread is really used."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, RNN, parallel


@pytest.fixture
def restore_threads():
    yield
    parallel.set_num_threads(None)


def _outputs_and_gradients(layer_type, threads):
    parallel.set_num_threads(threads)
    rng = np.random.default_rng(3)
    layer = layer_type(4, 5, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
    x = Tensor(rng.standard_normal((6, 3, 4)).astype(np.float32), requires_grad=True)
    output, state = layer(x, lengths=[6, 2, 4])
    h_n = state[0] if isinstance(state, tuple) else state
    loss = (output * Tensor(rng.standard_normal(output.shape).astype(np.float32))).sum()
    (loss + (h_n * h_n).sum()).backward()
    return [output.data, h_n.data, x.grad] + [p.grad for _, p in layer.named_parameters()]


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
def test_two_threads_equal_one_thread_bit_for_bit(restore_threads, layer_type):
    sequential = _outputs_and_gradients(layer_type, threads=1)
    threaded = _outputs_and_gradients(layer_type, threads=2)
    for a, b in zip(sequential, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_second_direction_runs_on_another_thread(restore_threads):
    parallel.set_num_threads(2)
    caller = threading.get_ident()
    seen = parallel.run_pair(threading.get_ident, threading.get_ident)
    assert seen[0] == caller and seen[1] != caller
    parallel.set_num_threads(1)
    assert parallel.run_pair(threading.get_ident, threading.get_ident) == (caller, caller)


def test_thread_count_from_the_environment(restore_threads, monkeypatch):
    monkeypatch.setenv(parallel.THREADS_ENV, "1")
    assert parallel.num_threads() == 1
    for bad in ("0", "two"):
        monkeypatch.setenv(parallel.THREADS_ENV, bad)
        with pytest.raises(ValueError, match=parallel.THREADS_ENV):
            parallel.num_threads()
    parallel.set_num_threads(3)
    assert parallel.num_threads() == 3  # the explicit setting wins over the environment
    with pytest.raises(ValueError, match="positive integer"):
        parallel.set_num_threads(0)
