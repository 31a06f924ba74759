"""Every constructor that makes weights refuses bad sizes and dtypes with one ValueError,
before allocating anything, and the same way on the NumPy and the compiled paths
(:mod:`rnnlab.recurrent.arguments`)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine import kernels
from rnnlab.nn import Embedding, Linear
from rnnlab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, compute_path
from rnnlab.recurrent.arguments import (
    MAX_SIZE,
    ParameterBudgetError,
    available_memory,
    check_dtype,
    parameter_budget,
)

RECURRENT = (RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell)
CONSTRUCTORS = (*RECURRENT, Linear, Embedding)
BAD_SIZES = [float("inf"), float("nan"), 8.0, True, np.bool_(True), "8", None, 0, -3,
             MAX_SIZE + 1]


@pytest.fixture(params=["compiled", "numpy"])
def path(request, monkeypatch) -> str:
    """Run the test on the compiled path (as shipped) and with RNNLAB_DISABLE_NUMBA=1."""
    if request.param == "numpy":
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
        assert compute_path.current() == compute_path.NUMPY
    else:
        assert compute_path.current() != compute_path.NUMPY
    return request.param


def _run(module, dtype=np.float32) -> np.ndarray:
    """One forward of a recurrent layer or cell on a small batch."""
    if isinstance(module, RNNCell | LSTMCell | GRUCell):
        out = module(np.ones((2, 4), dtype))
    else:
        out, _ = module(np.ones((3, 2, 4), dtype))
    return (out[0] if isinstance(out, tuple) else out).data


@pytest.mark.parametrize("cls", CONSTRUCTORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", BAD_SIZES, ids=repr)
@pytest.mark.parametrize("position", [0, 1])
def test_sizes_must_be_positive_integers_within_the_limit(path, cls, bad, position):
    args = [4, 8]
    args[position] = bad
    names = r"(input_size|hidden_size|in_features|out_features|num_embeddings|embedding_dim)"
    with pytest.raises(ValueError, match=names + r" must be (a positive integer|at most [\d,]+),"
                                               r" got ") as e:
        cls(*args)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("cls", (RNN, LSTM, GRU), ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [0, 2.0, float("inf"), False])
def test_num_layers_is_a_size_too(cls, bad):
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        cls(4, 8, num_layers=bad)


@pytest.mark.parametrize("cls", CONSTRUCTORS, ids=lambda c: c.__name__)
def test_numpy_integers_are_sizes(cls):
    module = cls(np.int64(4), np.int32(8))
    assert all(type(getattr(module, name)) is int for name in
               ("input_size", "hidden_size", "in_features", "num_embeddings")
               if hasattr(module, name))


@pytest.mark.parametrize("cls", CONSTRUCTORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.int64, np.bool_, np.complex64,
                                   "banana", object])
def test_only_float32_and_float64_parameters(path, cls, dtype):
    with pytest.raises(ValueError, match=r"dtype (float16 is not supported|must be float32 or "
                                         r"float64, got)"):
        cls(4, 8, dtype=dtype)


def test_float16_is_refused_with_the_way_to_store_weights_in_it():
    with pytest.raises(ValueError, match=r"LSTM: dtype float16 is not supported .* build it in "
                                         r"float32 .*weight_dtype=np.float16"):
        LSTM(4, 8, dtype=np.float16)


@pytest.mark.parametrize("cls", RECURRENT, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float16, np.int32])
def test_a_layer_cast_after_construction_is_refused_when_run(path, cls, dtype):
    """``astype`` can still make a float16 or int32 layer: running it is the same error on
    every path (the compiled path used to fail inside Numba, or return zeros for int32)."""
    module = cls(4, 8).astype(dtype)
    with pytest.raises(ValueError, match=r"dtype (float16 is not supported|must be float32)"):
        _run(module, dtype)


@pytest.mark.parametrize("cls", RECURRENT, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_compute_the_same_on_both_paths(monkeypatch, cls, dtype):
    compiled = _run(cls(4, 8, dtype=dtype, rng=np.random.default_rng(0)), dtype)
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    reference = _run(cls(4, 8, dtype=dtype, rng=np.random.default_rng(0)), dtype)
    assert compiled.dtype == reference.dtype == dtype and np.abs(compiled).sum() > 0
    np.testing.assert_allclose(compiled, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding_idx", [5, -1, 2.0, True])
def test_embedding_padding_index_within_the_table(padding_idx):
    with pytest.raises(ValueError, match=r"padding_idx must be None or an integer in \[0, 5\)"):
        Embedding(5, 3, padding_idx=padding_idx)


def test_a_layer_larger_than_memory_is_refused_before_allocation():
    """10 M hidden units is within the size limit, but 4·10⁷ × 10⁷ weights are not in any
    memory: the message says how much it would take."""
    with pytest.raises(ValueError, match=r"LSTM\(4, 10000000\): [\d,]+ parameters need "
                                         r"[\d.]+ PiB \(float32\), more than the .* of memory "
                                         "available"):
        LSTM(4, 10_000_000)
    with pytest.raises(ValueError, match=r"Embedding\(16777216, 16777216\): .* more than"):
        Embedding(MAX_SIZE, MAX_SIZE)
    assert 0 < available_memory() < 2**63


def test_a_budget_counts_the_parameters_of_every_constructor():
    layer = LSTM(3, 5, num_layers=2, bidirectional=True)
    linear, embedding = Linear(10, 3), Embedding(7, 3)
    exact = sum(m.num_parameters() for m in (layer, linear, embedding))
    with parameter_budget(exact):
        LSTM(3, 5, num_layers=2, bidirectional=True)
        Linear(10, 3)
        Embedding(7, 3)
    for cell in (RNNCell, LSTMCell, GRUCell):
        with parameter_budget(cell(3, 5).num_parameters()):
            cell(3, 5)
        with parameter_budget(cell(3, 5).num_parameters() - 1), \
                pytest.raises(ParameterBudgetError, match=r"past \d+ values"):
            cell(3, 5)
    with parameter_budget(exact - 1), pytest.raises(ParameterBudgetError) as caught:
        LSTM(3, 5, num_layers=2, bidirectional=True)
        Linear(10, 3)
        Embedding(7, 3)
    assert caught.value.claimed == exact and caught.value.limit == exact - 1
    LSTM(3, 5)  # outside a budget nothing is counted


def test_check_dtype_returns_a_numpy_dtype():
    assert check_dtype("x", "float64") == np.float64
    assert check_dtype("x", np.float32) == np.dtype(np.float32)
