"""``LSTM(layer_norm=True)`` and ``GRU(layer_norm=True)`` — kinds ``lstm_ln`` and ``gru_ln`` —
compute the layer-normalised cells of their docstrings: a plain per-sequence NumPy loop
written from the equations gives the same outputs and states; float64 finite differences
agree with BPTT on every compute path, with lengths, both directions, stacked layers, no
bias, recurrent dropout and zoneout; the paths and one or two threads give the same
numbers; the one-step cells are one step of the layer."""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.engine import kernels
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import (
    GRU,
    KINDS,
    LSTM,
    GRUCell,
    LSTMCell,
    compute_path,
    numpy_blas,
    step_product,
)

T, B, I, H = 5, 4, 3, 4
LENGTHS = [3, 5, 1, 4]  # unsorted, T and 1
MODULES = {"lstm": LSTM, "gru": GRU}


@pytest.fixture(params=compute_path.PATHS)
def path(request, monkeypatch) -> str:
    """Run the test on one compute path (the environment switches choose it)."""
    if request.param == compute_path.NUMPY:
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    elif request.param in (compute_path.NUMBA, compute_path.NUMBA_BLAS):
        monkeypatch.setenv(step_product.DISABLE_ENV, "1")
        if request.param == compute_path.NUMBA:
            monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1")
    if compute_path.current() != request.param:
        pytest.skip(f"the {request.param} path is not available here")
    return request.param


def _layer(cell: str, seed: int = 0, **options) -> LSTM | GRU:
    """A layer-normalised layer whose gains and biases are moved away from 1 and 0."""
    rng = np.random.default_rng(seed)
    layer = MODULES[cell](I, H, layer_norm=True, dtype=np.float64, rng=rng, **options)
    for name, p in layer.named_parameters():
        if name.startswith("layer_norm") or name.startswith("bias"):
            p.data += 0.3 * rng.standard_normal(p.shape)
    return layer


# ------------------------------------------------------------ the equations
def _ln(a: np.ndarray, gain: np.ndarray, shift: np.ndarray | float = 0.0) -> np.ndarray:
    return gain * (a - a.mean()) / np.sqrt(a.var() + 1e-5) + shift


def _blocks_ln(a: np.ndarray, gain: np.ndarray, gates: int) -> np.ndarray:
    n = a.shape[0] // gates
    return np.concatenate([_ln(a[k * n : (k + 1) * n], gain[k * n : (k + 1) * n])
                           for k in range(gates)])


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _lstm_step(p, x, h, c):
    z = (_blocks_ln(p["weight_ih"] @ x, p["layer_norm_ih_weight"], 4) + p["bias_ih"]
         + _blocks_ln(p["weight_hh"] @ h, p["layer_norm_hh_weight"], 4) + p["bias_hh"])
    i, f, g, o = np.split(z, 4)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(_ln(c, p["layer_norm_cell_weight"], p["layer_norm_cell_bias"]))
    return h, c


def _gru_step(p, x, h, c):
    ax = _blocks_ln(p["weight_ih"] @ x, p["layer_norm_ih_weight"], 3) + p["bias_ih"]
    ah = _blocks_ln(p["weight_hh"] @ h, p["layer_norm_hh_weight"], 3) + p["bias_hh"]
    (xr, xz, xn), (hr, hz, hn) = np.split(ax, 3), np.split(ah, 3)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h, c


