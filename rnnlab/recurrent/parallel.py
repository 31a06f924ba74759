"""Two threads for one recurrent layer: both directions at once, or two groups of rows.

A bidirectional layer's forward and reverse direction (LECTURE §9) read the same input
and share nothing else until their outputs are concatenated; the same holds for their
BPTT. A one-direction layer splits its batch instead: sequences never interact, so rows
[:r] and [r:] each run the whole time loop alone, and the threads meet once per loop, not
once per step (r balances the work when lengths differ). With the compiled time loops the
two groups work on the layer's shared arrays, and each whole-sequence product is computed
in two halves (``RecurrentLayer(split=r)``, :func:`run_each`); without them each group is
a layer of its own on copies of its rows (``layer_function.BatchSplitLayer``). The work
runs outside the GIL — NumPy's matrix products, the compiled step kernels and time loops
(``nogil=True``), the BLAS — so two threads use two cores.

The number of threads comes from :func:`set_num_threads`, else ``RNNLAB_NUM_THREADS``, else
the CPUs this process may use; with 1, everything runs on the calling thread. Directions
in parallel give bit-identical numbers; a batch split may differ in the last bits (BLAS
may round a product of fewer rows differently), well inside the parity tolerances.
Batches under 2 × ``MIN_ROWS_PER_THREAD`` rows are not split, nor those whose per-step
products are too small to gain from it (:func:`splits_rows`).

Thread discipline: while the two threads run (:func:`run_pair`), and while a compiled time
loop runs on one (:func:`run_each`), every BLAS loaded in the process runs single-threaded
(:class:`SingleThreadedBlas`), so the layer's two threads never meet two or four BLAS
threads on the same cores — a multi-threaded OpenBLAS inside each of them measured several
times slower on a busy two-core machine — and no per-step product wakes BLAS threads.
Outside those windows the BLAS keeps whatever the user set (``OPENBLAS_NUM_THREADS``,
threadpoolctl, …);
``RNNLAB_NUM_THREADS`` / :func:`set_num_threads` stays the one knob of rnnlab's own
threads. BLAS thread counts are process-wide, so a BLAS call that another thread of the
program makes during that window runs single-threaded too.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from rnnlab.recurrent.worker import worker

THREADS_ENV = "RNNLAB_NUM_THREADS"
MIN_ROWS_PER_THREAD = 4
MIN_SPLIT_MACS = 1 << 18  # rows split over two threads only from this much work per step
CALLER_RUNS_UNSTARTED = True  # False: run_pair always waits for its worker (tests use it)
Result = TypeVar("Result")
Item = TypeVar("Item")

_threads: int | None = None


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def num_threads() -> int:
    """Threads a bidirectional layer may use: :func:`set_num_threads`, else
    ``RNNLAB_NUM_THREADS``, else the CPUs available to this process."""
    if _threads is not None:
        return _threads
    value = os.environ.get(THREADS_ENV)
    if value is None:
        return _available_cpus()
    try:
        threads = int(value)
    except ValueError:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}") from None
    if threads < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
    return threads


def set_num_threads(threads: int | None) -> None:
    """Use ``threads`` from now on (``None``: back to ``RNNLAB_NUM_THREADS`` / the CPUs)."""
    global _threads
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    _threads = threads


class SingleThreadedBlas:
    """A context in which every BLAS of the process runs on one thread; on leaving, each
    gets back the thread count it had. Re-entrant and safe across threads: the first of
    overlapping entries sets the limit, the last to leave restores it.

    The BLAS libraries are found once (threadpoolctl's ``ThreadpoolController``, ~0.2 ms)
    on the first entry; after that an entry costs one get and at most one set call per
    library (~4 µs measured with one OpenBLAS), against ~225 µs for a fresh
    ``threadpool_limits(1)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._libraries: list[Any] | None = None
        self._saved: list[tuple[Any, int]] = []

    def libraries(self) -> list[Any]:
        """threadpoolctl's controllers of the BLAS libraries loaded now (found once)."""
        if self._libraries is None:
            from threadpoolctl import ThreadpoolController

            self._libraries = list(
                ThreadpoolController().select(user_api="blas").lib_controllers)
        return self._libraries

    def __enter__(self) -> SingleThreadedBlas:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._saved = []
                for library in self.libraries():
                    threads = library.get_num_threads()
                    if threads is not None and threads != 1:
                        library.set_num_threads(1)
                        self._saved.append((library, threads))
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for library, threads in self._saved:
                    library.set_num_threads(threads)
                self._saved = []


single_threaded_blas = SingleThreadedBlas()


def predicting() -> contextlib.AbstractContextManager:
    """The context of a model's prediction loop (tagging, classifying, translating,
    generating): with two or more rnnlab threads, the BLAS single-threaded for the whole
    loop, rnnlab's own threads being its parallelism; with one, the user's setting. The
    loop's products outside the recurrent layers (output layers, attention) are small:
    a multi-threaded BLAS gains little on them on idle cores and loses much on busy ones
    (Tagger.predict on EWT dev, two rnnlab threads, load average 7–9 on two cores:
    5,800–7,100 words/s with OpenBLAS on two threads, 10,600 with it on one)."""
    return single_threaded_blas if num_threads() > 1 else contextlib.nullcontext()


def blas_description() -> str:
    """The BLAS libraries of this process and their thread counts, for ``rnnlab info``:
    e.g. ``openblas 0.3.31 (2 threads)``, each one single-threaded inside the layers'
    two threads (:class:`SingleThreadedBlas`)."""
    from threadpoolctl import ThreadpoolController

    found = []
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        threads = lib.get_num_threads()
        name = f"{lib.internal_api} {lib.version or ''}".strip()
        found.append(f"{name} ({threads} thread{'' if threads == 1 else 's'})")
    return ", ".join(found) or "none found"


def splits_rows(batch: int, recurrent_width: int, gate_width: int) -> bool:
    """Whether a one-direction layer's rows are worth splitting over two threads: when each
    thread's per-step recurrent product, (B/2 rows) × recurrent_width × gate_width
    multiply-adds (h(t−1) W_hhᵀ forward, δz(t) W_hh backward), reaches
    :data:`MIN_SPLIT_MACS`. Below it a product on half the rows costs about as much as on
    all of them, so the split doubles the products the two cores share: of LSTM, GRU and
    RNN at T = 100, I = H = 32–128, B = 8–32, the shapes below 2¹⁸ took up to 2.2 (forward)
    and 2.35 (training step) times as long split over two threads as on one, and most of
    those above it less time (``benchmarks/speed/forward_probes.py split``; RESULTS,
    "Forward only")."""
    return (batch // 2) * recurrent_width * gate_width >= MIN_SPLIT_MACS


def run_each(task: Callable[[Item], object], items: Sequence[Item]) -> None:
    """``task(item)`` for one item, or for two at once (:func:`run_pair`) — a cell's
    compiled time loop over one or two groups of rows. The BLAS is single-threaded either
    way: the loop's per-step products are small, and a multi-threaded BLAS that wakes and
    joins its threads at every step was several times slower (Tagger.predict on NumPy's
    OpenBLAS at 2 threads, one layer thread: 730 words/s against 5,000 words/s with MKL's
    sequential packed GEMM, on a busy two-core machine)."""
    if len(items) == 1:
        with single_threaded_blas:
            task(items[0])
    else:
        first, second = items
        run_pair(lambda: task(first), lambda: task(second))


def run_pair(first: Callable[[], Result], second: Callable[[], Result]) -> tuple[Result, Result]:
    """``(first(), second())``, the two calls on two threads when more than one is allowed,
    the BLAS single-threaded meanwhile (:class:`SingleThreadedBlas`).

    ``second`` goes to the worker thread (:mod:`rnnlab.recurrent.worker`, which also says
    how the two threads wait for each other), but the calling thread, once done with
    ``first``, runs ``second`` itself if the worker has not started it yet: on a machine
    whose cores are all busy the worker may wait for one, and the pair then costs what the
    two calls cost on one thread, not that wait on top."""
    if num_threads() < 2:
        return first(), second()
    pool = worker()
    with single_threaded_blas:
        job = pool.submit(second)
        try:
            done = first()
        finally:
            untaken = job.take() if CALLER_RUNS_UNSTARTED else None
            if untaken is None:
                pool.wait(job)  # the BLAS stays single-threaded until both are done
        other = untaken() if untaken is not None else job.result()
    return done, other
