"""The recurrent options of issue 19 against their baselines: training-step time, side by
side in the same process, on speed.py's shapes.

    .venv/bin/python benchmarks/speed/options.py                   # every case and shape
    .venv/bin/python benchmarks/speed/options.py --quick           # 2 shapes, 5 rounds
    .venv/bin/python benchmarks/speed/options.py --cases plain layer_norm --report o.md

A *case* (:data:`CASES`) builds one layer and batch for a shape and returns its training
step (forward, scalar loss = sum of the output, backward to every parameter and the input,
as speed.py) and the call that clears the gradients. :data:`RATIOS` lists the comparisons
the issue sets targets for — (case, baseline, target) — and the table gives, per shape,
each case's median step and each ratio: the median over rounds of the round's median of
the case over the round's median of the baseline. ``--clock process`` times the process's
CPU (both threads) instead of the wall: steadier when other processes load the machine,
blind to time spent waiting.

Timing follows speed.py: float32, ``--threads`` threads for both libraries (2), all cases of
a shape alternate within each round (:func:`timing.alternate`, the order rotating), each a
block of ``--block`` calls of which the first is not timed. The load average is printed
at the start and the end: the machine is shared, so only ratios from the same run mean
anything. A case whose name starts with ``torch`` runs PyTorch; with ``proj_size`` PyTorch
takes its generic (non-oneDNN) CPU path, as it warns.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import peephole_cell
import torch
from threadpoolctl import threadpool_limits
from timing import alternate, environment

import rnnlab
from rnnlab.io.atomic import atomic_write_text
from rnnlab.recurrent import parallel

SHAPES = [(35, 20, 200, 200), (50, 32, 256, 256), (100, 64, 512, 512), (50, 16, 128, 128),
          (200, 8, 64, 64)]  # speed.py's (T, B, I, H)
QUICK_SHAPES = [(35, 20, 200, 200), (200, 8, 64, 64)]


@dataclass(frozen=True)
class Shape:
    T: int
    B: int
    I: int
    H: int

    @property
    def name(self) -> str:
        return f"{self.T}x{self.B}x{self.I}x{self.H}"


@dataclass
class Step:
    """One case on one shape: ``train()`` runs a training step, ``clear()`` drops its
    gradients (untimed, before every call)."""

    train: Callable[[], object]
    clear: Callable[[], object]


def _data(shape: Shape) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((shape.T, shape.B, shape.I)).astype(
        np.float32)


def ours(module: str = "LSTM", **options) -> Callable[[Shape], Step]:
    """An rnnlab layer (``rnnlab.<module>(I, H, **options)``) in train mode."""

    def build(shape: Shape) -> Step:
        layer = getattr(rnnlab, module)(shape.I, shape.H, rng=np.random.default_rng(0),
                                        **options)
        x = rnnlab.Tensor(_data(shape), requires_grad=True)

        def train() -> None:
            layer(x)[0].sum().backward()

        def clear() -> None:
            layer.zero_grad()
            x.grad = None

        return Step(train, clear)

    return build


def theirs(module: str = "LSTM", **options) -> Callable[[Shape], Step]:
    """A PyTorch layer (``torch.nn.<module>(I, H, **options)``)."""

    def build(shape: Shape) -> Step:
        torch.manual_seed(0)
        layer = getattr(torch.nn, module)(shape.I, shape.H, **options)
        x = torch.tensor(_data(shape), requires_grad=True)

        def train() -> None:
            layer(x)[0].sum().backward()

        def clear() -> None:
            layer.zero_grad(set_to_none=True)
            x.grad = None

        return Step(train, clear)

    return build


def peephole(shape: Shape) -> Step:
    """docs/custom_cells.md's peephole LSTM, a user cell with Numba twins
    (:mod:`peephole_cell`), in a ``rnnlab.Recurrent`` layer."""
    layer = rnnlab.Recurrent(peephole_cell.define(), shape.I, shape.H,
                             rng=np.random.default_rng(0))
    x = rnnlab.Tensor(_data(shape), requires_grad=True)

    def clear() -> None:
        layer.zero_grad()
        x.grad = None

    return Step(lambda: layer(x)[0].sum().backward(), clear)


def cell_loop(shape: Shape) -> Step:
    """A Python loop over ``rnnlab.LSTMCell``, one call per step, the outputs stacked: what
    a new cell costs without the layer machinery."""
    cell = rnnlab.LSTMCell(shape.I, shape.H, rng=np.random.default_rng(0))
    x = rnnlab.Tensor(_data(shape), requires_grad=True)

    def train() -> None:
        state, outputs = None, []
        for t in range(shape.T):
            state = cell(x[t], state)
            outputs.append(state[0])
        rnnlab.ops.stack(outputs, axis=0).sum().backward()

    def clear() -> None:
        cell.zero_grad()
        x.grad = None

    return Step(train, clear)


def projected(make: Callable[..., Callable[[Shape], Step]]) -> Callable[[Shape], Step]:
    """An LSTM with proj_size = H / 2 on each shape, built by ``make`` (ours or theirs)."""
    return lambda shape: make("LSTM", proj_size=shape.H // 2)(shape)


CASES: dict[str, Callable[[Shape], Step]] = {
    "plain": ours("LSTM"),
    "layer_norm": ours("LSTM", layer_norm=True),
    "plain_gru": ours("GRU"),
    "layer_norm_gru": ours("GRU", layer_norm=True),
    "proj": projected(ours),
    "torch_proj": projected(theirs),
    "recurrent_dropout": ours("LSTM", recurrent_dropout=0.25),
    "zoneout": ours("LSTM", zoneout=0.1),
    "weight_drop": ours("LSTM", weight_drop=0.5),
    "peephole": peephole,
    "lstm_cell_loop": cell_loop,
}
"""Case name → builder (a shape → its :class:`Step`)."""

RATIOS: list[tuple[str, str, float | None]] = [
    ("layer_norm", "plain", 1.5),
    ("layer_norm_gru", "plain_gru", 1.5),
    ("proj", "torch_proj", 1.0),
    ("recurrent_dropout", "plain", 1.15),
    ("zoneout", "plain", 1.15),
    ("weight_drop", "plain", 1.15),
    ("peephole", "plain", 1.3),
    ("lstm_cell_loop", "peephole", None),
]
"""(case, baseline, the issue's target for case / baseline; None: none, shown for scale)."""


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def measure(shape: Shape, names: list[str], rounds: int, warmup: int, block: int,
            clock: str = "wall") -> dict:
    steps = {name: CASES[name](shape) for name in names}
    timed = alternate({name: step.train for name, step in steps.items()}, rounds,
                      warmup=warmup, block=block, before=lambda name: steps[name].clear(),
                      clock=CLOCKS[clock])
    ratios = {}
    for case, baseline, target in RATIOS:
        if case in steps and baseline in steps:
            per_round = timed.ratios(case, baseline)
            ratios[f"{case} / {baseline}"] = {
                "ratio": timed.ratio(case, baseline), "target": target,
                "iqr": [float(np.percentile(per_round, 25)), float(np.percentile(per_round, 75))]}
    return {"shape": shape.name, "ms": {name: timed.median(name) * 1e3 for name in names},
            "ratios": ratios}


def format_table(results: list[dict], names: list[str]) -> str:
    ratio_names = list(results[0]["ratios"]) if results else []
    header = "| shape | " + " | ".join(f"{n} ms" for n in names) + " | " + " | ".join(
        f"{r} (IQR; target ≤)" for r in ratio_names) + " |"
    lines = [header, "|" + "---|" * (1 + len(names) + len(ratio_names))]
    for r in results:
        cells = [f"{r['ms'][n]:.2f}" for n in names]
        cells += [f"{v['ratio']:.2f} ({v['iqr'][0]:.2f}–{v['iqr'][1]:.2f}; "
                  f"{'—' if v['target'] is None else format(v['target'], 'g')})"
                  for v in r["ratios"].values()]
        lines.append(f"| {r['shape']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 shapes, 5 rounds")
    parser.add_argument("--cases", nargs="*", default=None, choices=list(CASES),
                        help="the cases to run (default: all)")
    parser.add_argument("--shapes", nargs="*", default=None,
                        help="only shapes whose TxBxIxH name contains one of these strings")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (11)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both (2)")
    parser.add_argument("--block", type=int, default=3,
                        help="calls per case per round, the first untimed (3)")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall time (default) or the process's CPU time, all threads: "
                             "steadier on a loaded machine")
    parser.add_argument("--report", type=Path, default=None, metavar="FILE",
                        help="also write the Markdown report to FILE")
    args = parser.parse_args(argv)
    names = args.cases or list(CASES)
    rounds = args.rounds or (5 if args.quick else 11)
    shapes = [Shape(*s) for s in (QUICK_SHAPES if args.quick else SHAPES)]
    if args.shapes:
        shapes = [s for s in shapes if any(part in s.name for part in args.shapes)]
    warnings.filterwarnings("ignore", message="LSTM with projections is not supported")
    torch.set_num_threads(args.threads)
    parallel.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        env = environment(args.threads)
        results = []
        for shape in shapes:
            results.append(measure(shape, names, rounds, warmup=2, block=args.block,
                                   clock=args.clock))
            print(format_table(results[-1:], names).splitlines()[-1], flush=True)
    env["load"] += ", {:.1f} {:.1f} {:.1f} at the end".format(*os.getloadavg())
    lines = [f"- {key}: {value}" for key, value in env.items()]
    lines += [f"- rounds: {rounds} per shape, all cases alternating, each a block of "
              f"{args.block} calls (the first untimed); clock: {args.clock}",
              f"- command: `{' '.join(['python', *sys.argv])}`", "",
              format_table(results, names)]
    report = "\n".join(lines)
    print(report)
    if args.report:
        atomic_write_text(args.report, report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
