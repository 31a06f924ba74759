"""The GEMM floor of a recurrent layer: the time NumPy needs for exactly the matrix products
one training step (or one forward pass) needs, and nothing else.

Per layer and direction, with G gates (RNN 1, GRU 3, LSTM 4), n_t running rows at step t
and N = Σ_t n_t rows in all::

    forward   X (N×I) · W_ihᵀ (I×GH)                 input projection, one GEMM
              h_t (n_t×H) · W_hhᵀ (H×GH)   per step   recurrent products
    backward  δz_t (n_t×GH) · W_hh (GH×H)  per step   δh(t−1)
              δZᵀ (GH×N) · H_prev (N×H)               ∂L/∂W_hh
              δZ (N×GH) · W_ih (GH×I)                 ∂L/∂x
              δZᵀ (GH×N) · X (N×I)                    ∂L/∂W_ih

Every operand is a fresh C-contiguous array of the right size (the weights pre-transposed
where that is BLAS's faster layout), so the floor is what BLAS alone could do.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from timing import repeat


def _layer_products(steps: list[int], input_size: int, hidden: int, gates: int, rng, dtype):
    """(forward products, backward products): lists of (a, b, out) triples for np.matmul."""
    N, H, GH = sum(steps), hidden, gates * hidden

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)

    x, w_ih_t, w_ih = rand(N, input_size), rand(input_size, GH), rand(GH, input_size)
    w_hh_t, w_hh = rand(H, GH), rand(GH, H)
    dz, h_prev = rand(N, GH), rand(N, H)
    forward = [(x, w_ih_t, np.empty((N, GH), dtype))]
    backward = [
        (dz.T, h_prev, np.empty((GH, H), dtype)),
        (dz, w_ih, np.empty((N, input_size), dtype)),
        (dz.T, x, np.empty((GH, input_size), dtype)),
    ]
    for n in steps:
        forward.append((rand(n, H), w_hh_t, np.empty((n, GH), dtype)))
        backward.append((rand(n, GH), w_hh, np.empty((n, H), dtype)))
    return forward, backward


def gemm_floor(
    steps: list[int],
    input_size: int,
    hidden: int,
    gates: int,
    num_layers: int = 1,
    directions: int = 1,
    repeats: int = 7,
    dtype=np.float32,
    clock=time.perf_counter,
) -> tuple[float, float]:
    """Median seconds of (forward products, forward + backward products) for a layer stack
    whose steps run ``steps[t]`` rows at step t."""
    rng = np.random.default_rng(0)
    forward, backward = [], []
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden * directions
        for _ in range(directions):
            f, b = _layer_products(steps, layer_input, hidden, gates, rng, dtype)
            forward += f
            backward += b

    def run(products) -> None:
        for a, b, out in products:
            np.matmul(a, b, out=out)

    run(forward + backward)
    fwd = repeat(partial(run, forward), repeats, clock, warmup=0)
    bwd = repeat(partial(run, backward), repeats, clock, warmup=0)
    return float(np.median(fwd)), float(np.median(fwd) + np.median(bwd))
