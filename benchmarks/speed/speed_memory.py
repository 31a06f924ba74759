"""Peak memory of one LSTM training step, measured the same way for rnnlab and PyTorch.

Each library runs in its own fresh subprocess (``python speed_memory.py ours|torch T B I
H``): it builds the layer and the input, runs one small warm-up step and one full training
step (forward, scalar loss, backward with gradients of every parameter and of the input),
so that code is loaded, kernels compiled and allocators warm. ``--mode forward`` measures a
forward pass without gradients instead (``rnnlab.no_grad()`` / ``torch.no_grad()``), and
``--mode forward-grad`` a forward pass on the tape without its backward (rnnlab keeps
everything backward will need: the forward of a training step). Then it resets the kernel's
peak-RSS counter (``/proc/self/clear_refs``), records the resident set size, runs the full
step again and reports ``VmHWM − RSS before``: the extra resident memory the step needed at
its peak, whatever allocator made it (NumPy's malloc or PyTorch's CPU allocator). For
rnnlab it also reports tracemalloc's peak over that step (NumPy reports its buffers to
tracemalloc) as a cross-check.
"""

from __future__ import annotations

import argparse
import json
import resource
import tracemalloc
from pathlib import Path

import numpy as np


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _measure(step, x, warm_up, trace: bool) -> dict:
    step(warm_up)
    step(x)
    _reset_peak()
    before = _rss_bytes()
    if trace:
        tracemalloc.start()
    step(x)
    result = {"rss_peak_delta": _peak_rss_bytes() - before}
    if trace:
        result["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result


def measure_ours(T: int, B: int, I: int, H: int, mode: str = "train") -> dict:
    import rnnlab

    model = rnnlab.LSTM(I, H)
    data = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    x, warm_up = rnnlab.Tensor(data, requires_grad=True), rnnlab.Tensor(data[:5], True)

    def step(inputs):
        if mode == "forward":
            with rnnlab.no_grad():
                model(inputs)
            return
        output, _ = model(inputs)
        if mode == "train":
            output.sum().backward()
        model.zero_grad()
        inputs.grad = None

    return _measure(step, x, warm_up, trace=True)


def measure_torch(T: int, B: int, I: int, H: int, mode: str = "train") -> dict:
    import torch

    torch.set_num_threads(2)
    model = torch.nn.LSTM(I, H)
    x, warm_up = torch.randn(T, B, I, requires_grad=True), torch.randn(5, B, I, requires_grad=True)

    def step(inputs):
        if mode == "forward":
            with torch.no_grad():
                model(inputs)
            return
        output, _ = model(inputs)
        if mode == "train":
            output.sum().backward()
        model.zero_grad(set_to_none=True)
        inputs.grad = None

    return _measure(step, x, warm_up, trace=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", choices=("ours", "torch"))
    for name in ("T", "B", "I", "H"):
        parser.add_argument(name, type=int)
    parser.add_argument("--mode", choices=("train", "forward", "forward-grad"), default="train")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2):
        measure = measure_ours if args.library == "ours" else measure_torch
        result = measure(args.T, args.B, args.I, args.H, args.mode)
    print(json.dumps(result))
