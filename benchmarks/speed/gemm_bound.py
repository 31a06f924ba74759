"""How low can ours/torch go? The training step's matrix products alone, at their best.

    .venv/bin/python benchmarks/speed/gemm_bound.py            # GRU, RNN, LSTM at (100,64,512,512)
    .venv/bin/python benchmarks/speed/gemm_bound.py --cells gru --shape 50 32 256 256
    .venv/bin/python benchmarks/speed/gemm_bound.py --checks   # what the bound rests on
    .venv/bin/python benchmarks/speed/gemm_bound.py --phases   # where a GRU step exceeds it

A training step of one recurrent layer with G gates (RNN 1, GRU 3, LSTM 4) must do six
products, three of 2·T·B·I·GH floating-point operations and three of 2·T·B·H·GH::

    X · W_ihᵀ          H_prev · W_hhᵀ  (T steps)     forward
    δZ · W_hh (T steps)   δZᵀ · H_prev   δZ · W_ih   δZᵀ · X     backward

The *bound* runs exactly these six as whole-sequence products — the T per-step ones too, as
one (T·B)-row product each — through the same MKL GEMM rnnlab uses, each split in two
halves on two threads (``gemm.matmul(split=True)``), into result buffers kept from call to
call, with no elementwise work at all: the products alone, at the rate MKL's GEMM gives
them on this machine at that moment. A step built on that GEMM takes at least this long, so
bound/torch is the smallest ours/torch ratio within reach. ``--checks`` measures the two
choices this rests on, one thread: one (T·B)-row product against T packed products of B
rows (as rnnlab's time loops do them), and a kept result buffer against a fresh one (whose
pages the kernel must zero). ``gemm_peak.py`` gives the more optimistic bound of two whole
cores at the best one-thread rate; on this virtual machine two threads seldom get that.

The same six products through NumPy's own BLAS (OpenBLAS, two threads) are timed beside
them ("OpenBLAS bound"), in case another GEMM does them faster than MKL's two halves.

Rounds alternate the four — rnnlab's training step, torch's, and the two bounds — in blocks
of 3 calls, the first untimed (as speed.py), the order rotating; each ratio is the median of the
per-round ratios. Float32, 2 threads each (``torch.set_num_threads``, threadpoolctl).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from speed import Case, Pair
from threadpoolctl import threadpool_limits
from timing import alternate, environment

import rnnlab
from rnnlab.recurrent import KINDS, MODULES, compute_path, gemm, parallel

BLOCK = 3


class Products:
    """The six products of one training step (docstring), on fresh float32 operands."""

    def __init__(self, T: int, B: int, I: int, H: int, gates: int,  # noqa: E741
                 library: str = "mkl") -> None:
        self.library = library  # "mkl": rnnlab's GEMM, two halves; "numpy": NumPy's BLAS
        rng = np.random.default_rng(0)
        GH = gates * H

        def rand(*shape):
            return rng.standard_normal(shape).astype(np.float32)

        x, h_prev, d_z = rand(T * B, I), rand(T * B, H), rand(T * B, GH)
        w_ih, w_hh = rand(GH, I), rand(GH, H)
        self.products = [
            (x, w_ih.T),  # input projection
            (h_prev, w_hh.T),  # the recurrent products, as one
            (d_z, w_hh),  # δh(t−1), as one
            (d_z.T, h_prev),  # ∂L/∂W_hh
            (d_z, w_ih),  # ∂L/∂x
            (d_z.T, x),  # ∂L/∂W_ih
        ]
        # results go to buffers reused from call to call: no fresh pages to zero
        self.outputs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in self.products]
        self.flops = 2 * T * B * GH * 3 * (I + H)

    def __call__(self) -> None:
        for (a, b), out in zip(self.products, self.outputs, strict=True):
            if self.library == "numpy":
                np.matmul(a, b, out=out)  # OpenBLAS with its own threads (threadpoolctl: 2)
            else:
                gemm.matmul(a, b, split=True, out=out)


def measure(cell: str, shape: tuple[int, int, int, int], rounds: int, warmup: int) -> dict:
    """Median times and per-round ratios of rnnlab, torch and the bound for one case."""
    pair = Pair(Case(cell.upper(), *shape))
    gates = MODULES[cell].kind.gates
    bound = Products(*shape, gates)
    sides = {"ours": pair.train_ours, "torch": pair.train_theirs, "bound": bound,
             "openblas": Products(*shape, gates, library="numpy")}
    timed = alternate(sides, rounds, warmup=warmup, block=BLOCK,
                      before=lambda _: pair.clear_grads())
    result = {f"{name} ms": 1e3 * timed.median(name) for name in sides}
    for key in ("ours/torch", "bound/torch", "ours/bound", "openblas/torch"):
        result[key] = timed.ratio(*key.split("/"))
    result["bound GFLOP/s"] = bound.flops / 1e9 / (result["bound ms"] / 1e3)
    result["torch GFLOP/s"] = bound.flops / 1e9 / (result["torch ms"] / 1e3)
    return result


def _per_step_products():
    """A compiled loop of T packed products of B rows, as rnnlab's time loops run them:
    ``per_step(states (T, B, K), packed, out (T, B, N))``; None without MKL and Numba."""
    import numba

    from rnnlab.recurrent.fused.packed_gemm import packed_product

    if compute_path.current() != compute_path.NUMBA_MKL:
        return None

    @numba.njit(nogil=True)
    def per_step(states, packed, out):
        for t in range(states.shape[0]):
            packed_product(states[t], packed, out[t], states.shape[1])

    return per_step


def checks(shape: tuple[int, int, int, int], rounds: int = 21) -> None:
    """One thread, the recurrent product of a GRU-sized layer (H × 3H): (a) one (T·B)-row
    product into a kept buffer against T packed products of B rows, compiled as rnnlab's
    time loops run them; (b) a fresh result buffer against a kept one. Medians of
    per-round ratios, the two sides alternating."""
    from rnnlab.recurrent.step_product import pack

    per_step = _per_step_products()
    if per_step is None:
        print("--checks needs MKL and Numba (the compiled time loops)")
        return
    T, B, _, H = shape
    rng = np.random.default_rng(0)
    states = rng.standard_normal((T, B, H)).astype(np.float32)
    w_hh = rng.standard_normal((3 * H, H)).astype(np.float32)
    kept = np.zeros((T, B, 3 * H), np.float32)
    packed = pack(w_hh.T, B)
    flat = states.reshape(T * B, H)
    sides = {
        "one product, kept buffer": lambda: gemm.matmul(flat, w_hh.T, out=kept.reshape(T * B, -1)),
        "T packed products": lambda: per_step(states, packed, kept),
        "one product, fresh buffer": lambda: gemm.matmul(flat, w_hh.T),
    }
    timed = alternate(sides, rounds, warmup=2, rotate=False)
    print(f"one thread, ({T * B} × {H}) · ({H} × {3 * H}), {rounds} rounds:")
    for name in sides:
        print(f"  {name}: {1e3 * timed.median(name):.1f} ms, ratio to one product into a kept "
              f"buffer {timed.ratio(name, 'one product, kept buffer'):.3f}")


def phases(shape: tuple[int, int, int, int], rounds: int = 13) -> None:
    """One thread, a GRU training step phase by phase, each beside its products alone (into
    kept buffers): input projection; forward time loop (against T packed recurrent
    products); BPTT with ∂L/∂W_hh (against T packed products and the ∂L/∂W_hh product);
    ∂L/∂x; ∂L/∂W_ih with ∂L/∂b. What each phase costs beyond its products is the rest of
    rnnlab's step: gate arithmetic, fresh result pages, bias sums."""
    from rnnlab.recurrent import gru_cell
    from rnnlab.recurrent.schedule import make_schedule
    from rnnlab.recurrent.step_product import pack

    per_step = _per_step_products()
    if per_step is None:
        print("--phases needs MKL and Numba (the compiled time loops)")
        return
    parallel.set_num_threads(1)
    T, B, I, H = shape
    GH = 3 * H
    rng = np.random.default_rng(0)

    def rand(*dims, scale=1.0):
        return (scale * rng.standard_normal(dims)).astype(np.float32)

    x, d_out = rand(T * B, I), rand(T, B, H)
    w_ih, w_hh = rand(GH, I, scale=0.05), rand(GH, H, scale=0.05)
    bias, b_hn, h0 = np.zeros(GH, np.float32), np.zeros(H, np.float32), np.zeros((B, H),
                                                                                  np.float32)
    schedule = make_schedule(np.full(T, B), B, False)
    states, d_z = rand(T, B, H), rand(T, B, GH)
    kept = {"xp": np.empty((T * B, GH), np.float32), "hh": np.empty((T, B, GH), np.float32),
            "dh": np.empty((T, B, H), np.float32), "dx": np.empty((T * B, I), np.float32),
            "dw_ih": np.empty((GH, I), np.float32), "dw_hh": np.empty((GH, H), np.float32)}
    forward_packed, backward_packed = pack(w_hh.T, B), pack(w_hh, B)
    names = ["input projection", "forward time loop", "BPTT and ∂L/∂W_hh", "∂L/∂x",
             "∂L/∂W_ih and ∂L/∂b"]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    clock: list[float] = []
    tick = clock.append
    for r in range(rounds + 2):
        clock.clear()
        tick(time.perf_counter())
        xp = gemm.matmul(x, w_ih.T, bias=bias).reshape(T, B, GH)
        tick(time.perf_counter())
        gemm.matmul(x, w_ih.T, out=kept["xp"])
        tick(time.perf_counter())
        _, cache = gru_cell.forward(xp, w_hh, b_hn, h0, schedule, "pytorch", 0,
                                    kernels=KINDS["gru"].kernels())
        tick(time.perf_counter())
        per_step(states, forward_packed, kept["hh"])
        tick(time.perf_counter())
        d_xp, *_ = gru_cell.backward(cache, d_out, np.zeros((B, H), np.float32), w_hh, schedule)
        tick(time.perf_counter())
        per_step(d_z, backward_packed, kept["dh"])
        gemm.matmul(d_z.reshape(T * B, GH).T, states.reshape(T * B, H), out=kept["dw_hh"])
        tick(time.perf_counter())
        flat = d_xp.reshape(T * B, GH)
        gemm.matmul(flat, w_ih)
        tick(time.perf_counter())
        gemm.matmul(flat, w_ih, out=kept["dx"])
        tick(time.perf_counter())
        gemm.matmul(flat.T, x)
        flat.sum(axis=0)
        tick(time.perf_counter())
        gemm.matmul(flat.T, x, out=kept["dw_ih"])
        tick(time.perf_counter())
        if r >= 2:  # warm-up
            spans = np.diff(clock)
            for k, name in enumerate(names):
                times[name].append((spans[2 * k], spans[2 * k + 1]))
    print(f"one thread, GRU (T, B, I, H) = {shape}, {rounds} rounds, median ms:")
    total_ours = total_products = 0.0
    for name, pairs in times.items():
        ours, products = (float(np.median([p[i] for p in pairs])) * 1e3 for i in (0, 1))
        total_ours, total_products = total_ours + ours, total_products + products
        print(f"  {name}: rnnlab {ours:.1f}, products alone {products:.1f}, "
              f"ratio {np.median([a / b for a, b in pairs]):.3f}")
    print(f"  whole step: rnnlab {total_ours:.1f}, products alone {total_products:.1f}, "
          f"ratio {total_ours / total_products:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", default=["gru", "rnn", "lstm"], choices=list(MODULES))
    parser.add_argument("--shape", nargs=4, type=int, default=[100, 64, 512, 512],
                        metavar=("T", "B", "I", "H"))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--checks", action="store_true",
                        help="time what the bound rests on (one thread) and stop")
    parser.add_argument("--phases", action="store_true",
                        help="a one-thread GRU step phase by phase beside its products, and stop")
    args = parser.parse_args(argv)
    if args.phases:
        phases(tuple(args.shape))
        return 0
    if args.checks:
        checks(tuple(args.shape))
        return 0
    threads = 2
    torch.set_num_threads(threads)
    parallel.set_num_threads(threads)
    shape = tuple(args.shape)
    with threadpool_limits(threads):
        for key, value in environment(threads).items():
            print(f"- {key}: {value}")
    print(f"- started: {time.strftime('%H:%M UTC', time.gmtime())}; rnnlab {rnnlab.__version__}; "
          f"shape (T, B, I, H) = {shape}; {args.rounds} rounds of blocks of {BLOCK}")
    print("| cell | ours ms | torch ms | bound ms | ours/torch | bound/torch | ours/bound "
          "| bound GFLOP/s | torch GFLOP/s | OpenBLAS bound/torch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(threads):
        for cell in args.cells:
            r = measure(cell, shape, args.rounds, args.warmup)
            print(f"| {cell} | {r['ours ms']:.1f} | {r['torch ms']:.1f} | {r['bound ms']:.1f} "
                  f"| {r['ours/torch']:.2f} | {r['bound/torch']:.2f} | {r['ours/bound']:.2f} "
                  f"| {r['bound GFLOP/s']:.0f} | {r['torch GFLOP/s']:.0f} "
                  f"| {r['openblas/torch']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
