"""Without MKL, the compiled time loops call NumPy's own BLAS ("numba+blas"), and give the
numbers of the Python time loop ("numba") that calls the same BLAS through ``np.matmul``."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, RNN, compute_path, numpy_blas, step_product

CELL_CASES = ["lstm", "gru", "gru_lecture", "rnn_tanh", "rnn_relu"]


@pytest.fixture
def no_mkl(monkeypatch):
    monkeypatch.setenv(step_product.DISABLE_ENV, "1")
    monkeypatch.delenv(numpy_blas.DISABLE_ENV, raising=False)
    assert numpy_blas.find() is not None, "NumPy's 64-bit-integer BLAS was not found"
    assert compute_path.current() == compute_path.NUMBA_BLAS


def test_numpys_blas_is_found_with_its_gemm_routines(no_mkl):
    blas = numpy_blas.find()
    assert set(blas.addresses) == {"s", "d"} and all(blas.addresses.values())
    assert all(name.endswith("64_") for name in blas.symbols.values())


def test_the_switch_turns_the_compiled_loops_off(no_mkl, monkeypatch):
    monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1")
    assert numpy_blas.find() is None
    assert compute_path.current() == compute_path.NUMBA
    assert step_product.pack(np.ones((3, 4), np.float32), 2) is None
    with pytest.raises(ValueError, match="numba\\+blas path needs"):
        LSTM.kind.kernels(compute_path.NUMBA_BLAS)


def test_pack_hands_over_the_matrix_as_a_c_array(no_mkl):
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    packed = step_product.pack(w.T, 5)
    assert packed.flags.c_contiguous and packed.shape == (4, 3)
    np.testing.assert_array_equal(packed, w.T)
    assert step_product.pack(w, 5) is w  # already a C array: no copy


def _outputs_and_gradients(case):
    for tensor in case.inputs().values():
        tensor.grad = None
    case.loss().backward()
    return [t.data.copy() for t in case.outputs()] + [t.grad.copy()
                                                      for t in case.inputs().values()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELL_CASES)
@pytest.mark.parametrize("bidirectional", [True, False], ids=["bi", "uni"])
def test_compiled_loops_on_numpys_blas_equal_the_python_loop(recurrent_case, monkeypatch,
                                                              no_mkl, cell, dtype,
                                                              bidirectional):
    case = recurrent_case(cell, num_layers=2, bidirectional=bidirectional,
                          lengths=[5, 2, 4, 5, 1, 3, 5, 2, 4], with_hx=True, dtype=dtype,
                          steps=5, batch=9, hidden_size=6)
    compiled = _outputs_and_gradients(case)
    monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1")
    assert compute_path.current() == compute_path.NUMBA
    python_loop = _outputs_and_gradients(case)
    tolerance = 1e-11 if dtype == np.float64 else 2e-5
    for a, b in zip(compiled, python_loop, strict=True):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("layer_type", [LSTM, GRU, RNN])
def test_the_whole_time_loop_is_one_compiled_call(no_mkl, monkeypatch, layer_type):
    loops = layer_type.kind.kernels().loops
    assert loops is not None and layer_type.kind.kernels().path == compute_path.NUMBA_BLAS
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
