"""The worker thread behind two-thread layers: every job runs once, results and errors come
back to the caller, and both wait policies — polling first, or sleeping at once — work."""

from __future__ import annotations

import threading

import pytest

from rnnlab.recurrent import parallel, worker


@pytest.fixture(params=["active", "passive"])
def policy(request, monkeypatch):
    monkeypatch.setenv(worker.WAIT_POLICY_ENV, request.param)
    import numba  # noqa: F401  (the active policy polls only once Numba is in use)

    return request.param


def test_jobs_run_in_order_on_the_worker_thread(policy):
    pool = worker.worker()
    caller = threading.get_ident()
    jobs = [pool.submit(lambda i=i: (i, threading.get_ident())) for i in range(50)]
    for i, job in enumerate(jobs):
        pool.wait(job)
        number, thread = job.result()
        assert number == i and thread != caller


def test_a_sleeping_worker_is_woken_by_the_next_job(policy):
    pool = worker.worker()
    first = pool.submit(lambda: 1)
    pool.wait(first)
    threading.Event().wait(worker.SPIN_SECONDS * 5)  # past the polling: the worker sleeps
    second = pool.submit(lambda: 2)
    pool.wait(second)
    assert (first.result(), second.result()) == (1, 2)


def test_an_exception_in_a_job_is_raised_to_the_caller(policy, monkeypatch):
    monkeypatch.setattr(parallel, "CALLER_RUNS_UNSTARTED", False)
    parallel.set_num_threads(2)
    try:
        def fails():
            raise RuntimeError("in the worker")

        with pytest.raises(RuntimeError, match="in the worker"):
            parallel.run_pair(lambda: 1, fails)
        ran = []
        with pytest.raises(KeyError):  # the caller's own error, after the worker is done
            parallel.run_pair(lambda: {}["missing"], lambda: ran.append(True))
        assert ran == [True]
        assert parallel.run_pair(lambda: 1, lambda: 2) == (1, 2)  # the worker lives on
    finally:
        parallel.set_num_threads(None)


def test_a_job_taken_back_by_the_caller_runs_once():
    pool = worker.worker()
    calls = []
    release = threading.Event()
    blocker = pool.submit(release.wait)
    job = pool.submit(lambda: calls.append(threading.get_ident()))
    taken = job.take()  # the worker is busy: the caller runs the call itself
    taken()
    release.set()
    pool.wait(blocker)
    pool.wait(job)
    assert calls == [threading.get_ident()]  # one run, by the caller
    assert job.take() is None


def test_an_unknown_wait_policy_is_refused_before_any_work(monkeypatch):
    pool = worker.worker()
    monkeypatch.setenv(worker.WAIT_POLICY_ENV, "eager")
    with pytest.raises(ValueError, match=worker.WAIT_POLICY_ENV):
        worker.wait_policy()
    with pytest.raises(ValueError, match=worker.WAIT_POLICY_ENV):
        pool.submit(lambda: None)
    monkeypatch.delenv(worker.WAIT_POLICY_ENV)
    job = pool.submit(lambda: "still working")
    pool.wait(job)
    assert job.result() == "still working"
