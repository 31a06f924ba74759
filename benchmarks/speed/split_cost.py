"""CPU cost of the batch split as two layers (``BatchSplitLayer``) for LSTM forward passes.

The split this measures runs two :class:`RecurrentLayer` calls, one per group of rows, on
copies of their rows: the path of layers whose time loops are not compiled, and of every
one-direction layer before the shared-array split (``RecurrentLayer(split=…)``; compare the
two with ``benchmarks/speed/split_paths.py``). It is forced here for every layer. This times, with
each thread's own CPU clock, the one-thread layer call and the two group calls of the
two-thread layer, on the speed benchmark's small shapes: their sum over the one-thread time
is the extra CPU the split costs (smaller GEMMs, two packings, the copies of the groups'
inputs); its wall time can be at best the larger group's::

    .venv/bin/python benchmarks/speed/split_cost.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.recurrent import layer_function, layers, parallel  # noqa: E402

SHAPES = [(35, 20, 200, 200), (50, 32, 256, 256), (50, 16, 128, 128), (200, 8, 64, 64)]


def main(calls: int = 60) -> None:
    cpu: list[float] = []
    forward = layer_function.RecurrentLayer.forward

    def timed(self, *args, **kwargs):
        start = time.thread_time()
        result = forward(self, *args, **kwargs)
        cpu.append(time.thread_time() - start)
        return result

    layer_function.RecurrentLayer.forward = timed
    layers.can_split_rows = lambda mode: False  # always the two-layer split on copies
    for T, B, I, H in SHAPES:
        lstm = rnnlab.LSTM(I, H)
        x = rnnlab.Tensor(np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32))
        per_threads = {}
        for threads in (1, 2):
            parallel.set_num_threads(threads)
            with rnnlab.no_grad():
                for _ in range(10):
                    lstm(x)
                cpu.clear()
                for _ in range(calls):
                    lstm(x)
            per_threads[threads] = np.array(cpu).reshape(calls, -1)
        one = 1e3 * float(np.median(per_threads[1][:, 0]))
        groups = 1e3 * np.median(per_threads[2], axis=0)
        print(f"LSTM forward {T}x{B}x{I}x{H}: one thread {one:.2f} ms CPU; two groups "
              f"{groups[0]:.2f} + {groups[1]:.2f} = {groups.sum():.2f} ms "
              f"({groups.sum() / one:.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=60, help="timed calls per shape (60)")
    main(parser.parse_args().calls)
