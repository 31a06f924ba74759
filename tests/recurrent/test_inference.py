"""Forward without a tape: the numbers of the training path (bit for bit, but for MKL's
alignment-dependent rounding), with nothing kept for backward and a smaller peak of
memory."""

from __future__ import annotations

import contextlib
import tracemalloc

import numpy as np
import pytest

import rnnlab
from rnnlab.engine import kernels as compiled
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import (
    KINDS,
    compute_path,
    make_recurrent,
    numpy_blas,
    projection,
    step_product,
)
from rnnlab.recurrent.layer_function import BidirectionalLayer, RecurrentLayer
from rnnlab.recurrent.schedule import batch_sizes, make_schedule

PATHS = {  # compute path → environment that selects it
    "mkl": {},
    "numba+blas": {step_product.DISABLE_ENV: "1"},
    "numba": {step_product.DISABLE_ENV: "1", numpy_blas.DISABLE_ENV: "1"},
    "numpy": {compiled.DISABLE_ENV: "1"},
}


def _outputs(layer, x, hx, lengths):
    output, state = layer(x, hx, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    return [output.data] + [s.data for s in states]


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("chunk_bytes", [projection.CHUNK_BYTES, 1], ids=["one-chunk", "chunks"])
@pytest.mark.parametrize("lengths", [None, [9, 3, 7, 1, 9, 5]], ids=["full", "uneven"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", list(KINDS))
def test_no_grad_gives_the_training_numbers(monkeypatch, cell, bidirectional,
                                                        lengths, chunk_bytes, path):
    for name, value in PATHS[path].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(projection, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(compute_path, "NUMPY_BUDGET", 0.0)  # no NumPy-first calls
    rng = np.random.default_rng(0)
    layer = make_recurrent(cell, 5, 6, num_layers=2, bidirectional=bidirectional,
                           rng=np.random.default_rng(1))
    D = 2 if bidirectional else 1
    x = Tensor(rng.standard_normal((9, 6, 5)).astype(np.float32), requires_grad=True)
    h0 = rng.standard_normal((2 * D, 6, 6)).astype(np.float32)
    hx = (h0, np.tanh(h0)) if KINDS[cell].has_cell_state else h0
    training = _outputs(layer, x, hx, lengths)
    with rnnlab.no_grad():
        inferred = _outputs(layer, x, hx, lengths)
    constant = _outputs(layer, Tensor(x.data), hx, lengths)  # nothing requires a gradient
    for a, b, c in zip(training, inferred, constant, strict=True):
        if path == "mkl":  # MKL may round a product differently at other memory alignments
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)


def _layer_arguments(kind, bidirectional):
    rng = np.random.default_rng(2)
    T, B, I, H = 7, 4, 3, 5
    gates = kind.gates * H
    schedule = [make_schedule(batch_sizes(np.array([7, 5, 5, 2]), T), B, reverse=d == 1)
                for d in range(2)]
    one = [rng.standard_normal((gates, I)), rng.standard_normal((gates, H)),
           rng.standard_normal(gates), rng.standard_normal(gates), rng.standard_normal((B, H))]
    if kind.has_cell_state:
        one.append(rng.standard_normal((B, H)))
    x = rng.standard_normal((T, B, I))
    if bidirectional:
        return [x, *one, *one], {"kind": kind, "schedules": schedule}
    return [x, *one], {"kind": kind, "schedule": schedule[0]}


def _kept_arrays(function) -> list[str]:
    """Names of the arrays a function (or its per-direction functions) holds on to."""
    kept = [name for name, value in vars(function).items()
            if isinstance(value, np.ndarray | dict)]
    for inner in vars(function).get("directions", []):
        kept += _kept_arrays(inner)
    return kept


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_a_forward_without_gradients_keeps_nothing(cell, bidirectional):
    function_type = BidirectionalLayer if bidirectional else RecurrentLayer
    arrays, options = _layer_arguments(KINDS[cell], bidirectional)
    function = function_type()
    function.needs_input_grad = (True,) * len(arrays)
    function.forward(*[a.copy() for a in arrays], **options)
    assert _kept_arrays(function)  # the training path keeps its cache …
    for needs in (True, False):
        function = function_type()
        function.needs_input_grad = (needs,) * len(arrays)
        if needs:
            with rnnlab.no_grad():
                function.forward(*arrays, **options)
        else:  # … and without rnnlab.no_grad(), nothing that requires a gradient
            function.forward(*arrays, **options)
        assert _kept_arrays(function) == []


def _peak_bytes(layer_type, steps: int, grad: bool) -> int:
    """Peak bytes allocated by one forward of a (steps, 8, 64) batch, some rows padded."""
    B, H = 8, 64
    layer = layer_type(H, H, rng=np.random.default_rng(0))
    x = Tensor(np.random.default_rng(1).standard_normal((steps, B, H)).astype(np.float32),
               requires_grad=True)
    lengths = np.full(B, steps)
    lengths[1:] -= 7  # padding: the output is masked
    with rnnlab.no_grad() if not grad else contextlib.nullcontext():
        layer(x, lengths=lengths)  # compiled, packed and warmed up outside the count
        tracemalloc.start()
        layer(x, lengths=lengths)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("layer_type", [rnnlab.LSTM, rnnlab.GRU, rnnlab.RNN])
def test_no_grad_memory_grows_with_the_output_only(layer_type):
    """3000 more steps add their output (3000 × 8 × 64 float32) to the peak of a forward
    without gradients; with gradients they add the gates and states of every step too."""
    more_output = 3000 * 8 * 64 * 4
    inferred = _peak_bytes(layer_type, 6000, False) - _peak_bytes(layer_type, 3000, False)
    training = _peak_bytes(layer_type, 6000, True) - _peak_bytes(layer_type, 3000, True)
    assert inferred < 1.3 * more_output
    assert training > 2.5 * more_output


def test_chunks_cover_every_step_and_reach_the_size():
    schedule = make_schedule(batch_sizes(np.full(3, 100), 100), 3, reverse=True)
    step_bytes = projection.CHUNK_BYTES // 8 - 1  # 8 steps fall just short of a chunk
    parts = projection.chunks(schedule, step_bytes)
    assert parts[0].k0 == 0 and parts[-1].k1 == 100
    assert all(a.k1 == b.k0 for a, b in zip(parts, parts[1:], strict=False))
    assert all(9 <= p.k1 - p.k0 < 18 for p in parts)
    assert parts[0].t1 == 100 and parts[-1].t0 == 0  # the reverse direction starts at T − 1
    assert all(p.running is None for p in parts)  # no padding
    assert [(p.k0, p.k1) for p in projection.chunks(schedule, 1)] == [(0, 100)]


@pytest.mark.parametrize("share", [0.0, 1.01], ids=["all-rows", "running-rows"])
def test_the_projection_of_the_running_rows_equals_that_of_all_rows(monkeypatch, share):
    """Gathered or not, the running rows' projection is x W_ihᵀ + b; padding rows are
    left alone (no kernel reads them)."""
    monkeypatch.setattr(projection, "PROJECT_RUNNING_BELOW", share)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 3))
    w, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    schedule = make_schedule(batch_sizes(np.array([6, 4, 2, 1]), 6), 4, reverse=False)
    (part,) = projection.chunks(schedule, 1)
    out = np.full((6, 4, 8), np.nan)
    projection.project(x, w, b, part, out)
    running = part.running
    np.testing.assert_allclose(out[running], (x @ w.T + b)[running], rtol=1e-12)
    assert np.isnan(out[~running]).all() == (share > 1)


def test_a_matrix_is_packed_once_inside_packs_reused():
    w = np.random.default_rng(0).standard_normal((8, 12)).astype(np.float32)
    if step_product.pack(w.T, 4) is None:
        pytest.skip("neither MKL nor NumPy's BLAS runs the compiled loops here")
    assert step_product.pack(w.T, 4) is not step_product.pack(w.T, 4)
    with step_product.packs_reused():
        first = step_product.pack(w.T, 4)
        assert step_product.pack(w.T, 4) is first
        assert step_product.pack(w.T, 5) is not first  # packed for another row count
        assert step_product.pack(w.T.copy(), 4) is not first  # another matrix
    assert step_product.pack(w.T, 4) is not first
