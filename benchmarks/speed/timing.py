"""The timing loops the speed scripts share, and the description of the machine they ran on.

- :func:`seconds`: one measurement — seconds per call of ``calls`` calls in a row, or of as
  many calls as fill ``at_least`` seconds of the clock.
- :func:`repeat`: independent measurements of one function after a warm-up.
- :func:`alternate`: several sides (two libraries, two compute paths, a step and its bound)
  timed in rounds; each round runs a block of calls of every side, the order rotating from
  round to round so that no side always follows the same other one; with a block of more
  than one call, the block's first call is not timed (it absorbs the switch from the other
  side: speed.py's docstring). Ratios are taken round by round, each of the round's
  medians, and summarised by their median.
- :func:`environment`: CPU, versions, BLAS, threads and rnnlab's compute path, for the header
  of a results table.

The clock is a parameter: ``time.perf_counter`` (wall time, the default),
``time.process_time`` (CPU of the whole process: steadier on a shared machine, counts every
thread) or ``time.thread_time`` (CPU of the calling thread only).
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from rnnlab.recurrent import compute_path, parallel, step_product

Clock = Callable[[], float]


def seconds(fn: Callable[[], object], clock: Clock = time.perf_counter, calls: int = 1,
            at_least: float = 0.0) -> float:
    """Seconds per call of ``fn`` over ``calls`` calls in a row, continued until the clock
    has advanced by ``at_least`` seconds."""
    start, done = clock(), 0
    while done < calls or clock() - start < at_least:
        fn()
        done += 1
    return (clock() - start) / done


def repeat(fn: Callable[[], object], repeats: int, clock: Clock = time.perf_counter,
           calls: int = 1, warmup: int = 1) -> list[float]:
    """``repeats`` measurements of :func:`seconds` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        seconds(fn, clock, calls)
    return [seconds(fn, clock, calls) for _ in range(repeats)]


@dataclass
class Alternation:
    """What :func:`alternate` measured: every timed call by side, and each round's median
    per side."""

    times: dict[str, list[float]]
    rounds: list[dict[str, float]] = field(default_factory=list)

    def median(self, side: str) -> float:
        return float(np.median(self.times[side]))

    def ratios(self, side: str, other: str) -> list[float]:
        """Per round: the median of ``side``'s timed calls over the median of ``other``'s."""
        return [r[side] / r[other] for r in self.rounds]

    def ratio(self, side: str, other: str) -> float:
        return float(np.median(self.ratios(side, other)))


def alternate(sides: dict[str, Callable[[], object]], rounds: int, *, warmup: int = 0,
              block: int = 1, before: Callable[[str], object] | None = None,
              gap: float = 0.0, switch_gap: float = 0.0, clock: Clock = time.perf_counter,
              calls: int = 1, at_least: float = 0.0, rotate: bool = True) -> Alternation:
    """Time ``sides`` (name → function) in ``rounds`` rounds, after ``warmup`` untimed rounds.

    A round runs a block of ``block`` calls of each side; with ``block`` > 1 the first is a
    plain untimed call, each other one a :func:`seconds` measurement (``clock``, ``calls``,
    ``at_least``). Round r starts at side r mod n (``rotate``) or always at the first. A
    warm-up round is one plain call of each side.
    ``before(name)`` runs untimed before every call (clearing gradients, choosing a compute
    path); ``gap`` seconds of sleep follow it. ``switch_gap`` seconds of sleep come before
    each block's untimed first call, so that the previous side's threads have stopped
    polling for work before this side starts.
    """
    names = list(sides)

    def prepare(name: str) -> None:
        if before is not None:
            before(name)
        if gap:
            time.sleep(gap)

    def untimed(name: str) -> None:
        prepare(name)
        sides[name]()

    def timed(name: str) -> float:
        prepare(name)
        return seconds(sides[name], clock, calls, at_least)

    for _ in range(warmup):
        for name in names:
            untimed(name)
    result = Alternation({name: [] for name in names})
    for r in range(rounds):
        shift = r % len(names) if rotate else 0
        medians = {}
        for name in names[shift:] + names[:shift]:
            if block > 1:
                if switch_gap:
                    time.sleep(switch_gap)
                untimed(name)
            measured = [timed(name) for _ in range(max(block - 1, 1))]
            result.times[name] += measured
            medians[name] = float(np.median(measured))
        result.rounds.append(medians)
    return result


def environment(threads: int) -> dict[str, str]:
    """The machine and software a table was measured on, one line each."""
    import torch

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, "
            f"{i['num_threads']} threads)" for i in threadpool_info() if i["user_api"] == "blas"]
    compute = compute_path.current()
    mkl = step_product.mkl_library()
    if compute == compute_path.NUMPY:
        path = "NumPy steps (Numba disabled or missing)"
    else:
        import numba

        path = f"Numba {numba.__version__} step kernels"
    if compute == compute_path.NUMBA_BLAS:
        path += (", compiled time loops calling NumPy's BLAS (cblas_?gemm, unpacked); no MKL: "
                 "every GEMM by NumPy's BLAS")
    elif mkl is None:
        path += ", Python time loop; no MKL: every GEMM by NumPy's BLAS"
    elif compute == compute_path.NUMBA_MKL:
        path += (f", compiled time loops calling MKL's packed GEMM; whole-sequence products by "
                 f"MKL's GEMM ({Path(mkl._name).name}, sequential)")
    else:
        path += (f", Python time loop; per-step products of ≥ {step_product.MIN_MACS} "
                 f"multiply-adds by MKL's packed GEMM ({Path(mkl._name).name}, sequential)")
    path += (f"; layer threads {parallel.num_threads()} (directions at once, or a batch split)")
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "versions": f"Python {platform.python_version()}, NumPy {np.__version__}, "
                    f"torch {torch.__version__}",
        "blas": "; ".join(blas),
        "threads": f"{threads} (torch.set_num_threads, threadpoolctl)",
        "path": path,
        "load": "load average {:.1f} {:.1f} {:.1f} at start".format(*os.getloadavg()),
    }
