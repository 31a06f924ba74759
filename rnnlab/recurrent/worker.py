"""The worker thread that runs the second half of rnnlab's two-thread work, and how the two
threads wait for each other.

:func:`rnnlab.recurrent.parallel.run_pair` gives one call to this thread and runs the other
itself. A layer call of a few milliseconds leaves no room for slow hand-overs, and a thread
that sleeps on a lock lets its core go idle — which, on a virtual machine, can take
longer to wake than a small call takes (:mod:`rnnlab.engine.kernels.spin`). So both sides
wait *actively*
first, the way OpenMP runtimes do (``OMP_WAIT_POLICY``):

- the worker, after each job, polls for the next one without the GIL for
  :data:`SPIN_SECONDS`, then sleeps on a condition until a job is posted;
- the caller, done with its own half, polls for the worker's job to finish for up to
  :data:`SPIN_SECONDS`, then sleeps on the job's event.

One LSTM layer at (T, B, I, H) = (50, 16, 128, 128) on two threads: forward 1.92 ms with
both sides sleeping at once, 1.66 ms polling (torch 1.56), training step 6.05 against
5.14 ms (torch 4.79) (``benchmarks/speed/wait_policy.py``, benchmarks/RESULTS.md "Two
threads: how they wait").

``RNNLAB_WAIT_POLICY=passive`` makes both sides sleep at once — for a machine whose cores
are all busy with other work, where a polling thread takes time from them. Polling needs
the compiled kernels (Numba); without them waiting is always passive.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

WAIT_POLICY_ENV = "RNNLAB_WAIT_POLICY"
WAIT_POLICIES = ("active", "passive")
SPIN_SECONDS = 2e-3  # how long either side polls before it sleeps
_POSTED = 0  # flags[_POSTED]: jobs posted so far (the worker polls it)


def wait_policy() -> str:
    """``RNNLAB_WAIT_POLICY`` (``active``, the default, or ``passive``)."""
    policy = os.environ.get(WAIT_POLICY_ENV, "active")
    if policy not in WAIT_POLICIES:
        raise ValueError(f"{WAIT_POLICY_ENV} must be one of {', '.join(WAIT_POLICIES)}, "
                         f"got {policy!r}")
    return policy


def _spinner() -> Callable[[np.ndarray, int, int, int], bool] | None:
    """The compiled poll (:func:`rnnlab.engine.kernels.spin.spin_until`), or None while
    the process runs no compiled kernels (Numba not imported yet — small first calls avoid
    importing it — or disabled): waiting is passive then."""
    from rnnlab.engine.kernels import numba_enabled

    if "numba" not in sys.modules or not numba_enabled():
        return None
    from rnnlab.engine.kernels.spin import spin_until

    return spin_until


def _polls_per_second(spin: Callable[[np.ndarray, int, int, int], bool]) -> float:
    """How many polls of :func:`spin_until` fit in a second here (timed on a counter that
    never rises; the first call also compiles or loads the kernel)."""
    never = np.zeros(1, np.int64)
    spin(never, 0, 1, 1)
    polls = 20_000
    start = time.perf_counter()
    spin(never, 0, 1, polls)
    return polls / max(time.perf_counter() - start, 1e-9)


class Job:
    """One call given to the worker: its result or exception, and a flag the caller can
    poll (``done[0]`` becomes 1) or an event it can sleep on, to learn it has run."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call: Callable[[], Any] | None = call
        self._lock = threading.Lock()
        self.done = np.zeros(1, np.int64)
        self._finished = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None

    def take(self) -> Callable[[], Any] | None:
        """The call, to whichever thread asks first; None after that."""
        with self._lock:
            call, self._call = self._call, None
        return call

    def run(self) -> None:
        """On the worker: run the call unless the caller has taken it back."""
        call = self.take()
        if call is not None:
            try:
                self._result = call()
            except BaseException as error:  # handed to the caller, who raises it
                self._error = error
        self.done[0] = 1
        self._finished.set()

    def wait(self, polls: int = 0, spin: Callable | None = None) -> None:
        """Return once :meth:`run` has finished — polling ``polls`` times first when
        ``spin`` is given, then sleeping."""
        if spin is None or not spin(self.done, 0, 1, polls):
            self._finished.wait()

    def result(self) -> Any:
        """The finished call's result; its exception is raised here."""
        if self._error is not None:
            raise self._error
        return self._result


class Worker:
    """One daemon thread that runs posted jobs in order (module docstring)."""

    def __init__(self) -> None:
        self._spin: Callable[[np.ndarray, int, int, int], bool] | None = None
        self._polls = 0
        self._flags = np.zeros(8, np.int64)  # one cache line: [_POSTED]
        self._jobs: deque[Job] = deque()
        self._posted = threading.Condition(threading.Lock())
        self._sleeping = False
        self._thread = threading.Thread(target=self._loop, name="rnnlab-worker", daemon=True)
        self._thread.start()

    def _polling(self) -> tuple[Callable[[np.ndarray, int, int, int], bool] | None, int]:
        """The poll and how many polls make :data:`SPIN_SECONDS` — (None, 0) while waiting
        is passive (:func:`_spinner`; asked again at every wait until it is not)."""
        try:
            if wait_policy() == "passive":
                return None, 0
        except ValueError:  # refused in submit(), on the caller's thread
            return None, 0
        if self._spin is None:
            spin = _spinner()
            if spin is None:
                return None, 0
            self._polls = int(SPIN_SECONDS * _polls_per_second(spin))
            self._spin = spin
        return self._spin, self._polls

    def submit(self, call: Callable[[], Any]) -> Job:
        """Queue ``call`` for the worker thread; the returned job gives its result.
        Raises ValueError, posting nothing, if ``RNNLAB_WAIT_POLICY`` is not valid."""
        wait_policy()
        job = Job(call)
        with self._posted:
            self._jobs.append(job)
            self._flags[_POSTED] += 1
            if self._sleeping:
                self._posted.notify()
        return job

    def wait(self, job: Job) -> None:
        """Return once ``job`` has run, waiting as the policy says (module docstring)."""
        spin, polls = self._polling()
        job.wait(polls, spin)

    def _loop(self) -> None:
        seen = 0
        while True:
            spin, polls = self._polling()
            if spin is None or not spin(self._flags, _POSTED, seen + 1, polls):
                with self._posted:
                    self._sleeping = True
                    while self._flags[_POSTED] <= seen:
                        self._posted.wait()
                    self._sleeping = False
            while True:
                with self._posted:
                    if not self._jobs:
                        break
                    job = self._jobs.popleft()
                    seen += 1
                job.run()


_worker: Worker | None = None
_worker_lock = threading.Lock()


def worker() -> Worker:
    """This process's worker thread, started on first use."""
    global _worker
    if _worker is None:
        with _worker_lock:
            if _worker is None:
                _worker = Worker()
    return _worker


def _forget_worker() -> None:
    """In a forked child the worker thread does not exist: start a new one when needed."""
    global _worker, _worker_lock
    _worker, _worker_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)
