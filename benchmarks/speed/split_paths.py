"""The two ways a one-direction layer splits its batch over two threads, side by side.

With the compiled time loops, rnnlab runs both row groups on the layer's own arrays and
computes each whole-sequence product in two halves (``RecurrentLayer(split=…)``); without
them, each group is a layer of its own on copies of its rows (``BatchSplitLayer``). This
times both on the same layer, input and process — the copies path forced by treating the
loops as uncompiled for the split decision — alternating the order every round, and prints
the median time of each and the median of the per-round ratios shared/copies::

    .venv/bin/python benchmarks/speed/split_paths.py               # the speed benchmark's shapes
    .venv/bin/python benchmarks/speed/split_paths.py --rounds 41 --cases LSTM-35x20x200x200
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from timing import alternate  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.recurrent import layers  # noqa: E402

CASES = [("LSTM", 35, 20, 200, 200), ("LSTM", 50, 32, 256, 256), ("LSTM", 50, 16, 128, 128),
         ("LSTM", 200, 8, 64, 64), ("GRU", 100, 64, 512, 512), ("RNN", 100, 64, 512, 512)]


def _name(case) -> str:
    return "{}-{}x{}x{}x{}".format(*case)


def compare(kind: str, T: int, B: int, I: int, H: int, rounds: int) -> dict:
    layer = getattr(rnnlab, kind)(I, H)
    x = rnnlab.Tensor(np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32),
                      requires_grad=True)
    shared_split = layers.can_split_rows

    def use(path: str) -> None:
        layers.can_split_rows = shared_split if path == "shared" else (lambda mode: False)

    def forward() -> None:
        with rnnlab.no_grad():
            layer(x)

    def train() -> None:
        layer.zero_grad()
        x.grad = None
        output, _ = layer(x)
        output.sum().backward()

    start = time.perf_counter()
    while time.perf_counter() - start < 2:  # warm up the kernels, the allocator, the cores
        train()
    result = {}
    try:
        for mode, step in (("forward", forward), ("train", train)):
            timed = alternate({"shared": step, "copies": step}, rounds, before=use)
            result[mode] = (timed.median("shared"), timed.median("copies"),
                            timed.ratio("shared", "copies"))
    finally:
        layers.can_split_rows = shared_split
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--cases", nargs="*", help="e.g. LSTM-35x20x200x200")
    args = parser.parse_args()
    rnnlab.set_num_threads(2)
    cases = [c for c in CASES if not args.cases or _name(c) in args.cases]
    print("| case | fwd shared ms | fwd copies ms | fwd ratio | train shared ms | "
          "train copies ms | train ratio |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        r = compare(*case, rounds=args.rounds)
        (fs, fc, fr), (ts, tc, tr) = r["forward"], r["train"]
        print(f"| {_name(case)} | {fs * 1e3:.2f} | {fc * 1e3:.2f} | {fr:.2f} | "
              f"{ts * 1e3:.2f} | {tc * 1e3:.2f} | {tr:.2f} |", flush=True)


if __name__ == "__main__":
    main()
