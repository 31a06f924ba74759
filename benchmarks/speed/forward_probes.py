"""Probes of the forward-only LSTM (no tape) where it stays above torch's time.

    .venv/bin/python benchmarks/speed/forward_probes.py units      # split rows or hidden units?
    .venv/bin/python benchmarks/speed/forward_probes.py paths      # joint or projected, 2 threads
    .venv/bin/python benchmarks/speed/forward_probes.py overhead   # one call, where time goes
    .venv/bin/python benchmarks/speed/forward_probes.py gates      # the gate arithmetic alone
    .venv/bin/python benchmarks/speed/forward_probes.py floor      # the products alone vs torch
    .venv/bin/python benchmarks/speed/forward_probes.py split      # when splitting rows pays
    NUMBA_CACHE_DIR=/tmp/nc512 NUMBA_CPU_FEATURES="$(.venv/bin/python -c 'import llvmlite.binding
        as b; print(b.get_host_cpu_features().flatten())'),-prefer-256-bit" \\
        .venv/bin/python benchmarks/speed/forward_probes.py gates  # ... with 512-bit vectors

- ``units``: a one-direction layer on two threads can split its batch rows (what rnnlab
  does, here at every shape: each thread runs the whole time loop on its rows) or its
  hidden units (each thread computes the gates of half the units for every row, the two
  meeting at a barrier after every step, as torch's oneDNN kernel splits its products).
  The unit split is built here only, for this comparison: a compiled loop per thread over
  the units' rows of W_hh (packed for MKL), the state double-buffered so that neither
  thread writes what the other may still read, and a barrier of two counters read and
  written atomically.
- ``paths``: on two threads, the joint product per step ([x(t), h] [W_ih, W_hh]ᵀ) against
  the input projection beforehand (``rnnlab/recurrent/inference.py``'s two thresholds).
- ``overhead``: one call at (200, 8, 64, 64) on one thread: the compiled loop, packing and
  assembling the weights, the whole call, and two ways of testing the input for NaN/inf
  (its sum, or its dot product with itself: ``rnnlab.recurrent.layers._check_finite``).
- ``gates``: the loop's gate arithmetic (``lstm_steps.inference_row``) over 200 × 8 rows.
- ``floor``: at every shape, on one thread and on two, the matrix products of rnnlab's
  forward alone — arranged as the forward arranges them (joint or projected, by
  ``inference``'s thresholds; on two threads the batch rows split in halves where
  ``parallel.splits_rows`` splits them), without the gate arithmetic, the state or the
  output — against the whole forward of rnnlab and of
  ``torch.nn.LSTM`` under ``no_grad``. Where the products alone take about torch's whole
  time, a faster forward needs faster products than MKL gives at these sizes.
- ``split``: LSTM, GRU and RNN at T = 100, I = H = 32, 64, 128, B = 8–32: one thread
  against two threads with the rows split (``parallel.MIN_SPLIT_MACS`` set to 0 for the
  probe), and whether ``parallel.splits_rows`` splits that shape (forward and training
  step).

Wall clock, medians; run with every other job paused (these are small differences).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

import rnnlab
from rnnlab.engine.kernels.scalar import kernel
from rnnlab.engine.kernels.spin import spin_until
from rnnlab.recurrent import compute_path, inference, parallel
from rnnlab.recurrent.fused import lstm_steps
from rnnlab.recurrent.fused.packed_gemm import packed_product
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.step_product import pack

SHAPES = ((35, 20, 200, 200), (50, 32, 256, 256), (100, 64, 512, 512), (50, 16, 128, 128),
          (200, 8, 64, 64))
_LINE = 8  # each thread's step counter on a cache line of its own


@intrinsic
def _store_release(typingctx, flags, index, value):
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1]])
        builder.store_atomic(args[2], pointer, "release", 8)
        return context.get_dummy_value()

    return types.none(flags, index, value), codegen


@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def _unit_split_loop(xp, bias, w_packed, output, states, c, hh, u0, u1, flags, me):
    """Units [u0:u1] of every step of a full batch; xp's columns grouped by thread."""
    g0, g1 = 4 * u0, 4 * u1
    for t in range(xp.shape[0]):
        previous, current = states[t % 2], states[1 - t % 2]
        packed_product(previous, w_packed, hh, previous.shape[0])
        for b in range(previous.shape[0]):
            lstm_steps.inference_row(xp[t, b, g0:g1], bias, hh[b], c[b, u0:u1],
                                     current[b, u0:u1])
        lstm_steps.copy_rows(current[:, u0:u1], output[t, :, u0:u1])
        _store_release(flags, me * _LINE, t + 1)  # this step done; wait for the other
        spin_until(flags, (1 - me) * _LINE, t + 1, 1 << 62)


