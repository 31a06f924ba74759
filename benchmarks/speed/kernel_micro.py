"""CPU time of the small pieces whose figures the docstrings cite: MKL's GEMM against
NumPy's for a whole-sequence product (``rnnlab/recurrent/gemm.py``), the embedding
gradient — ``np.add.at`` against the compiled row scatter, ``np.zeros`` against
``np.empty`` + ``fill(0)`` (``rnnlab/engine/ops.py``, ``engine/kernels/scatter.py``) — and
the compiled LSTM step kernels per call (``recurrent/fused/lstm_steps.py``). One thread,
medians of 15.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/speed/kernel_micro.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from timing import repeat  # noqa: E402

from rnnlab.engine.kernels import numba_enabled  # noqa: E402
from rnnlab.recurrent import KINDS, compute_path  # noqa: E402
from rnnlab.recurrent.gemm import matmul  # noqa: E402


def _ms(fn, calls: int = 1) -> float:
    """Milliseconds of CPU per call: the median of 15 measurements of ``calls`` calls."""
    return 1e3 * float(np.median(repeat(fn, 15, clock=time.process_time, calls=calls)))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1600, 256)).astype(np.float32)
    w = rng.standard_normal((1024, 256)).astype(np.float32)
    print(f"x W_ihᵀ (1600×256 · 256×1024): MKL {_ms(lambda: matmul(x, w.T)):.2f} ms, "
          f"NumPy {_ms(lambda: x @ w.T):.2f} ms")
    ids = rng.integers(0, 17000, 1216).astype(np.int64)
    rows = rng.standard_normal((1216, 300)).astype(np.float32)
    from rnnlab.engine.kernels import scatter  # imports numba

    def zeros_add_at() -> None:
        np.add.at(np.zeros((17000, 300), np.float32), ids, rows)

    def zeros_scatter() -> None:
        scatter.scatter_add_rows(np.zeros((17000, 300), np.float32), ids, rows)

    def filled_scatter() -> None:
        grad = np.empty((17000, 300), np.float32)
        grad.fill(0)
        scatter.scatter_add_rows(grad, ids, rows)

    print(f"embedding gradient, 1216 lookups into 17000×300: zeros + add.at "
          f"{_ms(zeros_add_at):.2f} ms, zeros + scatter {_ms(zeros_scatter):.2f} ms, "
          f"empty+fill + scatter {_ms(filled_scatter):.2f} ms")
    lstm_steps(rng)


def lstm_steps(rng: np.random.Generator) -> None:
    """µs per call of the compiled LSTM forward and backward step (called from Python, so
    Numba's dispatch is included), float32, on values in their usual ranges."""
    if not numba_enabled():
        print("LSTM step kernels: Numba is not in use")
        return
    steps = KINDS["lstm"].kernels(compute_path.NUMBA).steps
    for B, H in ((32, 256), (8, 64)):
        forward, backward = _lstm_step_micro(steps, rng, B, H)
        print(f"LSTM step kernels at (B, H) = ({B}, {H}), per call: forward {forward:.1f} µs, "
              f"backward {backward:.1f} µs (resetting their inputs timed apart)")


def _lstm_step_micro(steps, rng: np.random.Generator, B: int, H: int,
                     calls: int = 2000) -> tuple[float, float]:
    pre = (0.5 * rng.standard_normal((B, 4 * H))).astype(np.float32)
    hh = (0.5 * rng.standard_normal((B, 4 * H))).astype(np.float32)
    c_prev, c, h, dh, d_out = ((0.5 * rng.standard_normal((B, H))).astype(np.float32)
                               for _ in range(5))
    gates, dc = pre.copy(), np.zeros((B, H), np.float32)
    steps.forward_step(gates, hh, c_prev, c, h)
    activated = gates.copy()

    def reset_pre() -> None:
        gates[...] = pre

    def reset_activated() -> None:
        gates[...] = activated
        dc[...] = 0.1

    def forward() -> None:
        reset_pre()
        steps.forward_step(gates, hh, c_prev, c, h)

    def backward() -> None:
        reset_activated()
        steps.backward_step(gates, c_prev, c, dh, d_out, dc)

    def per_call(fn) -> float:
        return _ms(fn, calls) * 1e3

    return (per_call(forward) - per_call(reset_pre),
            per_call(backward) - per_call(reset_activated))


if __name__ == "__main__":
    main()
