"""The compiled (Numba) step kernels and the NumPy reference steps give the same numbers.

Each test runs one layer twice on the same weights and batch — once as shipped, once with
RNNLAB_DISABLE_NUMBA=1 — and compares outputs, final states and every gradient. The only
differences allowed come from the tanh implementations: both exact to the last bit or so
in float64; in float32 the kernels use a rational approximation (≤ 3.5e-7 abs error).
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.engine import kernels
from rnnlab.engine.kernels import scalar
from rnnlab.recurrent import KINDS, compute_path, make_recurrent

TOLERANCE = {np.float64: dict(rtol=1e-11, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}
# The layer-normalised kinds divide by each block's deviation, so float32 rounding grows
# with a gradient's scale (here up to ~60): both paths measured ≤ 1e-5 of the array's
# largest magnitude away from float64; their float32 atol is that fraction of the scale.
LAYER_NORM_FLOAT32_ATOL = 1e-5



def _run(kind, dtype, bidirectional, lengths):
    """Outputs and gradients of one forward/backward on a fixed layer and batch."""
    rng = np.random.default_rng(7)
    T, B, I, H = 6, 4, 3, 5
    layer = make_recurrent(kind, I, H, num_layers=2, bidirectional=bidirectional,
                           rng=np.random.default_rng(1))
    layer = layer.astype(dtype)
    has_cell_state = KINDS[kind].has_cell_state
    D = 2 if bidirectional else 1
    x = rnnlab.Tensor(rng.standard_normal((T, B, I)).astype(dtype), requires_grad=True)
    h0 = rnnlab.Tensor(rng.standard_normal((2 * D, B, H)).astype(dtype), requires_grad=True)
    c0 = rnnlab.Tensor(rng.standard_normal((2 * D, B, H)).astype(dtype), requires_grad=True)
    hx = (h0, c0) if has_cell_state else h0
    output, state = layer(x, hx, lengths=lengths)
    h_n, c_n = state if has_cell_state else (state, None)
    weights = rng.standard_normal(output.shape).astype(dtype)
    loss = (output * weights).sum() + (h_n * h_n).sum()
    if c_n is not None:
        loss = loss + c_n.sum()
    loss.backward()
    results = {"output": output.data, "h_n": h_n.data, "d_x": x.grad, "d_h0": h0.grad}
    if c_n is not None:
        results.update(c_n=c_n.data, d_c0=c0.grad)
    results.update({f"d_{name}": p.grad for name, p in layer.named_parameters()})
    return results


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(
    "lengths",
    [None, [4, 6, 1, 3], [4, 5, 1, 3], [5, 5, 5, 5]],
    ids=["full", "uneven", "uneven-shorter-than-T", "even-shorter-than-T"],
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_fused_and_numpy_steps_agree(monkeypatch, kind, dtype, bidirectional, lengths):
    assert compute_path.current() != compute_path.NUMPY, "numba should import in the test venv"
    compiled = _run(kind, dtype, bidirectional, lengths)
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    assert compute_path.current() == compute_path.NUMPY
    reference = _run(kind, dtype, bidirectional, lengths)
    assert compiled.keys() == reference.keys()
    for name, value in reference.items():
        assert np.all(np.isfinite(value)), name
        tolerance = dict(TOLERANCE[dtype])
        if KINDS[kind].options.get("layer_norm") and dtype == np.float32:
            tolerance["atol"] = max(tolerance["atol"],
                                    LAYER_NORM_FLOAT32_ATOL * np.abs(value).max())
        np.testing.assert_allclose(compiled[name], value, err_msg=name, **tolerance)


def test_disabled_env_var_selects_numpy_steps(monkeypatch):
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    for kind in KINDS.values():
        assert kind.kernels().path == compute_path.NUMPY
        assert kind.kernels().steps is kind.reference and kind.kernels().loops is None
    monkeypatch.setenv(kernels.DISABLE_ENV, "0")
    assert KINDS["gru"].kernels().steps.__name__ == "rnnlab.recurrent.fused.gru_steps"


def test_missing_numba_falls_back_to_numpy_steps(monkeypatch):
    monkeypatch.setattr(kernels, "_numba_usable", False)
    assert KINDS["lstm"].kernels().path == compute_path.NUMPY
    layer = rnnlab.LSTM(3, 4)
    output, _ = layer(np.ones((2, 1, 3), np.float32))
    assert output.shape == (2, 1, 4) and np.all(np.isfinite(output.data))


@pytest.fixture(scope="module")
def scalar_kernels():
    @scalar.kernel
    def apply(x, out_tanh, out_sigmoid):
        for i in range(x.shape[0]):
            out_tanh[i] = scalar.tanh(x[i])
            out_sigmoid[i] = scalar.sigmoid(x[i])

    return apply


@pytest.mark.parametrize(("dtype", "bound"), [(np.float32, 3.5e-7), (np.float64, 2.3e-16)])
def test_kernel_tanh_and_sigmoid_accuracy(scalar_kernels, dtype, bound):
    x = np.concatenate([np.linspace(-20, 20, 400_001), [0.0, 1e-30, -1e-30, 80.0, -80.0]])
    x = x.astype(dtype)
    out_tanh, out_sigmoid = np.empty_like(x), np.empty_like(x)
    scalar_kernels(x, out_tanh, out_sigmoid)
    exact = x.astype(np.float64)
    assert out_tanh.dtype == dtype
    assert np.abs(out_tanh - np.tanh(exact)).max() <= bound
    assert np.abs(out_sigmoid - 1 / (1 + np.exp(-exact))).max() <= bound
    assert np.abs(out_tanh).max() <= 1 and out_sigmoid.min() >= 0 and out_sigmoid.max() <= 1
    assert np.all(np.sign(out_tanh) == np.sign(x))
