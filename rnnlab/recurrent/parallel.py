"""Both directions of a bidirectional layer at the same time, on two threads (LECTURE §9).

The forward and the reverse direction of one layer read the same input and share nothing
else until their outputs are concatenated, and the same holds for their BPTT. Their work
runs outside the GIL — NumPy's matrix products, the compiled step kernels and time loops
(``nogil=True``), MKL — so two threads run them on two cores.

The number of threads comes from ``RNNLAB_NUM_THREADS`` (default: the CPUs this process
may use) or :func:`set_num_threads`; with 1, the directions run one after the other.
Either way the numbers are the same: each direction does exactly the same arithmetic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

THREADS_ENV = "RNNLAB_NUM_THREADS"
Result = TypeVar("Result")

_threads: int | None = None
_pool: ThreadPoolExecutor | None = None


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


def run_pair(first: Callable[[], Result], second: Callable[[], Result]) -> tuple[Result, Result]:
    """``(first(), second())``, the two calls on two threads when more than one is allowed."""
    global _pool
    if num_threads() < 2:
        return first(), second()
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnnlab-direction")
    pending = _pool.submit(second)
    return first(), pending.result()