class UnitSplit:
    """A forward of one LSTM layer with its hidden units split over two threads."""

    def __init__(self, w_ih, w_hh, bias, batch: int, pool: ThreadPoolExecutor) -> None:
        H = w_hh.shape[1]
        self.halves = ((0, H // 2), (H // 2, H))
        rows = [np.concatenate([np.arange(g * H + u0, g * H + u1) for g in range(4)])
                for u0, u1 in self.halves]
        self.w_ih = np.ascontiguousarray(w_ih[np.concatenate(rows)])
        self.bias = bias[np.concatenate(rows)]
        self.packed = [pack(np.ascontiguousarray(w_hh[r]).T, batch) for r in rows]
        self.pool, self.H = pool, H

    def __call__(self, x: np.ndarray) -> np.ndarray:
        T, B, I = x.shape
        xp = matmul(x.reshape(T * B, I), self.w_ih.T, split=True).reshape(T, B, 4 * self.H)
        states = np.zeros((2, B, self.H), x.dtype)
        c = np.zeros((B, self.H), x.dtype)
        output = np.empty((T, B, self.H), x.dtype)
        flags = np.zeros(2 * _LINE, np.int64)
        calls = [(xp, self.bias[4 * u0:4 * u1], self.packed[me], output, states, c,
                  np.empty((B, 4 * (u1 - u0)), x.dtype), u0, u1, flags, me)
                 for me, (u0, u1) in enumerate(self.halves)]
        other = self.pool.submit(_unit_split_loop, *calls[1])
        _unit_split_loop(*calls[0])
        other.result()
        return output


def _layer(T: int, B: int, I: int, H: int, cell: str = "LSTM"):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    return getattr(rnnlab, cell)(I, H), x


@contextlib.contextmanager
def _rows_always_split():
    """A one-direction layer on two threads splits its rows at any size, also where
    ``parallel.splits_rows`` would keep it on one thread: for the probes that compare the
    row split itself."""
    saved = parallel.MIN_SPLIT_MACS
    parallel.MIN_SPLIT_MACS = 0
    try:
        yield
    finally:
        parallel.MIN_SPLIT_MACS = saved


def _forward(layer, x: np.ndarray, threads: int):
    tensor = rnnlab.Tensor(x)

    def call() -> None:
        rnnlab.set_num_threads(threads)
        with rnnlab.no_grad():
            layer(tensor)

    return call


def _medians(sides: dict, rounds: int, calls: int = 3) -> dict[str, float]:
    """Median ms per call of each side, timed in alternating rounds after 10 ms of sleep
    and one untimed call."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            time.sleep(0.01)
            call()
            start = time.perf_counter()
            for _ in range(calls):
                call()
            times[name].append((time.perf_counter() - start) / calls)
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def units(rounds: int) -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    print("| shape | one thread ms | rows on 2 threads ms | units on 2 threads ms | max |Δ| |")
    print("|---|---:|---:|---:|---:|")
    for T, B, I, H in SHAPES:
        layer, x = _layer(T, B, I, H)
        p = {name: v.data for name, v in layer.named_parameters()}
        split = UnitSplit(p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"],
                          B, pool)
        rnnlab.set_num_threads(1)
        with rnnlab.no_grad():
            reference = layer(rnnlab.Tensor(x))[0].data
        difference = float(np.abs(split(x) - reference).max())
        with _rows_always_split():
            ms = _medians({"one": _forward(layer, x, 1), "rows": _forward(layer, x, 2),
                           "units": lambda split=split, x=x: split(x)}, rounds)
        print(f"| {T}x{B}x{I}x{H} | {ms['one']:.3f} | {ms['rows']:.3f} | {ms['units']:.3f} | "
              f"{difference:.1e} |", flush=True)


def paths(rounds: int) -> None:
    thresholds = {"joint": (1 << 40, 0), "projected": (0, 1 << 40)}
    saved = inference.JOINT_MAX_BYTES, inference.SPLIT_MAX_BYTES
    print("| shape | joint ms | projected ms |")
    print("|---|---:|---:|")
    for T, B, I, H in SHAPES[:3]:
        layer, x = _layer(T, B, I, H)
        forward = _forward(layer, x, 2)

        def under(limits, forward=forward):
            def call() -> None:
                inference.JOINT_MAX_BYTES, inference.SPLIT_MAX_BYTES = limits
                forward()

            return call

        ms = _medians({name: under(limits) for name, limits in thresholds.items()}, rounds)
        print(f"| {T}x{B}x{I}x{H} | {ms['joint']:.3f} | {ms['projected']:.3f} |", flush=True)
    inference.JOINT_MAX_BYTES, inference.SPLIT_MAX_BYTES = saved


def overhead(rounds: int) -> None:
    T, B, I, H = 200, 8, 64, 64
    layer, x = _layer(T, B, I, H)
    p = {name: v.data for name, v in layer.named_parameters()}
    w_ih, w_hh = p["weight_ih_l0"], p["weight_hh_l0"]
    joint = np.empty((4 * H, I + H), np.float32)

    def assemble() -> None:
        joint[:, :I], joint[:, I:] = w_ih, w_hh

    loop = lstm_steps.joint_inference_sequence
    seconds: list[float] = []

    def timed_loop(*args):
        start = time.perf_counter()
        loop(*args)
        seconds.append(time.perf_counter() - start)

    forward = _forward(layer, x, 1)
    lstm_steps.joint_inference_sequence = timed_loop
    try:
        call = _medians({"call": forward}, rounds, calls=20)["call"]
    finally:
        lstm_steps.joint_inference_sequence = loop
    flat = x.reshape(-1)
    parts = _medians({"assemble": assemble, "pack": lambda: pack(joint.T, B, scratch=True),
                      "sum": x.sum, "dot": lambda: np.dot(flat, flat)}, rounds, calls=20)
    print(f"(200, 8, 64, 64), one thread: call {call:.3f} ms, compiled loop "
          f"{np.median(seconds) * 1e3:.3f} ms, assembling [W_ih, W_hh] "
          f"{parts['assemble'] * 1e3:.1f} µs, packing it {parts['pack'] * 1e3:.1f} µs; "
          f"the input's finite check by its sum {parts['sum'] * 1e3:.1f} µs, by its dot "
          f"product with itself {parts['dot'] * 1e3:.1f} µs")


@kernel
def _gate_rows(xp, bias, hh, c, h, repeats):
    for _ in range(repeats):
        for t in range(xp.shape[0]):
            for b in range(xp.shape[1]):
                lstm_steps.inference_row(xp[t, b], bias, hh[b], c[b], h[b])


def gates(rounds: int) -> None:
    T, B, H = 200, 8, 64
    rng = np.random.default_rng(0)
    xp = rng.standard_normal((T, B, 4 * H)).astype(np.float32)
    bias = np.zeros(4 * H, np.float32)
    hh = rng.standard_normal((B, 4 * H)).astype(np.float32)
    c, h = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
    _gate_rows(xp, bias, hh, c, h, 1)
    ms = _medians({"gates": lambda: _gate_rows(xp, bias, hh, c, h, 20)}, rounds)["gates"]
    print(f"gate arithmetic over {T} x {B} rows (H = {H}): {ms / 20:.3f} ms")


@kernel
def _joint_products(x, w_packed, hx, hh, start, stop):
    inputs = x.shape[2]
    for t in range(x.shape[0]):
        lstm_steps.copy_rows(x[t, start:stop], hx[start:stop, :inputs])
        packed_product(hx[start:], w_packed, hh[start:], stop - start)


@kernel
def _recurrent_products(steps, h, w_packed, hh, start, stop):
    for _ in range(steps):
        packed_product(h[start:], w_packed, hh[start:], stop - start)


def _products(layer, x: np.ndarray, threads: int):
    """The products of ``layer``'s forward on ``x`` (``floor`` in the module docstring)."""
    T, B, I = x.shape
    p = {name: v.data for name, v in layer.named_parameters()}
    w_ih, w_hh = p["weight_ih_l0"], p["weight_hh_l0"]
    gates, H = w_hh.shape
    split = threads > 1 and parallel.splits_rows(B, H, gates)  # as the forward splits
    groups = [(0, B // 2), (B // 2, B)] if split else [(0, B)]
    rows = groups[0][1] - groups[0][0]
    hh = np.empty((B, gates), np.float32)
    if inference._joint(layer.kind.kernels(None), x, w_hh):
        hx = np.zeros((B, I + H), np.float32)
        w_packed = pack(np.concatenate([w_ih, w_hh], axis=1).T, rows)

        def call() -> None:
            rnnlab.set_num_threads(threads)
            run_each(lambda g: _joint_products(x, w_packed, hx, hh, *g), groups)
    else:
        h = np.zeros((B, H), np.float32)
        w_packed = pack(w_hh.T, rows)

        def call() -> None:
            rnnlab.set_num_threads(threads)
            matmul(x.reshape(T * B, I), w_ih.T, split=split)
            run_each(lambda g: _recurrent_products(T, h, w_packed, hh, *g), groups)

    return call


def floor(rounds: int) -> None:
    import torch

    print("| shape | threads | products alone ms | rnnlab ms | torch ms | products / torch "
          "| rnnlab / torch |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for T, B, I, H in SHAPES:
        layer, x = _layer(T, B, I, H)
        reference = torch.nn.LSTM(I, H)
        tensor = torch.from_numpy(x)
        for threads in (1, 2):
            def torch_forward(threads=threads, reference=reference, tensor=tensor) -> None:
                torch.set_num_threads(threads)
                with torch.no_grad():
                    reference(tensor)

            ms = _medians({"products": _products(layer, x, threads),
                           "rnnlab": _forward(layer, x, threads), "torch": torch_forward},
                          rounds)
            print(f"| {T}x{B}x{I}x{H} | {threads} | {ms['products']:.3f} | {ms['rnnlab']:.3f} "
                  f"| {ms['torch']:.3f} | {ms['products'] / ms['torch']:.2f} "
                  f"| {ms['rnnlab'] / ms['torch']:.2f} |", flush=True)


def _training_step(layer, x: np.ndarray, threads: int):
    tensor = rnnlab.Tensor(x, requires_grad=True)

    def call() -> None:
        rnnlab.set_num_threads(threads)
        layer(tensor)[0].sum().backward()

    return call


def split(rounds: int) -> None:
    print("| cell | T, B, I, H | forward: one thread ms | rows split, 2 threads ms | 2 / 1 "
          "| training step: one thread ms | rows split, 2 threads ms | 2 / 1 | split |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for cell in ("LSTM", "GRU", "RNN"):
        for H in (32, 64, 128):
            for B in (8, 16, 24, 32):
                T = 100
                layer, x = _layer(T, B, H, H, cell)
                rule = "yes" if parallel.splits_rows(B, H, layer.kind.gates * H) else "no"
                with _rows_always_split():
                    ms = _medians({"one": _forward(layer, x, 1), "two": _forward(layer, x, 2),
                                   "step one": _training_step(layer, x, 1),
                                   "step two": _training_step(layer, x, 2)}, rounds)
                print(f"| {cell} | {T}, {B}, {H}, {H} | {ms['one']:.3f} | {ms['two']:.3f} "
                      f"| {ms['two'] / ms['one']:.2f} | {ms['step one']:.3f} "
                      f"| {ms['step two']:.3f} | {ms['step two'] / ms['step one']:.2f} "
                      f"| {rule} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probe",
                        choices=("units", "paths", "overhead", "gates", "floor", "split"))
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    compute_path.current()
    print(f"# forward probe {args.probe}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{compute_path.current()}, {args.rounds} rounds")
    {"units": units, "paths": paths, "overhead": overhead, "gates": gates,
     "floor": floor, "split": split}[args.probe](
        args.rounds)


if __name__ == "__main__":
    main()
