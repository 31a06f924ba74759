"""CPU that torch's idle OpenMP workers burn after a call returns.

GNU libgomp's worker threads busy-wait for a while after each parallel region before they
sleep. In a process that times torch and then something else at once, that spinning
shares the cores with the next call (``benchmarks/speed/speed.py``, docstring). This measures
it: after each 2-thread torch LSTM forward, the main thread sleeps and the process's CPU
time over that sleep is what the workers burnt (median of 10 per pause)::

    .venv/bin/python benchmarks/speed/torch_spin.py
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python benchmarks/speed/torch_spin.py  # workers sleep at once
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
import torch
from timing import seconds


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    torch.set_num_threads(2)
    lstm = torch.nn.LSTM(200, 200)
    x = torch.randn(35, 20, 200)
    with torch.no_grad():
        for _ in range(5):
            lstm(x)
        for pause in (0.005, 0.02, 0.05, 0.2):
            burnt = []
            for _ in range(10):
                lstm(x)
                burnt.append(seconds(partial(time.sleep, pause), clock=time.process_time))
            print(f"after a torch LSTM forward (35×20×200×200, 2 threads): "
                  f"{1e3 * float(np.median(burnt)):.1f} ms CPU burnt during a "
                  f"{1e3 * pause:.0f} ms pause")


if __name__ == "__main__":
    main()
