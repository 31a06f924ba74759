"""A cell of one's own (rnnlab.recurrent.user_cell): a peephole LSTM and a leaky tanh unit
written as steps get the layer machinery of the built-in cells.

- float64 gradchecks on every compute path, with lengths, bidirectional and stacked layers,
  the batch split over two threads, and recurrent dropout, zoneout and weight drop;
- the three paths agree; with its peepholes at zero the user's cell is the built-in LSTM
  (outputs and every gradient); the leaky unit (no cell state, a direct path from h(t−1))
  matches a per-sequence NumPy loop;
- registration by name, state_dict both ways, and the errors of define_cell.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.engine.kernels.scalar import ONE, sigmoid, tanh
from rnnlab.recurrent import KINDS, compute_path, make_recurrent, make_step_cell, parallel
from rnnlab.recurrent.user_cell import (
    Recurrent,
    define_cell,
    register_cell,
    step_kernel,
    unregister_cell,
)


# ------------------------------------------------- a peephole LSTM, NumPy and Numba
def _sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def peephole_forward(z, p, h_prev, c_prev, h, c):
    H = h.shape[1]
    i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
    i[...] = _sigmoid(i + p[0] * c_prev)
    f[...] = _sigmoid(f + p[1] * c_prev)
    np.tanh(g, out=g)
    np.multiply(f, c_prev, out=c)
    c += i * g
    o[...] = _sigmoid(o + p[2] * c)
    np.multiply(o, np.tanh(c), out=h)


def peephole_backward(z, p, h_prev, c_prev, h, c, dh, dc, dh_prev, d_p):
    H = h.shape[1]
    i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
    tc = np.tanh(c)
    d_o = dh * tc * o * (1 - o)
    dc += dh * o * (1 - tc * tc) + d_o * p[2]
    d_i = dc * g * i * (1 - i)
    d_f = dc * c_prev * f * (1 - f)
    d_g = dc * i * (1 - g * g)
    d_p[0] += (d_i * c_prev).sum(axis=0)
    d_p[1] += (d_f * c_prev).sum(axis=0)
    d_p[2] += (d_o * c).sum(axis=0)
    dc *= f
    dc += d_i * p[0] + d_f * p[1]
    i[...], f[...], g[...], o[...] = d_i, d_f, d_g, d_o
    dh_prev[...] = 0


@step_kernel
def peephole_forward_compiled(z, p, h_prev, c_prev, h, c):
    n, H = h.shape
    for b in range(n):
        zb, cp, cb, hb = z[b], c_prev[b], c[b], h[b]
        for j in range(H):
            i = sigmoid(zb[j] + p[0, j] * cp[j])
            f = sigmoid(zb[H + j] + p[1, j] * cp[j])
            g = tanh(zb[2 * H + j])
            ct = f * cp[j] + i * g
            o = sigmoid(zb[3 * H + j] + p[2, j] * ct)
            zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j] = i, f, g, o
            cb[j] = ct
            hb[j] = o * tanh(ct)


@step_kernel
def peephole_backward_compiled(z, p, h_prev, c_prev, h, c, dh, dc, dh_prev, d_p):
    n, H = h.shape
    for b in range(n):
        zb, cp, cb, dhb, dcb, direct = z[b], c_prev[b], c[b], dh[b], dc[b], dh_prev[b]
        for j in range(H):
            i, f, g, o = zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j]
            tc = tanh(cb[j])
            d_o = dhb[j] * tc * o * (ONE - o)
            d_c = dcb[j] + dhb[j] * o * (ONE - tc * tc) + d_o * p[2, j]
            d_i = d_c * g * i * (ONE - i)
            d_f = d_c * cp[j] * f * (ONE - f)
            d_p[0, j] += d_i * cp[j]
            d_p[1, j] += d_f * cp[j]
            d_p[2, j] += d_o * cb[j]
            dcb[j] = d_c * f + d_i * p[0, j] + d_f * p[1, j]
            zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j] = d_i, d_f, d_c * i * (ONE - g * g), d_o
            direct[j] = 0


# --------------------------------- a leaky tanh unit: no cell state, h(t−1) past W_hh
def leaky_forward(z, p, h_prev, c_prev, h, c):
    """h = a ⊙ h(t−1) + (1 − a) ⊙ tanh(z),  a = σ(p[0]) per unit."""
    a = _sigmoid(p[0])
    np.tanh(z, out=z)
    h[...] = a * h_prev + (1 - a) * z


def leaky_backward(z, p, h_prev, c_prev, h, c, dh, dc, dh_prev, d_p):
    a = _sigmoid(p[0])
    d_p[0] += (dh * (h_prev - z)).sum(axis=0) * a * (1 - a)
    dh_prev[...] = dh * a
    z[...] = dh * (1 - a) * (1 - z * z)


@pytest.fixture
def peephole():
    return define_cell("peephole_test", gates=4, cell_state=True, forward=peephole_forward,
                       backward=peephole_backward, parameters={"weight_peephole": 3},
                       compiled_forward=peephole_forward_compiled,
                       compiled_backward=peephole_backward_compiled)


@pytest.fixture
def leaky():
    return define_cell("leaky_test", gates=1, forward=leaky_forward, backward=leaky_backward,
                       parameters={"leak": 1})


PATHS = ["numpy", "numba", "numba+mkl"]
HAS_MKL = compute_path.current() == compute_path.NUMBA_MKL  # before any test sets the env


def _use_path(monkeypatch, path):
    if path == "numba+mkl" and not HAS_MKL:
        pytest.skip("MKL is not loaded")
    monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1" if path == "numpy" else "0")
    monkeypatch.setenv("RNNLAB_DISABLE_MKL", "0" if path == "numba+mkl" else "1")
    monkeypatch.setenv("RNNLAB_DISABLE_BLAS_LOOPS", "1" if path == "numba" else "0")
    assert compute_path.current() == path


def _case(kind, *, bidirectional=True, batch=4, lengths=(3, 5, 1, 4), options=None, seed=0):
    rng = np.random.default_rng(seed)
    T, I, H = 5, 3, 4
    layer = Recurrent(kind, I, H, num_layers=2, bidirectional=bidirectional, dtype=np.float64,
                      rng=np.random.default_rng(1), **(options or {}))
    for name, parameter in layer.named_parameters():
        if name.startswith(("weight_peephole", "leak")):
            parameter.data[...] = rng.standard_normal(parameter.shape)
    D = 2 if bidirectional else 1
    x = rnnlab.Tensor(rng.standard_normal((T, batch, I)), requires_grad=True)
    h0 = rnnlab.Tensor(0.5 * rng.standard_normal((2 * D, batch, H)), requires_grad=True)
    c0 = rnnlab.Tensor(0.5 * rng.standard_normal((2 * D, batch, H)), requires_grad=True)
    hx = (h0, c0) if kind.has_cell_state else h0
    w = rng.standard_normal((T, batch, D * H))

    def loss():
        layer._rng = np.random.default_rng(5)
        out, state = layer(x, hx, list(lengths))
        h_n, c_n = state if kind.has_cell_state else (state, None)
        total = (out * w).sum() + (h_n * h_n).sum()
        return total + (c_n * c_n).sum() if c_n is not None else total

    inputs = {"x": x, "h0": h0, **({"c0": c0} if kind.has_cell_state else {}),
              **dict(layer.named_parameters())}
    return layer, loss, inputs


NOISE = dict(recurrent_dropout=0.3, zoneout=0.3, weight_drop=0.3)


@pytest.mark.parametrize("options", [None, NOISE], ids=["plain", "noise"])
@pytest.mark.parametrize("path", PATHS)
def test_peephole_gradcheck_on_every_path(monkeypatch, peephole, path, options, gradcheck):
    _use_path(monkeypatch, path)
    _, loss, inputs = _case(peephole, options=options)
    gradcheck(loss, inputs)


@pytest.mark.parametrize("path", PATHS)
def test_gradcheck_with_a_batch_split(monkeypatch, peephole, leaky, path, gradcheck,
                                     split_small_batches):
    _use_path(monkeypatch, path)
    parallel.set_num_threads(2)
    try:
        for kind in (peephole, leaky):
            _, loss, inputs = _case(kind, bidirectional=False, batch=9,
                                    lengths=(5, 2, 4, 5, 1, 3, 5, 2, 4), options=NOISE)
            gradcheck(loss, inputs)
    finally:
        parallel.set_num_threads(None)


@pytest.mark.parametrize("options", [None, NOISE], ids=["plain", "noise"])
def test_cell_without_cell_state_gradcheck(leaky, options, gradcheck):
    _, loss, inputs = _case(leaky, options=options)
    gradcheck(loss, inputs)


def _results(kind, monkeypatch, path, options=None):
    _use_path(monkeypatch, path)
    layer, loss, inputs = _case(kind, options=options)
    total = loss()
    total.backward()
    return [total.data] + [t.grad for t in inputs.values()]


def test_paths_agree(monkeypatch, peephole):
    reference = _results(peephole, monkeypatch, "numpy", NOISE)
    for path in PATHS[1:]:
        if path == "numba+mkl" and not HAS_MKL:
            continue
        for got, want in zip(_results(peephole, monkeypatch, path, NOISE), reference,
                             strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("path", PATHS)
def test_zero_peepholes_are_the_built_in_lstm(monkeypatch, peephole, path):
    _use_path(monkeypatch, path)
    rng = np.random.default_rng(2)
    user = Recurrent(peephole, 3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    builtin = rnnlab.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    builtin.load_state_dict({k: v for k, v in user.state_dict().items()
                             if "peephole" not in k})
    x = rng.standard_normal((6, 4, 3))
    w = rng.standard_normal((6, 4, 8))
    results = []
    for layer in (user, builtin):
        xt = rnnlab.Tensor(x, requires_grad=True)
        out, (h, c) = layer(xt, None, [6, 2, 5, 3])
        ((out * w).sum() + (c * h).sum()).backward()
        grads = {k: p.grad for k, p in layer.named_parameters() if "peephole" not in k}
        results.append((out.data, h.data, c.data, xt.grad, grads))
    for got, want in zip(results[0][:4], results[1][:4], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    for name, grad in results[1][4].items():
        np.testing.assert_allclose(results[0][4][name], grad, rtol=1e-12, atol=1e-13)


def test_leaky_unit_follows_its_equation(leaky):
    layer = Recurrent(leaky, 3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    layer.leak_l0.data[...] = np.linspace(-1, 1, 4)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    out, h_n = layer(x, None, [5, 3])
    a = 1 / (1 + np.exp(-layer.leak_l0.data[0]))
    w_ih, w_hh = layer.weight_ih_l0.data, layer.weight_hh_l0.data
    b = layer.bias_ih_l0.data + layer.bias_hh_l0.data
    for row, length in enumerate([5, 3]):
        h = np.zeros(4)
        for t in range(length):
            h = a * h + (1 - a) * np.tanh(w_ih @ x[t, row] + w_hh @ h + b)
            np.testing.assert_allclose(out.data[t, row], h, rtol=1e-12)
        np.testing.assert_allclose(h_n.data[0, row], h, rtol=1e-12)
        assert not out.data[length:, row].any()


def test_registered_by_name(peephole):
    register_cell(peephole)
    try:
        assert KINDS["peephole_test"] is peephole
        layer = make_recurrent("peephole_test", 3, 4, num_layers=2, bidirectional=True)
        assert isinstance(layer, Recurrent) and layer.kind is peephole
        out, (h, c) = layer(np.ones((2, 1, 3), np.float32))
        assert out.shape == (2, 1, 8) and h.shape == c.shape == (4, 1, 4)
        assert "peephole_test, 3, 4, num_layers=2" in repr(layer)
    finally:
        unregister_cell("peephole_test")
    assert "peephole_test" not in KINDS


def test_state_dict_both_ways(peephole):
    layer = Recurrent(peephole, 3, 4, bidirectional=True)
    state = layer.state_dict()
    assert {"weight_peephole_l0", "weight_peephole_l0_reverse"} <= set(state)
    assert state["weight_peephole_l0"].shape == (3, 4) and not state["weight_peephole_l0"].any()
    state = {k: v + 0.1 for k, v in state.items()}
    other = Recurrent(peephole, 3, 4, bidirectional=True)
    other.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    layer.load_state_dict(state)
    np.testing.assert_array_equal(layer(x)[0].data, other(x)[0].data)


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="lstm"), "built-in cell"),
    (dict(name="not a name"), "identifier"),
    (dict(gates=0), "gates must be a positive integer"),
    (dict(compiled_forward=peephole_forward_compiled), "both compiled_forward"),
    (dict(parameters={"weight_hh": 1}), "is taken"),
    (dict(parameters={"p": 0}), "positive number of rows"),
])
def test_define_cell_refuses_what_cannot_work(kwargs, message):
    arguments = dict(name="bad_cell", gates=4, forward=peephole_forward,
                     backward=peephole_backward)
    with pytest.raises(ValueError, match=message):
        define_cell(**{**arguments, **kwargs})


def test_proj_size_step_cells_and_unknown_cells_are_refused(peephole):
    with pytest.raises(ValueError, match="no one-step module"):
        make_step_cell(peephole, 3, 4)
    with pytest.raises(ValueError, match="proj_size is an LSTM option"):
        Recurrent(peephole, 3, 4, proj_size=2)
    with pytest.raises(ValueError, match="cell must be a kind"):
        Recurrent("no_such_cell", 3, 4)