def _reference(cell: str, layer, x, h0, c0, lengths):
    """Sequence by sequence, step by step, layer by layer (LECTURE §8–§10)."""
    step = _lstm_step if cell == "lstm" else _gru_step
    D = layer.num_directions
    finals_h, finals_c = np.zeros_like(h0), np.zeros_like(h0)
    layer_input = x
    for index in range(layer.num_layers):
        output = np.zeros((T, x.shape[1], D * H))
        for d, suffix in enumerate(layer._direction_suffixes(index)):
            p = {name[: -len(suffix)]: q.data for name, q in layer.named_parameters()
                 if name.endswith(suffix)}
            for b, length in enumerate(lengths):
                h, c = h0[index * D + d, b], c0[index * D + d, b]
                for t in (range(length - 1, -1, -1) if d else range(length)):
                    h, c = step(p, layer_input[t, b], h, c)
                    output[t, b, d * H : (d + 1) * H] = h
                finals_h[index * D + d, b], finals_c[index * D + d, b] = h, c
        layer_input = output
    return layer_input, finals_h, finals_c


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_the_layers_compute_their_equations(path, cell, bidirectional):
    layer = _layer(cell, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(1)
    D = layer.num_directions
    x = rng.standard_normal((T, B, I))
    h0, c0 = rng.standard_normal((2, 2 * D, B, H))
    output, state = layer(x, (h0, c0) if cell == "lstm" else h0, LENGTHS)
    want = _reference(cell, layer, x, h0, c0, LENGTHS)
    np.testing.assert_allclose(output.data, want[0], rtol=1e-12, atol=1e-12)
    got_h = state[0] if cell == "lstm" else state
    np.testing.assert_allclose(got_h.data, want[1], rtol=1e-12, atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(state[1].data, want[2], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------- finite differences
OPTIONS = [
    pytest.param(dict(), None, id="1layer"),
    pytest.param(dict(num_layers=2, bidirectional=True), LENGTHS, id="2layers-bi-lengths"),
    pytest.param(dict(num_layers=2, batch_first=True), [4, 2, 4, 1], id="2layers-below-T-bf"),
    pytest.param(dict(bidirectional=True, bias=False), LENGTHS, id="bi-nobias-lengths"),
    pytest.param(dict(num_layers=2, bidirectional=True, recurrent_dropout=0.3, zoneout=0.3),
                 LENGTHS, id="2layers-bi-lengths-noise"),
]


def _loss_and_inputs(cell: str, layer, batch: int = 3, seed: int = 4):
    rng = np.random.default_rng(seed)
    D, L = layer.num_directions, layer.num_layers
    shape = (batch, T, I) if layer.batch_first else (T, batch, I)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    h0 = Tensor(rng.standard_normal((L * D, batch, H)), requires_grad=True)
    c0 = Tensor(rng.standard_normal((L * D, batch, H)), requires_grad=True)
    w_out = rng.standard_normal((*shape[:2], D * H))
    w_h, w_c = rng.standard_normal((2, L * D, batch, H))
    inputs = {"x": x, "h0": h0, **({"c0": c0} if cell == "lstm" else {})}

    def loss(lengths):
        layer._rng = np.random.default_rng(9)  # the same masks at every evaluation
        if cell == "lstm":
            output, (h_n, c_n) = layer(x, (h0, c0), lengths)
            return (output * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()
        output, h_n = layer(x, h0, lengths)
        return (output * w_out).sum() + (h_n * w_h).sum()

    return loss, inputs


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(("options", "lengths"), OPTIONS)
def test_gradients_match_finite_differences(path, cell, options, lengths, gradcheck):
    layer = _layer(cell, seed=2, **options)
    loss, inputs = _loss_and_inputs(cell, layer)
    lengths = None if lengths is None else lengths[:3]
    errors = gradcheck(lambda: loss(lengths), {**inputs, **dict(layer.named_parameters())})
    assert {name for name in errors if name.startswith("layer_norm")} == \
        {name for name in layer.state_dict() if name.startswith("layer_norm")}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("noise", [dict(), dict(recurrent_dropout=0.3, zoneout=0.3)],
                         ids=["plain", "noise"])
def test_paths_and_threads_give_the_same_numbers(monkeypatch, cell, noise):
    """float64, 11 sequences: every path with one thread, and with two (a row split of the
    one-direction layer; both directions at once in the bidirectional one)."""
    lengths = [3, 5, 1, 4, 5, 2, 2, 5, 1, 3, 4]
    results = {}
    for setting in ("numpy", "numba", "numba+mkl"):
        monkeypatch.setenv(kernels.DISABLE_ENV, "1" if setting == "numpy" else "0")
        monkeypatch.setenv(step_product.DISABLE_ENV, "1" if setting == "numba" else "0")
        monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1" if setting == "numba" else "0")
        assert compute_path.current() == setting
        for threads in (1, 2):
            for bidirectional in (False, True):
                layer = _layer(cell, seed=5, num_layers=2, bidirectional=bidirectional, **noise)
                loss, inputs = _loss_and_inputs(cell, layer, batch=len(lengths), seed=6)
                rnnlab.set_num_threads(threads)
                try:
                    value = loss(lengths)
                    value.backward()
                finally:
                    rnnlab.set_num_threads(None)
                grads = {**{n: t.grad for n, t in inputs.items()},
                         **{n: p.grad for n, p in layer.named_parameters()}}
                results[setting, threads, bidirectional] = (float(value.data), grads)
    for (setting, threads, bidirectional), (value, grads) in results.items():
        want_value, want = results["numpy", 1, bidirectional]
        assert value == pytest.approx(want_value, rel=1e-12), (setting, threads)
        for name, grad in grads.items():
            np.testing.assert_allclose(grad, want[name], rtol=1e-10, atol=1e-11,
                                       err_msg=f"{setting} {threads} {name}")


# ------------------------------------------------------------------ modules
def test_parameters_names_shapes_and_initial_values():
    lstm = LSTM(I, H, num_layers=2, bidirectional=True, layer_norm=True)
    assert lstm.kind is KINDS["lstm_ln"] and "layer_norm=True" in repr(lstm)
    shapes = {k: v.shape for k, v in lstm.state_dict().items() if k.endswith("_l1_reverse")}
    assert shapes == {
        "weight_ih_l1_reverse": (4 * H, 2 * H), "weight_hh_l1_reverse": (4 * H, H),
        "bias_ih_l1_reverse": (4 * H,), "bias_hh_l1_reverse": (4 * H,),
        "layer_norm_ih_weight_l1_reverse": (4 * H,), "layer_norm_hh_weight_l1_reverse": (4 * H,),
        "layer_norm_cell_weight_l1_reverse": (H,), "layer_norm_cell_bias_l1_reverse": (H,)}
    assert np.all(lstm.layer_norm_ih_weight_l0.data == 1)
    assert np.all(lstm.layer_norm_cell_bias_l0.data == 0)
    gru = GRU(I, H, layer_norm=True, bias=False)
    assert gru.kind is KINDS["gru_ln"]
    assert {k: v.shape for k, v in gru.state_dict().items()} == {
        "weight_ih_l0": (3 * H, I), "weight_hh_l0": (3 * H, H),
        "layer_norm_ih_weight_l0": (3 * H,), "layer_norm_hh_weight_l0": (3 * H,)}
    twin = GRU(I, H, layer_norm=True, bias=False)
    twin.load_state_dict(gru.state_dict())
    x = np.random.default_rng(0).standard_normal((T, 2, I)).astype(np.float32)
    np.testing.assert_array_equal(twin(x)[0].data, gru(x)[0].data)


def test_options_that_do_not_combine_are_refused():
    with pytest.raises(ValueError, match="layer_norm=True needs the GRU form 'pytorch'"):
        GRU(I, H, form="lecture", layer_norm=True)
    with pytest.raises(ValueError, match="layer_norm=True needs the GRU form 'pytorch'"):
        GRUCell(I, H, form="lecture", layer_norm=True)
    with pytest.raises(ValueError, match="layer_norm=True and proj_size cannot be combined"):
        LSTM(I, H, layer_norm=True, proj_size=2)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_scaling_the_weights_changes_little(cell):
    """Each normalisation removes a positive scale of its input: W_ih and W_hh times 5
    give nearly the same layer (ε's share of each block's variance aside), where the
    plain layer changes completely."""
    x = np.random.default_rng(2).standard_normal((T, B, I))
    changes = {}
    for layer_norm in (True, False):
        layer = MODULES[cell](I, 16, num_layers=2, layer_norm=layer_norm, dtype=np.float64,
                              rng=np.random.default_rng(3))
        before = layer(x, lengths=LENGTHS)[0].data
        for name, p in layer.named_parameters():
            if name.startswith(("weight_ih", "weight_hh")):
                p.data *= 5.0
        changes[layer_norm] = np.abs(layer(x, lengths=LENGTHS)[0].data - before).max()
    assert changes[True] < 1e-3 and changes[False] > 0.1, changes


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_step_cell_is_one_step_of_the_layer(cell, gradcheck):
    layer = _layer(cell, seed=7)
    step = (LSTMCell if cell == "lstm" else GRUCell)(I, H, layer_norm=True, dtype=np.float64)
    step.load_state_dict({name[: -len("_l0")]: p.data for name, p in layer.named_parameters()})
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((B, I)), requires_grad=True)
    h, c = (Tensor(a, requires_grad=True) for a in rng.standard_normal((2, B, H)))
    state = (h, c) if cell == "lstm" else h
    got = step(x, state)
    got_h = got[0] if cell == "lstm" else got
    want = layer(x.data[None], (h.data[None], c.data[None]) if cell == "lstm" else h.data[None])
    want_h = want[1][0] if cell == "lstm" else want[1]
    np.testing.assert_allclose(got_h.data, want_h.data[0], rtol=1e-12)
    w = rng.standard_normal((B, H))
    inputs = {"x": x, "h": h, **({"c": c} if cell == "lstm" else {}),
              **dict(step.named_parameters())}

    def loss():
        out = step(x, state)
        return ((out[0] if cell == "lstm" else out) * w).sum() + (
            out[1].sum() if cell == "lstm" else 0.0)

    gradcheck(loss, inputs)
