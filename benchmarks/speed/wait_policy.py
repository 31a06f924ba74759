"""How much does it matter how rnnlab's two layer threads wait for each other?

    .venv/bin/python benchmarks/speed/wait_policy.py                 # the five LSTM shapes
    .venv/bin/python benchmarks/speed/wait_policy.py --shapes 50x16x128x128 --rounds 21

One LSTM layer on two threads (``rnnlab.set_num_threads(2)``: the batch split in two row
groups at every shape, also where ``rnnlab.recurrent.parallel.splits_rows`` would keep a
small one on one thread, so that every call hands work over), float32, forward under
no_grad and a training step (forward, sum, backward), with ``RNNLAB_WAIT_POLICY`` set to
``passive`` (both threads sleep on a lock while they wait: the hand-over before 2026-12-06)
and ``active`` (they poll for up to 2 ms first: ``rnnlab/recurrent/worker.py``), beside
torch on two threads. The policy is read at every wait, so both run in the same process, in
alternating rounds (:func:`timing.alternate`: blocks of ``--block`` calls, the first
untimed after 10 ms of sleep, wall clock); the table gives medians and each side's ratio to
torch (the median of per-round ratios). Blocks are long (8 calls) because on this virtual
machine the first calls after a pause run slow whatever the policy; with ``--block 4`` that
effect dominated the two smallest forwards (benchmarks/RESULTS.md, "Two threads: how they
wait").
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import timing
import torch

import rnnlab
from rnnlab.recurrent import compute_path, parallel, worker

SHAPES = ("35x20x200x200", "50x32x256x256", "100x64x512x512", "50x16x128x128", "200x8x64x64")


def _call(module, x, mode: str, no_grad):
    """One forward under ``no_grad`` (``mode`` "forward") or one training step of
    ``module`` (an rnnlab or a torch LSTM) on ``x``."""
    def call() -> None:
        if mode == "forward":
            with no_grad():
                module(x)
        else:
            module.zero_grad()
            module(x)[0].sum().backward()

    return call


def sides(T: int, B: int, I: int, H: int, mode: str) -> dict:
    """The three timed calls of one shape: rnnlab under each policy, and torch."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((T, B, I)).astype(np.float32)
    ours = _call(rnnlab.LSTM(I, H), rnnlab.Tensor(data, requires_grad=mode == "train"),
                 mode, rnnlab.no_grad)
    theirs = _call(torch.nn.LSTM(I, H),
                   torch.from_numpy(data.copy()).requires_grad_(mode == "train"), mode,
                   torch.no_grad)

    def under(policy: str):
        def call() -> None:
            os.environ[worker.WAIT_POLICY_ENV] = policy
            ours()

        return call

    return {"passive": under("passive"), "active": under("active"), "torch": theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), metavar="TxBxIxH")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--block", type=int, default=8)
    args = parser.parse_args()
    rnnlab.set_num_threads(2)
    parallel.MIN_SPLIT_MACS = 0  # the rows split at every shape: each call hands over
    torch.set_num_threads(2)
    path = compute_path.current()
    print(f"# wait policy, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, wall clock, "
          f"{args.rounds} rounds, blocks of {args.block}, two threads each, rnnlab "
          f"{rnnlab.__version__} ({path}), torch {torch.__version__}, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print("| shape | mode | passive ms | active ms | torch ms | passive/torch | active/torch |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        T, B, I, H = (int(v) for v in shape.split("x"))
        for mode in ("forward", "train"):
            timed = timing.alternate(sides(T, B, I, H, mode), args.rounds, warmup=2,
                                     block=args.block, switch_gap=0.01)
            ms = {name: timed.median(name) * 1e3 for name in ("passive", "active", "torch")}
            print(f"| {shape} | {mode} | {ms['passive']:.2f} | {ms['active']:.2f} | "
                  f"{ms['torch']:.2f} | {timed.ratio('passive', 'torch'):.2f} | "
                  f"{timed.ratio('active', 'torch'):.2f} |", flush=True)
    os.environ.pop(worker.WAIT_POLICY_ENV, None)


if __name__ == "__main__":
    main()
