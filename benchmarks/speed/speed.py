"""Recurrent layers, rnnlab against PyTorch, side by side on the same CPU.

    .venv/bin/python benchmarks/speed/speed.py                # every case, prints the table
    .venv/bin/python benchmarks/speed/speed.py --report speed.md  # ... and writes it to a file
    .venv/bin/python benchmarks/speed/speed.py --quick        # smoke run: 2 shapes, few repeats
    .venv/bin/python benchmarks/speed/speed.py --cases lstm-50x32 gru  # names containing...

Both libraries run float32 on 2 threads (``torch.set_num_threads(2)``; threadpoolctl limits
NumPy's BLAS) with the same weights and inputs, in the same process. Each case times a
forward pass under no_grad and a training step (forward, scalar loss = sum of the output,
backward to the gradients of every parameter and of the input). After warm-up, each round
runs a block of ``--block`` calls (3) of each library, the two blocks in alternating
order, and times all but the first call of a block; a round's ratio is the median of our
timed calls over the median of torch's, and the table gives the median time of each and
the median of the per-round ratios. ``2-core yield`` (:func:`core_yield`, measured after
each case on two or more threads) says how much of a second core the process got at the
time: 2.0 a whole one, 1.0 none. ``floor`` is the time NumPy needs for the matrix products
alone (speed_floor.py); ``×floor`` is our training step as a multiple of it. Variable-length
cases draw lengths uniformly in [T/2, T]; torch runs them through ``pack_padded_sequence``.
Peak memory: speed_memory.py, one subprocess per library.

Why blocks with an untimed first call: torch's OpenMP workers (GNU libgomp) busy-wait after
each parallel region — 2.7–3.9 ms of CPU after each torch LSTM call
(``benchmarks/speed/torch_spin.py``) — so a call that follows a torch call at once shares both
cores with two spinning threads for its first milliseconds, and torch's first call after a
pause waits for its sleeping workers. Neither happens to a user who runs one library; each
block's first call absorbs the switch, and the timed calls follow their own library's
calls, as in use. ``--block 1`` times every call, back to back, the two libraries
alternating (each of our calls then starts beside torch's spinning workers; this was the
method of the tables before 2026-11-28 05:30 UTC). rnnlab's worker thread polls for work
for 2 ms after each job too (``rnnlab/recurrent/worker.py``), and a small call is shorter
than torch's polling after it: ``--switch-gap-ms`` (10) of sleep before each block's
untimed call lets the other library's threads stop polling first (tables before
2026-12-06 18:30 UTC had no such gap). ``--gap-ms`` adds idle time before every call: both
libraries then start on idle cores and sleeping threads, which slowed torch's short calls
more than ours (its small-shape forward took twice as long).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from speed_floor import gemm_floor
from threadpoolctl import threadpool_limits
from timing import alternate, environment

import rnnlab
from rnnlab.io.atomic import atomic_write_text
from rnnlab.recurrent import MODULES, compute_path, gemm, parallel

HERE = Path(__file__).resolve().parent
SHAPES = [(35, 20, 200, 200), (50, 32, 256, 256), (100, 64, 512, 512), (50, 16, 128, 128),
          (200, 8, 64, 64)]
QUICK_SHAPES = [(35, 20, 200, 200), (200, 8, 64, 64)]
MEMORY_SHAPE = (1000, 32, 256, 256)


@dataclass(frozen=True)
class Case:
    kind: str  # LSTM, GRU or RNN (tanh)
    T: int
    B: int
    I: int
    H: int
    layers: int = 1
    bidirectional: bool = False
    variable: bool = False

    @property
    def name(self) -> str:
        name = f"{self.kind.lower()}-{self.T}x{self.B}x{self.I}x{self.H}"
        if self.layers > 1 or self.bidirectional:
            name += f"-{self.layers}L" + ("-bi" if self.bidirectional else "")
        return name + ("-varlen" if self.variable else "")


def all_cases(quick: bool) -> list[Case]:
    shapes = QUICK_SHAPES if quick else SHAPES
    cases = [Case(kind, *shape) for kind in ("LSTM", "GRU", "RNN") for shape in shapes]
    cases.append(Case("LSTM", 50, 32, 256, 256, layers=2, bidirectional=True))
    cases += [Case(kind, 50, 32, 256, 256, variable=True) for kind in ("LSTM", "GRU")]
    return cases


class Pair:
    """The same layer and batch in both libraries, with a forward and a training step each."""

    def __init__(self, case: Case) -> None:
        rng = np.random.default_rng(0)
        torch.manual_seed(0)
        options = {"num_layers": case.layers, "bidirectional": case.bidirectional}
        self.theirs = getattr(torch.nn, case.kind)(case.I, case.H, **options)
        self.ours = getattr(rnnlab, case.kind)(case.I, case.H, **options)
        self.ours.load_state_dict({k: v.detach().numpy() for k, v in
                                   self.theirs.state_dict().items()})
        data = rng.standard_normal((case.T, case.B, case.I)).astype(np.float32)
        self.lengths = None
        if case.variable:
            self.lengths = rng.integers(case.T // 2, case.T + 1, case.B)
            self.lengths[0] = case.T
        self.x_ours = rnnlab.Tensor(data, requires_grad=True)
        self.x_theirs = torch.tensor(data, requires_grad=True)
        self.lengths_theirs = None if self.lengths is None else torch.tensor(self.lengths)

    def steps_per_time(self) -> list[int]:
        T, B = self.x_ours.shape[:2]
        if self.lengths is None:
            return [B] * T
        return [int((self.lengths > t).sum()) for t in range(T)]

    def _run_ours(self):
        output, _ = self.ours(self.x_ours, lengths=self.lengths)
        return output

    def _run_theirs(self):
        if self.lengths_theirs is None:
            return self.theirs(self.x_theirs)[0]
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            self.x_theirs, self.lengths_theirs, enforce_sorted=False
        )
        return self.theirs(packed)[0].data

    def forward_ours(self) -> None:
        with rnnlab.no_grad():
            self._run_ours()

    def forward_theirs(self) -> None:
        with torch.no_grad():
            self._run_theirs()

    def train_ours(self) -> None:
        self._run_ours().sum().backward()

    def train_theirs(self) -> None:
        self._run_theirs().sum().backward()

    def clear_grads(self) -> None:
        self.ours.zero_grad()
        self.x_ours.grad = None
        self.theirs.zero_grad(set_to_none=True)
        self.x_theirs.grad = None


GAP_MS = 0.0
SWITCH_GAP_MS = 10.0
BLOCK = 3
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def compare(ours, theirs, rounds: int, warmup: int, before, gap: float,
            block: int = BLOCK, clock=time.perf_counter,
            switch_gap: float = SWITCH_GAP_MS / 1e3) -> dict:
    """Median seconds of each and median of the per-round ratios ours/theirs.

    A round runs one block of ``block`` calls of each library, the two blocks in
    alternating order; a block's first call is not timed when ``block`` > 1 (it absorbs the
    switch from the other library: the other's spinning workers, its own sleeping ones), so
    each library is timed as it runs when used on its own, calls following each other. A
    round's ratio is the median of our timed calls over the median of theirs. ``gap``: idle
    seconds before each call; ``switch_gap``: before each block (module docstring)."""
    timed = alternate({"ours": ours, "torch": theirs}, rounds, warmup=warmup, block=block,
                      before=lambda _: before(), gap=gap, switch_gap=switch_gap, clock=clock)
    ratios = timed.ratios("ours", "torch")
    return {
        "ours": timed.median("ours"),
        "torch": timed.median("torch"),
        "ratio": timed.ratio("ours", "torch"),
        "ratio_iqr": [float(np.percentile(ratios, 25)), float(np.percentile(ratios, 75))],
    }


def core_yield(rounds: int = 21) -> float:
    """How much of a second core this process got just now: twice the time of one fixed
    single-thread product (700×200 · 200×800 float32, rnnlab's GEMM) alone over the time of
    two such products at once on rnnlab's two threads — 2.0 is a whole second core, 1.0 none.
    On a shared virtual machine this moves from minute to minute, and every two-thread time
    in the table moves with it."""
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((700, 200)).astype(np.float32) for _ in range(2)]
    weights = rng.standard_normal((200, 800)).astype(np.float32)

    def product(i: int):
        return gemm.matmul(inputs[i], weights)

    def both() -> None:
        parallel.run_pair(lambda: product(0), lambda: product(1))

    for _ in range(3):  # wake both threads
        both()
    timed = alternate({"alone": lambda: product(0), "together": both}, rounds, rotate=False)
    return 2 * timed.median("alone") / timed.median("together")


def run_case(case: Case, rounds: int, warmup: int, gap: float, block: int,
             threads: int, clock=time.perf_counter,
             switch_gap: float = SWITCH_GAP_MS / 1e3) -> dict:
    pair = Pair(case)
    forward = compare(pair.forward_ours, pair.forward_theirs, rounds, warmup, lambda: None,
                      gap, block, clock, switch_gap)
    train = compare(pair.train_ours, pair.train_theirs, rounds, warmup, pair.clear_grads, gap,
                    block, clock, switch_gap)
    floor_fwd, floor_train = gemm_floor(
        pair.steps_per_time(), case.I, case.H, MODULES[case.kind.lower()].kind.gates, case.layers,
        2 if case.bidirectional else 1, clock=clock,
    )
    return {"case": case.name, "forward": forward, "train": train,
            "floor_forward": floor_fwd, "floor_train": floor_train,
            "yield": _yield_after_torch() if threads > 1 else None}


def _yield_after_torch() -> float:
    time.sleep(0.05)  # torch's workers stop spinning first
    return core_yield()


def measure_memory(shape: tuple[int, int, int, int]) -> dict:
    """Peak extra resident memory of one LSTM training step, each library in a subprocess."""
    result = {}
    for which in ("ours", "torch"):
        command = [sys.executable, str(HERE / "speed_memory.py"), which, *map(str, shape)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        result[which] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_compile_time() -> dict:
    """Seconds of the first tiny training step of each cell with an empty Numba cache
    (what CI pays), and of the same step in a second process that loads the cache."""
    script = (
        "import json, time\n"
        "start = time.perf_counter()\n"
        "import numba, numpy as np, rnnlab\n"
        "out = {'import numba': time.perf_counter() - start}\n"
        "for kind in ('LSTM', 'GRU', 'RNN'):\n"
        "    m = getattr(rnnlab, kind)(4, 5)\n"
        "    x = rnnlab.Tensor(np.ones((3, 2, 4), np.float32), requires_grad=True)\n"
        "    start = time.perf_counter()\n"
        "    m(x)[0].sum().backward()\n"
        "    out[kind] = time.perf_counter() - start\n"
        "print(json.dumps(out))\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [
            subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout
            for _ in range(2)
        ]
    cold, warm = (json.loads(r.strip().splitlines()[-1]) for r in runs)
    return {"cold": cold, "cached": warm}


def format_table(results: list[dict]) -> str:
    with_yield = any(r["yield"] is not None for r in results)
    header = ("| case | fwd ours ms | fwd torch ms | fwd ratio | train ours ms | "
              "train torch ms | train ratio (IQR) | floor ms | ×floor |"
              + (" 2-core yield |" if with_yield else ""))
    lines = [header, "|" + "---|" * (10 if with_yield else 9)]
    for r in results:
        f, t = r["forward"], r["train"]
        lines.append(
            f"| {r['case']} | {f['ours'] * 1e3:.2f} | {f['torch'] * 1e3:.2f} | "
            f"{f['ratio']:.2f} | {t['ours'] * 1e3:.2f} | {t['torch'] * 1e3:.2f} | "
            f"{t['ratio']:.2f} ({t['ratio_iqr'][0]:.2f}–{t['ratio_iqr'][1]:.2f}) | "
            f"{r['floor_train'] * 1e3:.2f} | {t['ours'] / r['floor_train']:.2f} |"
            + (f" {r['yield']:.2f} |" if with_yield else "")
        )
    return "\n".join(lines)


def format_report(env: dict, table: str, memory: dict | None, compile_time: dict | None,
                  command: str, rounds: int, gap_ms: float, block: int,
                  switch_gap_ms: float = 0.0) -> str:
    lines = [f"- {key}: {value}" for key, value in env.items()]
    timed = (f"{block} calls each, the first untimed after {switch_gap_ms:g} ms idle"
             if block > 1 else "1 call each")
    lines += [f"- rounds: {rounds} per case and mode (after warm-up), each a block of "
              f"{timed}, the libraries' order alternating; {gap_ms:g} ms idle before each "
              "call",
              f"- command: `{command}`", "", table]
    if memory:
        shape = "T={}, B={}, I={}, H={}".format(*MEMORY_SHAPE)
        ours, theirs = memory["ours"], memory["torch"]
        lines += [
            "",
            f"Peak memory of one LSTM training step ({shape}, float32): extra resident "
            "memory at the step's peak (VmHWM reset via /proc/self/clear_refs, minus RSS "
            "before the step), a fresh subprocess per library, measured on the second full "
            "step (speed_memory.py):",
            "",
            f"- rnnlab: {ours['rss_peak_delta'] / 2**20:.0f} MiB "
            f"(tracemalloc peak of the step: {ours['tracemalloc_peak'] / 2**20:.0f} MiB)",
            f"- torch: {theirs['rss_peak_delta'] / 2**20:.0f} MiB",
        ]
    if compile_time:
        cold = ", ".join(f"{k} {v:.2f} s" for k, v in compile_time["cold"].items())
        warm = ", ".join(f"{k} {v:.2f} s" for k, v in compile_time["cached"].items())
        lines += ["", f"First tiny training step per cell in a fresh process with an empty "
                  f"Numba cache (compiles the float32 kernels): {cold}. Same, cache filled: "
                  f"{warm}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 shapes, 5 rounds, no memory")
    parser.add_argument("--cases", nargs="*", default=None,
                        help="run only cases whose name contains one of these strings")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (21)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both (2)")
    parser.add_argument("--no-memory", action="store_true", help="skip the T=1000 memory run")
    parser.add_argument("--gap-ms", type=float, default=GAP_MS,
                        help="idle milliseconds before each timed call (0; see the docstring)")
    parser.add_argument("--switch-gap-ms", type=float, default=SWITCH_GAP_MS,
                        help="idle milliseconds before each block's untimed first call "
                             f"({SWITCH_GAP_MS:g}; see the docstring)")
    parser.add_argument("--block", type=int, default=BLOCK,
                        help=f"calls per library per round, the first untimed ({BLOCK}; "
                             "1: one timed call each, back to back)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall (default): what a user waits; cpu: CPU time of the whole "
                             "process, steadier on a shared machine, fair with --threads 1 "
                             "(with more, torch's spinning OpenMP workers count too)")
    parser.add_argument("--report", type=Path, default=None, metavar="FILE",
                        help="also write the Markdown report to FILE (RESULTS.md's speed "
                             "tables are copied from such a report by hand)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 21)
    warmup = 2 if args.quick else 3
    cases = all_cases(args.quick)
    if args.cases:
        cases = [c for c in cases if any(s in c.name for s in args.cases)]
    torch.set_num_threads(args.threads)
    parallel.set_num_threads(args.threads)  # the two directions of a bidirectional layer
    with threadpool_limits(args.threads):
        env = environment(args.threads)
        compute_path.current()  # forwards without a tape compiled from the first call on
        results = []
        for case in cases:
            results.append(run_case(case, rounds, warmup, args.gap_ms / 1e3, args.block,
                                    args.threads, CLOCKS[args.clock],
                                    args.switch_gap_ms / 1e3))
            r = results[-1]
            print(f"{r['case']}: forward {r['forward']['ratio']:.2f}, "
                  f"train {r['train']['ratio']:.2f}", file=sys.stderr, flush=True)
    full_run = not args.quick and not args.cases
    memory = None if (args.quick or args.no_memory) else measure_memory(MEMORY_SHAPE)
    compile_time = measure_compile_time() if full_run else None
    command = "python benchmarks/speed/speed.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    report = format_report(env, format_table(results), memory, compile_time, command.strip(),
                           rounds, args.gap_ms, args.block, args.switch_gap_ms)
    print(report)
    if args.report is not None:
        atomic_write_text(args.report, report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
