"""Two threads per layer — both directions at once, or a one-direction batch split in two
groups of rows — give the numbers of one thread (directions: bit for bit), and are used."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import rnnlab
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, RNN, parallel, worker


@pytest.fixture
def restore_threads(monkeypatch, split_small_batches):
    """Restores the thread count; the worker always runs its call (no stealing by the
    caller), so that the tests see both threads at work; small batches are split too."""
    monkeypatch.setattr(parallel, "CALLER_RUNS_UNSTARTED", False)
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


def test_the_caller_runs_a_call_the_worker_has_not_started(restore_threads, monkeypatch):
    monkeypatch.setattr(parallel, "CALLER_RUNS_UNSTARTED", True)
    parallel.set_num_threads(2)
    pool = worker.worker()
    busy, release = threading.Event(), threading.Event()
    blocker = pool.submit(lambda: (busy.set(), release.wait(5)))
    busy.wait(5)  # the worker is taken: the pair's second call must not wait for it
    caller = threading.get_ident()
    assert parallel.run_pair(threading.get_ident, threading.get_ident) == (caller, caller)
    release.set()
    pool.wait(blocker)
    assert blocker.result() == (None, True)  # busy.set(), then release.wait(5)
    started = threading.Event()  # a worker that starts first runs the call itself

    def second():
        started.set()
        return threading.get_ident()

    seen = parallel.run_pair(lambda: (started.wait(5), threading.get_ident())[1], second)
    assert seen[0] == caller and seen[1] != caller


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
    rnnlab.set_num_threads(1)  # the same setting, from the package's top level
    assert rnnlab.num_threads() == 1


def _unidirectional_run(layer_type, threads, lengths, dtype=np.float64):
    parallel.set_num_threads(threads)
    rng = np.random.default_rng(5)
    B = len(lengths)
    layer = layer_type(3, 4, num_layers=2, rng=np.random.default_rng(2)).astype(dtype)
    x = Tensor(rng.standard_normal((7, B, 3)).astype(dtype), requires_grad=True)
    hx = rng.standard_normal((2, B, 4)).astype(dtype)
    h0 = Tensor(hx, requires_grad=True)
    state = (h0, Tensor(hx.copy(), requires_grad=True)) if layer_type is LSTM else h0
    output, final = layer(x, state, lengths=lengths)
    h_n = final[0] if isinstance(final, tuple) else final
    loss = (output * Tensor(rng.standard_normal(output.shape).astype(dtype))).sum()
    (loss + (h_n * h_n).sum()).backward()
    return [output.data, h_n.data, x.grad, h0.grad] + [p.grad for _, p in
                                                        layer.named_parameters()]


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
@pytest.mark.parametrize("lengths", [[7] * 9, [2, 7, 1, 5, 7, 3, 6, 1, 4]],
                         ids=["full", "uneven"])
@pytest.mark.parametrize("shared", [True, False], ids=["shared-arrays", "copies"])
def test_batch_split_over_two_threads_equals_one_thread(restore_threads, monkeypatch,
                                                        layer_type, lengths, shared):
    """Both ways of splitting: two row groups of one layer's shared arrays (compiled time
    loops), or two layers on copies (:class:`BatchSplitLayer`, the fallback)."""
    from rnnlab.recurrent import layer_function, layers

    if shared and not layer_function.can_split_rows(layer_type.kind):
        pytest.skip("the shared-array split needs the compiled time loops (Numba and MKL)")
    if not shared:
        monkeypatch.setattr(layers, "can_split_rows", lambda kind: False)
    single = _unidirectional_run(layer_type, 1, lengths)
    calls = []
    splitter = layer_function.RecurrentLayer if shared else layer_function.BatchSplitLayer
    original = splitter.forward
    monkeypatch.setattr(splitter, "forward",
                        lambda self, *a, **k: (calls.append(k.get("split", 0)),
                                               original(self, *a, **k))[1])
    split = _unidirectional_run(layer_type, 2, lengths)
    assert len(calls) == 2 and all(0 < r < 9 for r in calls)  # both layers were split
    for a, b in zip(single, split, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_product_equals_the_whole_and_uses_two_threads(restore_threads, monkeypatch,
                                                             dtype):
    from rnnlab.recurrent import gemm

    if gemm.mkl_library() is None:
        pytest.skip("products are split only when MKL runs them")
    parallel.set_num_threads(2)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 3 * gemm.MIN_SPLIT_ROWS)).astype(dtype)
    b = rng.standard_normal((40, 7)).astype(dtype)
    threads = []
    original = gemm._product_into
    monkeypatch.setattr(gemm, "_product_into", lambda *args: (
        threads.append(threading.get_ident()), original(*args))[1])
    product = gemm.matmul(a.T, b, split=True)  # a transposed view, as for ∂L/∂W
    assert len(set(threads)) == 2
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(product, a.T @ b, rtol=tolerance, atol=tolerance)
    bias = rng.standard_normal(7).astype(dtype)
    for split in (True, False):
        np.testing.assert_allclose(gemm.matmul(a.T, b, bias=bias, split=split), a.T @ b + bias,
                                   rtol=tolerance, atol=tolerance)
    threads.clear()
    gemm.matmul(a.T[: 2 * gemm.MIN_SPLIT_ROWS - 1], b, split=True)  # too few rows to split
    assert len(threads) == 1


def test_balanced_split_evens_out_the_work():
    from rnnlab.recurrent.layer_function import balanced_split
    from rnnlab.recurrent.schedule import batch_sizes, make_schedule

    even = make_schedule(batch_sizes(np.full(8, 5), 5), 8, reverse=False)
    assert balanced_split(even) == 4
    # one long sequence and seven short ones: the long one is half the work alone
    skewed = make_schedule(batch_sizes(np.array([14, 2, 2, 2, 2, 2, 2, 2]), 14), 8,
                           reverse=True)
    assert balanced_split(skewed) == 1


def test_small_batches_are_not_split(restore_threads, monkeypatch):
    from rnnlab.recurrent import layer_function

    parallel.set_num_threads(2)
    monkeypatch.setattr(layer_function.BatchSplitLayer, "forward",
                        lambda *a, **k: pytest.fail("a batch of 7 rows was split"))
    original = layer_function.RecurrentLayer.forward
    monkeypatch.setattr(layer_function.RecurrentLayer, "forward", lambda self, *a, **k: (
        pytest.fail("a batch of 7 rows was split") if k.get("split") else
        original(self, *a, **k)))
    layer = LSTM(3, 4, rng=np.random.default_rng(0))
    layer(Tensor(np.zeros((2, 2 * parallel.MIN_ROWS_PER_THREAD - 1, 3), np.float32)))


@pytest.mark.parametrize(("batch", "hidden", "split"), [(8, 64, False), (32, 64, True)])
def test_rows_are_split_where_each_step_has_work_enough(restore_threads, monkeypatch, batch,
                                                         hidden, split):
    """The training path's rule (parallel.splits_rows): 4 rows × 64 × 256 multiply-adds per
    thread and step stay on one thread, 16 rows (2¹⁸) are split."""
    from rnnlab.recurrent import layer_function

    monkeypatch.setattr(parallel, "MIN_SPLIT_MACS", 1 << 18)
    parallel.set_num_threads(2)
    seen = []
    original = layer_function.RecurrentLayer.forward
    monkeypatch.setattr(layer_function.RecurrentLayer, "forward", lambda self, *a, **k: (
        seen.append(k.get("split", 0)), original(self, *a, **k))[1])
    layer = LSTM(3, hidden, rng=np.random.default_rng(0))
    x = Tensor(np.zeros((2, batch, 3), np.float32), requires_grad=True)
    layer(x)[0].sum().backward()
    assert len(seen) == 1 and bool(seen[0]) == split
