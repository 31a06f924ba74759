"""The LSTM's compiled forward-only loops (``lstm_steps.inference_sequence`` and, on MKL's
path, ``joint_inference_sequence``, run by :func:`rnnlab.recurrent.inference.forward_only`)
give the training path's numbers — bit for bit on NumPy's BLAS, to rounding with MKL — in
both dtypes, both directions, with padding, given states, several
chunks, rows split over two threads, into a view, and stacked and bidirectional."""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import KINDS, inference, parallel, projection, step_product
from rnnlab.recurrent.fused import lstm_steps
from rnnlab.recurrent.inference import forward_only
from rnnlab.recurrent.layer_function import RecurrentLayer, balanced_split
from rnnlab.recurrent.schedule import batch_sizes, make_schedule

PATHS = {  # variant → (environment, JOINT_MAX_BYTES, SPLIT_MAX_BYTES, the loop that runs)
    "mkl-joint": ({}, 1 << 40, 0, "joint_inference_sequence"),
    "mkl-projected": ({}, 0, 1 << 40, "inference_sequence"),
    "blas": ({step_product.DISABLE_ENV: "1"}, 1 << 40, 0, "inference_sequence"),
}
LSTM = KINDS["lstm"]


@pytest.fixture(params=list(PATHS))
def path(request, monkeypatch):
    """The compiled path and loop under test ("mkl-…" on MKL's path, each of its two
    loops forced; "blas" on NumPy's BLAS, where the joint loop never runs); the loop
    counts its calls, by row group (start, stop), in ``calls``."""
    environment, joint_max, split_max, name = PATHS[request.param]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(inference, "JOINT_MAX_BYTES", joint_max)
    monkeypatch.setattr(inference, "SPLIT_MAX_BYTES", split_max)
    calls = []
    for loop_name in ("inference_sequence", "joint_inference_sequence"):
        loop = getattr(lstm_steps, loop_name)

        def counted(*arguments, loop=loop, loop_name=loop_name):
            calls.append(arguments[-2:] if loop_name == name else "the other loop")
            return loop(*arguments)

        monkeypatch.setattr(lstm_steps, loop_name, counted)
    return request.param, calls


def _assert_same(found, expected, path, dtype):
    for a, b in zip(found, expected, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        if path.startswith("mkl"):  # MKL rounds differently at other alignments and orders
            rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-13)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(a, b)


def _arguments(dtype, lengths, reverse, seed=0):
    rng = np.random.default_rng(seed)
    T, B, I, H = 9, 6, 5, 7
    x = rng.standard_normal((T, B, I)).astype(dtype)
    w_ih, w_hh = (rng.standard_normal((4 * H, n)).astype(dtype) * 0.5 for n in (I, H))
    b_ih, b_hh = (rng.standard_normal(4 * H).astype(dtype) for _ in range(2))
    h0, c0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
    sizes = batch_sizes(np.array(lengths), T) if lengths else np.full(T, B)
    schedule = make_schedule(sizes, B, reverse)
    return (x, w_ih, w_hh, b_ih, b_hh, h0, c0), schedule


def _training(arrays, schedule, split):
    function = RecurrentLayer()
    function.needs_input_grad = (True,) * len(arrays)  # the path that keeps its cache
    return function.forward(*arrays, kind=LSTM, schedule=schedule, split=split)


@pytest.mark.parametrize("split", [False, True], ids=["one-thread", "rows-split"])
@pytest.mark.parametrize("chunk_bytes", [projection.CHUNK_BYTES, 1], ids=["one-chunk", "chunks"])
@pytest.mark.parametrize("lengths", [None, [9, 3, 7, 1, 9, 5], [6, 6, 4, 2, 2, 1]],
                         ids=["full", "uneven", "short"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_loop_gives_the_training_numbers(path, monkeypatch, dtype, reverse, lengths,
                                             chunk_bytes, split):
    path, calls = path
    monkeypatch.setattr(projection, "CHUNK_BYTES", chunk_bytes)
    arrays, schedule = _arguments(dtype, lengths, reverse)
    rows = 0
    if split:
        monkeypatch.setattr(parallel, "_threads", 2)
        rows = balanced_split(schedule)
    expected = _training(arrays, schedule, rows)
    found = forward_only(LSTM, *arrays, schedule=schedule, split=rows)
    groups = {(0, rows), (rows, 6)} if split else {(0, 6)}
    assert calls and set(calls) == groups, "the compiled forward-only loop did not run"
    chunked = chunk_bytes == 1 and path != "mkl-joint"  # the joint loop has no chunks
    assert len(calls) == len(groups) * (schedule.steps if chunked else 1)
    _assert_same(found, expected, path, dtype)
    for given, kept in zip(arrays, _arguments(dtype, lengths, reverse)[0], strict=True):
        np.testing.assert_array_equal(given, kept)  # h0, c0 (and the rest) left as they were


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_loop_writes_into_a_view_and_reads_no_bias(path, dtype):
    path, calls = path
    arrays, schedule = _arguments(dtype, [9, 3, 7, 1, 9, 5], True)
    x, w_ih, w_hh, _, _, h0, c0 = arrays
    unbiased = (x, w_ih, w_hh, None, None, h0, c0)
    expected = _training(unbiased, schedule, 0)
    wide = np.full((9, 6, 3 * 7), np.nan, dtype)
    found = forward_only(LSTM, *unbiased, schedule=schedule, out=wide[:, :, 7:14])
    assert calls and "the other loop" not in calls
    assert found[0].base is wide
    assert np.isnan(wide[:, :, :7]).all() and np.isnan(wide[:, :, 14:]).all()
    _assert_same(found, expected, path, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lengths", [None, [7, 2, 5, 7]], ids=["full", "uneven"])
def test_a_stacked_bidirectional_lstm_without_a_tape(path, dtype, lengths):
    path, calls = path
    rng = np.random.default_rng(5)
    layer = rnnlab.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=dtype, rng=rng)
    x = rng.standard_normal((7, 4, 3)).astype(dtype)
    h0, c0 = (rng.standard_normal((4, 4, 4)).astype(dtype) for _ in range(2))
    for hx in (None, (h0, c0)):
        output, (h_n, c_n) = layer(Tensor(x, requires_grad=True), hx, lengths=lengths)
        calls.clear()
        with rnnlab.no_grad():
            lean, (lean_h, lean_c) = layer(x, hx, lengths=lengths)
        assert len(calls) == 4 and "the other loop" not in calls  # two layers, two directions
        _assert_same([lean.data, lean_h.data, lean_c.data],
                     [output.data, h_n.data, c_n.data], path, dtype)


def test_the_packing_buffer_grows_and_is_reused(path):
    """W_hh is packed into one buffer per thread (``pack(..., scratch=True)``): layers of
    other sizes in turn each get their own numbers."""
    path, calls = path
    for hidden, batch in [(3, 2), (40, 9), (3, 2), (17, 5)]:
        rng = np.random.default_rng(hidden)
        layer = rnnlab.LSTM(4, hidden, rng=rng)
        x = rng.standard_normal((6, batch, 4)).astype(np.float32)
        output, (h_n, c_n) = layer(Tensor(x, requires_grad=True))
        with rnnlab.no_grad():
            lean, (lean_h, lean_c) = layer(x)
        _assert_same([lean.data, lean_h.data, lean_c.data],
                     [output.data, h_n.data, c_n.data], path, np.float32)
    assert len(calls) >= 4 and "the other loop" not in calls  # two where rows were split
