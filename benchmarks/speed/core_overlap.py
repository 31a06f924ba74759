"""Does the second core give a second computation its own speed right now?

    .venv/bin/python benchmarks/speed/core_overlap.py               # the five LSTM shapes
    .venv/bin/python benchmarks/speed/core_overlap.py --rounds 31 --shapes 200x8x64x64

Any two-thread speed-up needs the second core to run while the first one does. On a
virtual machine whose two cores are shared with other guests (or are two hyperthreads of
one physical core), two computations at once can take as long as the same two one after
the other. This script measures that directly, for the unit of work the two-thread
forward splits: one forward pass of one rnnlab LSTM layer under no_grad on one thread
(``set_num_threads(1)``; the compiled path set up first).

Per shape, in alternating rounds (:func:`timing.alternate`, wall clock):

- ``alone``: one forward on the calling thread;
- ``pair``: two forwards of two independent layers at once, one on the calling thread and
  one on a worker thread (the compiled loop releases the GIL while it computes);

and ``yield`` = 2 · alone / pair: 2.0 when the second core runs the second forward at full
speed, 1.0 when the pair costs what two forwards in a row cost. A two-thread split of one
forward (over rows, over hidden units, or torch's own) can gain at most about what this
yield allows, less the cost of meeting once per step. (torch is not run here: two torch
forwards at once on two Python threads, each with ``torch.set_num_threads(1)``, took 6–30
times one forward's time in a trial run, which measures torch's handling of concurrent
callers rather than the machine.)
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import timing

import rnnlab
from rnnlab.recurrent import compute_path

SHAPES = ("35x20x200x200", "50x32x256x256", "100x64x512x512", "50x16x128x128", "200x8x64x64")


def rnnlab_forward(T: int, B: int, I: int, H: int, seed: int):
    """A call running one rnnlab LSTM forward of that shape under no_grad."""
    rng = np.random.default_rng(seed)
    layer = rnnlab.LSTM(I, H)
    x = rnnlab.Tensor(rng.standard_normal((T, B, I)).astype(np.float32))

    def forward() -> None:
        with rnnlab.no_grad():
            layer(x)

    return forward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), metavar="TxBxIxH")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    rnnlab.set_num_threads(1)
    path = compute_path.current()  # sets up Numba: no call runs on the NumPy steps
    worker = ThreadPoolExecutor(max_workers=1)
    print(f"# core overlap, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"wall clock, {args.rounds} rounds, rnnlab {rnnlab.__version__} ({path}), "
          "one thread per forward")
    print("| shape | alone ms | pair ms | yield |")
    print("|---|---:|---:|---:|")
    for shape in args.shapes:
        T, B, I, H = (int(v) for v in shape.split("x"))
        first, second = rnnlab_forward(T, B, I, H, 0), rnnlab_forward(T, B, I, H, 1)

        def pair(first=first, second=second) -> None:
            pending = worker.submit(second)
            first()
            pending.result()

        timed = timing.alternate({"alone": first, "pair": pair}, args.rounds, warmup=3,
                                 block=3)
        alone, both = timed.median("alone"), timed.median("pair")
        print(f"| {shape} | {alone * 1e3:.2f} | {both * 1e3:.2f} | {2 * alone / both:.2f} |",
              flush=True)
    worker.shutdown()


if __name__ == "__main__":
    main()
