"""The whole-sequence products through MKL's GEMM equal NumPy's ``@`` on every operand
layout the layers pass: C arrays, transposed views, column slices (row stride > width)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.recurrent import gemm, step_product


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_equals_numpy_on_every_layout(monkeypatch, dtype):
    monkeypatch.delenv(step_product.DISABLE_ENV, raising=False)
    assert step_product.mkl_library() is not None, "MKL not found: install the test extras"
    calls = []
    library = step_product.mkl_library()
    routine = getattr(library, f"cblas_{'s' if dtype == np.float32 else 'd'}gemm")
    monkeypatch.setattr(library, routine.__name__,
                        lambda *a: (calls.append(1), routine(*a))[1], raising=False)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((9, 12)).astype(dtype)
    other = rng.standard_normal((12, 5)).astype(dtype)
    cases = [
        (base, other),  # C arrays
        (base[:, 2:8], other[2:8]),  # a column slice: row stride 12, width 6
        (np.ascontiguousarray(base.T).T, other),  # a transposed view on the left
        (base, np.ascontiguousarray(other.T).T),  # and on the right
        (base.T, rng.standard_normal((9, 3)).astype(dtype)),  # ∂L/∂xpᵀ x
    ]
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in cases:
        out = gemm.matmul(a, b)
        assert out.flags.c_contiguous and out.dtype == dtype
        np.testing.assert_allclose(out, a @ b, rtol=tolerance, atol=tolerance)
    assert len(calls) == len(cases)  # every one went through MKL


def test_matmul_falls_back_to_numpy(monkeypatch):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    ints = np.arange(12).reshape(4, 3)
    np.testing.assert_array_equal(gemm.matmul(ints, ints.T), ints @ ints.T)  # not a float
    strided = rng.standard_normal((8, 6))[::2, ::2]  # no unit stride on either axis
    np.testing.assert_allclose(gemm.matmul(strided, b), strided @ b, rtol=1e-12)
    monkeypatch.setenv(step_product.DISABLE_ENV, "1")
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-12)


@pytest.mark.parametrize("disable_mkl", ["0", "1"])
@pytest.mark.parametrize("split", [False, True])
def test_matmul_writes_into_out(monkeypatch, disable_mkl, split):
    monkeypatch.setenv(step_product.DISABLE_ENV, disable_mkl)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2 * gemm.MIN_SPLIT_ROWS + 3, 7)).astype(np.float32)
    w = rng.standard_normal((5, 7)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    out = np.full((a.shape[0], 5), np.nan, np.float32)  # stale contents must not leak
    result = gemm.matmul(a, w.T, bias=bias, split=split, out=out)
    assert result is out
    np.testing.assert_allclose(out, a @ w.T + bias, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="out must be a C-contiguous float32 array"):
        gemm.matmul(a, w.T, out=np.empty((a.shape[0], 4), np.float32))
    with pytest.raises(ValueError, match="out must be"):
        gemm.matmul(a, w.T, out=np.empty((5, a.shape[0]), np.float32).T)
