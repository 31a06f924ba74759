"""The per-step recurrent product through MKL's packed GEMM equals NumPy's, alone and
inside every cell's forward and backward (padding, both directions, float32/float64).

MKL comes with the test extras (``pip install -e .[test]``); these tests fail rather than
skip when it is missing, so a green run means the MKL path really ran."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, KINDS, LSTM, RNN, step_product
from rnnlab.recurrent.step_product import StepProduct, mkl_library


@pytest.fixture
def force_mkl(monkeypatch):
    """Send even these tiny products to MKL (normally only ≥ MIN_MACS go there)."""
    monkeypatch.delenv(step_product.DISABLE_ENV, raising=False)
    assert mkl_library() is not None, "MKL not found: install the test extras"
    monkeypatch.setattr(step_product, "MIN_MACS", 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_packed_product_equals_numpy_on_views_and_partial_batches(force_mkl, dtype):
    rng = np.random.default_rng(0)
    gates = rng.standard_normal((5, 6, 3 * 4)).astype(dtype)  # (steps, rows, 3H), H = 4
    right = rng.standard_normal((4, 7)).astype(dtype)
    source = gates[:, :, 2 * 4 :]  # a column slice: row stride 3H, not K
    out = np.full((6, 7), np.nan, dtype)
    product = StepProduct(source, right, out)
    assert product.uses_mkl
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for i, n in [(0, 6), (3, 4), (4, 1)]:
        out[:] = np.nan
        product(i, n)
        np.testing.assert_allclose(out[:n], source[i, :n] @ right, rtol=tolerance, atol=0)
        assert np.isnan(out[n:]).all()  # rows past n are not written


def test_indexed_destination_reads_one_step_and_writes_another(force_mkl):
    rng = np.random.default_rng(1)
    states = rng.standard_normal((4, 3, 5))
    right = rng.standard_normal((5, 5))
    product = StepProduct(states, right, states)
    expected = states[1, :2] @ right
    product(1, 2, 2)
    np.testing.assert_allclose(states[2, :2], expected, rtol=1e-12)


def test_disabled_or_small_products_use_numpy(monkeypatch):
    array = np.zeros((2, 3, 4))
    monkeypatch.setenv(step_product.DISABLE_ENV, "1")
    assert not StepProduct(array, np.zeros((4, 4)), np.zeros((3, 4))).uses_mkl
    monkeypatch.delenv(step_product.DISABLE_ENV)
    assert not StepProduct(array, np.zeros((4, 4)), np.zeros((3, 4))).uses_mkl  # < MIN_MACS


CELL_CASES = ["lstm", "gru", "gru_lecture", "rnn_tanh"]


def _outputs_and_gradients(case):
    for tensor in case.inputs().values():
        tensor.grad = None
    loss = case.loss()
    loss.backward()
    values = [t.data.copy() for t in case.outputs()]
    return values + [t.grad.copy() for t in case.inputs().values()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELL_CASES)
def test_layers_agree_with_and_without_mkl(recurrent_case, monkeypatch, force_mkl, cell, dtype):
    case = recurrent_case(cell, num_layers=2, bidirectional=True, lengths=[5, 2, 4],
                          with_hx=True, dtype=dtype, steps=5, batch=3, hidden_size=6)
    with_mkl = _outputs_and_gradients(case)
    monkeypatch.setenv(step_product.DISABLE_ENV, "1")
    with_numpy = _outputs_and_gradients(case)
    tolerance = 1e-11 if dtype == np.float64 else 2e-5
    for a, b in zip(with_mkl, with_numpy, strict=True):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
def test_compiled_time_loops_run_when_numba_and_mkl_are_in_use(force_mkl, monkeypatch,
                                                               layer_type):
    """With both libraries present, the whole time loop is one compiled call per direction
    (forward and backward) — not a silent fallback to the Python loop."""
    loops = layer_type.kind.kernels().loops
    assert loops is not None
    calls = []
    for name in ("forward_sequence", "backward_sequence"):
        original = getattr(loops, name)
        monkeypatch.setattr(loops, name, lambda *a, _f=original, _n=name: (calls.append(_n),
                                                                           _f(*a))[1])
    layer = layer_type(3, 4, bidirectional=True, rng=np.random.default_rng(0))
    x = Tensor(np.random.default_rng(1).standard_normal((5, 2, 3)).astype(np.float32),
               requires_grad=True)
    output, _ = layer(x, lengths=[5, 3])
    output.sum().backward()
    assert calls.count("forward_sequence") == calls.count("backward_sequence") == 2


def test_no_time_loops_without_mkl_or_numpys_blas(monkeypatch):
    from rnnlab.recurrent import numpy_blas

    monkeypatch.setenv(step_product.DISABLE_ENV, "1")
    monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1")
    assert KINDS["lstm"].kernels().loops is None
