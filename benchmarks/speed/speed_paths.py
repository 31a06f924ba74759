"""CPU time of one training step (or forward pass) per compute path of rnnlab, beside
torch, one thread each:

* "NumPy BLAS" (``RNNLAB_DISABLE_MKL=1``): the time loop in Python, one Numba step kernel
  and one OpenBLAS product per step, OpenBLAS for the whole-sequence products;
* "MKL" (the default when MKL is installed): the whole time loop compiled, calling MKL's
  packed GEMM per step (``fused/packed_gemm.py``), and MKL's GEMM for the whole-sequence
  products (``gemm.py``).

On a shared, busy machine wall-clock ratios mostly measure waiting (see speed.py's tables);
process CPU time (``time.process_time``) is far steadier, so this script compares the two
rnnlab paths and torch by it: rounds alternate the three, each round runs one of them for
≥ 0.3 s of CPU, and the median over rounds is reported. One BLAS/torch thread.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/speed/speed_paths.py [--cells lstm gru rnn]
        [--mode forward]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("RNNLAB_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from timing import alternate  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.recurrent import step_product  # noqa: E402

SHAPES = [(35, 20, 200, 200), (50, 32, 256, 256), (100, 64, 512, 512), (50, 16, 128, 128),
          (200, 8, 64, 64)]  # (T, B, input, hidden), as in speed.py
LAYERS = {"lstm": (rnnlab.LSTM, torch.nn.LSTM), "gru": (rnnlab.GRU, torch.nn.GRU),
          "rnn": (rnnlab.RNN, torch.nn.RNN)}


def _ours(layer, x: np.ndarray) -> None:
    layer.zero_grad()
    output, _ = layer(rnnlab.Tensor(x, requires_grad=True))
    output.sum().backward()


def _theirs(layer, x: np.ndarray) -> None:
    layer.zero_grad()
    output, _ = layer(torch.from_numpy(x).requires_grad_(True))
    output.sum().backward()


def _ours_forward(layer, x: np.ndarray) -> None:
    with rnnlab.no_grad():
        layer(rnnlab.Tensor(x))


def _theirs_forward(layer, x: np.ndarray) -> None:
    with torch.no_grad():
        layer(torch.from_numpy(x))


def choose_path(path: str) -> None:
    """rnnlab's per-step products by NumPy's BLAS ("numpy") or MKL's ("mkl")."""
    if path != "torch":
        os.environ[step_product.DISABLE_ENV] = "1" if path == "numpy" else "0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", choices=list(LAYERS), default=list(LAYERS))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--mode", choices=("train", "forward"), default="train",
                        help="a training step (forward + backward) or a no-grad forward")
    args = parser.parse_args()
    if step_product.mkl_library() is None:
        raise SystemExit("MKL is not installed (pip install -e .[mkl]): nothing to compare")
    torch.set_num_threads(1)
    ours_step, theirs_step = ((_ours, _theirs) if args.mode == "train" else
                              (_ours_forward, _theirs_forward))
    print(f"{args.mode}, CPU ms per call, one thread")
    print("| case | NumPy BLAS ms | MKL ms | torch ms | NumPy/torch | MKL/torch |")
    print("|---|---:|---:|---:|---:|---:|")
    with threadpool_limits(1):
        for cell in args.cells:
            ours_cls, theirs_cls = LAYERS[cell]
            for T, B, I, H in SHAPES:
                rng = np.random.default_rng(0)
                ours, theirs = ours_cls(I, H, rng=rng), theirs_cls(I, H)
                x = rng.standard_normal((T, B, I)).astype(np.float32)
                sides = {"numpy": partial(ours_step, ours, x), "mkl": partial(ours_step, ours, x),
                         "torch": partial(theirs_step, theirs, x)}
                # each round: every path once, in this order; one untimed call, then as many
                # as fill 0.3 s of process CPU
                timed = alternate(sides, args.rounds, block=2, before=choose_path,
                                  clock=time.process_time, at_least=0.3, rotate=False)
                os.environ.pop(step_product.DISABLE_ENV)
                ms = {k: 1e3 * timed.median(k) for k in sides}
                print(f"| {cell}-{T}x{B}x{I}x{H} | {ms['numpy']:.2f} | {ms['mkl']:.2f} | "
                      f"{ms['torch']:.2f} | {ms['numpy'] / ms['torch']:.2f} | "
                      f"{ms['mkl'] / ms['torch']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
