"""While a layer runs its two threads, every BLAS runs single-threaded inside them, and
gets its own setting back afterwards; the numbers are those of one thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, RNN, parallel, worker


@pytest.fixture
def two_blas_threads(monkeypatch, split_small_batches):
    """Two layer threads, the worker running every second call (no stealing by the caller),
    small batches split too, and a BLAS set to two threads (the suite runs it on one)."""
    monkeypatch.setattr(parallel, "CALLER_RUNS_UNSTARTED", False)
    parallel.set_num_threads(2)
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() and max(_blas_threads()) == 2
        yield
    parallel.set_num_threads(None)


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
            and lib["internal_api"] != "mkl"]  # rnnlab sets MKL to sequential anyway


def test_run_pair_runs_both_calls_with_a_single_threaded_blas(two_blas_threads):
    seen = parallel.run_pair(lambda: (threading.get_ident(), _blas_threads()),
                             lambda: (threading.get_ident(), _blas_threads()))
    assert seen[0][0] != seen[1][0]  # two threads
    assert seen[0][1] == seen[1][1] == [1] * len(_blas_threads())
    assert max(_blas_threads()) == 2  # the user's setting is back


def test_one_thread_leaves_the_blas_alone(two_blas_threads):
    parallel.set_num_threads(1)
    seen = parallel.run_pair(_blas_threads, _blas_threads)
    assert max(seen[0]) == max(seen[1]) == 2


def test_a_time_loop_on_one_thread_has_a_single_threaded_blas(two_blas_threads):
    parallel.set_num_threads(1)
    seen = []
    parallel.run_each(lambda item: seen.append(_blas_threads()), ["rows"])
    assert seen == [[1] * len(_blas_threads())]
    assert max(_blas_threads()) == 2


def test_overlapping_windows_restore_the_setting_once(two_blas_threads):
    with parallel.single_threaded_blas:
        with parallel.single_threaded_blas:
            assert max(_blas_threads()) == 1
        assert max(_blas_threads()) == 1  # the outer window still holds
    assert max(_blas_threads()) == 2


def test_libraries_are_found_once(two_blas_threads, monkeypatch):
    import threadpoolctl

    parallel.single_threaded_blas.libraries()
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController",
                        lambda: pytest.fail("the BLAS libraries were looked up again"))
    for _ in range(3):
        parallel.run_pair(lambda: None, lambda: None)


def _run(layer_type, bidirectional):
    rng = np.random.default_rng(0)
    layer = layer_type(6, 5, num_layers=2, bidirectional=bidirectional,
                       rng=np.random.default_rng(1))
    x = Tensor(rng.standard_normal((7, 16, 6)).astype(np.float32), requires_grad=True)
    output, _ = layer(x, lengths=rng.integers(1, 8, 16))
    (output * output).sum().backward()
    return [output.data, x.grad] + [p.grad for p in layer.parameters()]


class _RecordingWorker:
    """Stands in for the layer's worker thread: the real one runs each call after noting
    the BLAS thread counts that thread sees."""

    def __init__(self) -> None:
        self.seen: list[list[int]] = []
        self._worker = worker.worker()

    def submit(self, fn):
        return self._worker.submit(lambda: (self.seen.append(_blas_threads()), fn())[1])

    def wait(self, job) -> None:
        self._worker.wait(job)


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
@pytest.mark.parametrize("bidirectional", [True, False], ids=["bi", "split"])
def test_inside_a_layer_the_blas_is_single_threaded(two_blas_threads, monkeypatch,
                                                   layer_type, bidirectional):
    """Both directions, or both row groups, see a one-thread BLAS on the worker thread; the
    results are those of one layer thread with the BLAS on two."""
    pool = _RecordingWorker()
    monkeypatch.setattr(parallel, "worker", lambda: pool)
    threaded = _run(layer_type, bidirectional)
    assert len(pool.seen) >= 4  # forward and backward of both layers
    assert all(s == [1] * len(s) for s in pool.seen)
    assert max(_blas_threads()) == 2
    parallel.set_num_threads(1)
    single = _run(layer_type, bidirectional)
    for a, b in zip(threaded, single, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_the_blas_is_described_with_its_threads(two_blas_threads):
    description = parallel.blas_description()
    assert "(2 threads)" in description
    assert any(lib["internal_api"] in description for lib in threadpool_info())


def test_prediction_loops_run_on_a_single_threaded_blas_with_two_layer_threads(
        two_blas_threads):
    with parallel.predicting():
        assert max(_blas_threads()) == 1
    assert max(_blas_threads()) == 2
    parallel.set_num_threads(1)  # one rnnlab thread: the user's setting stays
    with parallel.predicting():
        assert max(_blas_threads()) == 2
