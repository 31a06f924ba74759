"""Recurrent dropout, zoneout and weight drop (rnnlab.recurrent.noise, the layers' options).

- float64 finite differences in train() mode, the masks fixed by reseeding the layer's
  generator before every evaluation, for every kind of the cell table, with lengths,
  bidirectional and stacked layers, and with a batch split over two threads;
- the three compute paths give the same numbers with every option on;
- the numbers are the equations': a per-sequence NumPy loop with the masks the layer drew
  (train and eval mode);
- eval(): the dropouts leave the plain layer, zoneout its expectation; masks are fresh per
  call and reproducible under rnnlab.random.seed.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab import random as rnd
from rnnlab.recurrent import KINDS, compute_path, make_recurrent, parallel
from rnnlab.recurrent import layers as layers_module
from rnnlab.recurrent.noise import bernoulli_keep, quantised

OPTIONS = {
    "recurrent_dropout": dict(recurrent_dropout=0.4),
    "zoneout": dict(zoneout=0.3),
    "weight_drop": dict(weight_drop=0.5),
    "all": dict(recurrent_dropout=0.3, zoneout=0.4, weight_drop=0.2),
}
T, B, I, H = 5, 4, 3, 4


def _case(kind, options, *, bidirectional=True, num_layers=2, batch=B, lengths=(3, 5, 1, 4),
          seed=0):
    rng = np.random.default_rng(seed)
    layer = make_recurrent(kind, I, H, num_layers=num_layers, bidirectional=bidirectional,
                           dtype=np.float64, rng=np.random.default_rng(1), **options)
    D = 2 if bidirectional else 1
    x = rnnlab.Tensor(rng.standard_normal((T, batch, I)), requires_grad=True)
    h0 = rnnlab.Tensor(0.5 * rng.standard_normal((num_layers * D, batch, H)), requires_grad=True)
    c0 = rnnlab.Tensor(0.5 * rng.standard_normal((num_layers * D, batch, H)), requires_grad=True)
    cell_state = KINDS[kind].has_cell_state
    hx = (h0, c0) if cell_state else h0
    w_out = rng.standard_normal((T, batch, D * H))
    w_h = rng.standard_normal((num_layers * D, batch, H))
    lengths = None if lengths is None else list(lengths)

    def outputs():
        layer._rng = np.random.default_rng(5)  # the same masks at every evaluation
        return layer(x, hx, lengths)

    def loss():
        out, state = outputs()
        h_n, c_n = state if cell_state else (state, None)
        total = (out * w_out).sum() + (h_n * w_h).sum()
        return total + (c_n * c_n).sum() if c_n is not None else total

    inputs = {"x": x, "h0": h0, **({"c0": c0} if cell_state else {}),
              **dict(layer.named_parameters())}
    return layer, outputs, loss, inputs


@pytest.mark.parametrize("option", list(OPTIONS))
def test_gradcheck_in_train_mode(cell, option, gradcheck):
    layer, _, loss, inputs = _case(cell, OPTIONS[option])
    gradcheck(loss, inputs)


@pytest.mark.parametrize("path", ["numpy", "compiled"])
@pytest.mark.parametrize("kind", ["lstm", "gru_lecture", "rnn_tanh"])
def test_gradcheck_with_a_batch_split(monkeypatch, kind, path, gradcheck,
                                     split_small_batches):
    """Rows [:r] and [r:] on two threads: compiled loops on shared arrays, or two layers on
    copies of their rows (each with its rows of the noise)."""
    if path == "numpy":
        monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1")
    parallel.set_num_threads(2)
    try:
        _, _, loss, inputs = _case(kind, OPTIONS["all"], bidirectional=False, batch=9,
                                   lengths=(5, 2, 4, 5, 1, 3, 5, 2, 4))
        gradcheck(loss, inputs)
    finally:
        parallel.set_num_threads(None)


def _results(kind, options, batch=B, lengths=(3, 5, 1, 4)):
    layer, outputs, loss, inputs = _case(kind, options, batch=batch, lengths=lengths)
    total = loss()
    total.backward()
    out, state = outputs()
    states = state if isinstance(state, tuple) else (state,)
    return [out.data, *(s.data for s in states)] + [t.grad for t in inputs.values()]


def test_compute_paths_agree_with_every_option(monkeypatch, cell):
    assert compute_path.current() != compute_path.NUMPY
    reference = None
    for path in ("numba+mkl", "numba", "numpy"):
        if path == "numba+mkl" and compute_path.current() != path:
            continue
        monkeypatch.setenv("RNNLAB_DISABLE_MKL", "1" if path != "numba+mkl" else "0")
        monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1" if path == "numpy" else "0")
        monkeypatch.setenv("RNNLAB_DISABLE_BLAS_LOOPS", "1" if path == "numba" else "0")
        assert compute_path.current() == path
        results = _results(cell, OPTIONS["all"])
        if reference is None:
            reference = results
            continue
        for got, want in zip(results, reference, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)  # float64


# ------------------------------------------------------------ the equations
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _step(kind, x, h, c, m, w):
    """h̃, c̃ of one step from h(t−1) (its mask m on the recurrent products only)."""
    w_ih, w_hh, b_ih, b_hh = w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"]
    hm = h * m
    if kind == "rnn_tanh":
        return np.tanh(w_ih @ x + b_ih + w_hh @ hm + b_hh), None
    if kind == "lstm":
        i, f, g, o = np.split(w_ih @ x + b_ih + w_hh @ hm + b_hh, 4)
        c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c_new), c_new
    xi, bi, Wh, bh = np.split(w_ih @ x + b_ih, 3), np.split(b_hh, 3), np.split(w_hh, 3), None
    r = _sigmoid(xi[0] + Wh[0] @ hm + bi[0])
    z = _sigmoid(xi[1] + Wh[1] @ hm + bi[1])
    if kind == "gru":
        n = np.tanh(xi[2] + r * (Wh[2] @ hm + bi[2]))
        return (1 - z) * n + z * h, bh
    n = np.tanh(xi[2] + Wh[2] @ (r * hm) + bi[2])  # the lecture form
    return (1 - z) * h + z * n, bh


def _reference(kind, layer, x, h0, c0, lengths, noises, weight_masks):
    """Per sequence, step by step: the layer's numbers from the equations of noise.py."""
    D, L = layer.num_directions, layer.num_layers
    layer_input = x
    h_n, c_n = np.zeros_like(h0), np.zeros_like(c0)
    for ell in range(L):
        output = np.zeros((T, x.shape[1], D * H))
        for d in range(D):
            suffix = f"_l{ell}" + ("_reverse" if d else "")
            w = {name: getattr(layer, f"{name}{suffix}").data
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            w["weight_hh"] = w["weight_hh"] * weight_masks[ell * D + d]
            noise = noises[ell * D + d]
            for b, length in enumerate(lengths):
                h, c = h0[ell * D + d, b], c0[ell * D + d, b]
                m = np.ones(H) if noise is None or noise.h_mask is None else noise.h_mask[b]
                for t in (range(length - 1, -1, -1) if d else range(length)):
                    h_new, c_new = _step(kind, layer_input[t, b], h, c, m, w)
                    if noise is not None and noise.zoneout_h is not None:
                        h_new = h + noise.zoneout_h[t, b] * (h_new - h)
                        if c_new is not None:
                            c_new = c + noise.zoneout_c[t, b] * (c_new - c)
                    h, c = h_new, c if c_new is None else c_new
                    output[t, b, d * H : (d + 1) * H] = h
                h_n[ell * D + d, b], c_n[ell * D + d, b] = h, c
        layer_input = output
    return layer_input, h_n, c_n


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru", "gru_lecture"])
def test_layer_follows_the_equations(monkeypatch, kind, training):
    noises, weight_masks = [], []
    draw = layers_module.draw_noise
    mask_of = layers_module.drop_connect_mask

    def recording_draw(**kwargs):
        noises.append(draw(**kwargs))
        return noises[-1]

    def recording_mask(*args):
        weight_masks.append(mask_of(*args))
        return weight_masks[-1]

    monkeypatch.setattr(layers_module, "draw_noise", recording_draw)
    monkeypatch.setattr(layers_module, "drop_connect_mask", recording_mask)
    lengths = [5, 4, 3, 1]  # sorted: the layer's rows are the caller's
    layer, outputs, _, inputs = _case(kind, OPTIONS["all"], lengths=lengths)
    layer.train(training)
    out, state = outputs()
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    if not training:
        assert not weight_masks and all(n.h_mask is None for n in noises)
        assert all(np.all(n.zoneout_h == np.float64(1 - quantised(0.4))) for n in noises)
        assert abs(quantised(0.4) - 0.4) < 2**-17  # w = 1 − p, p to 2⁻¹⁶
    masks = weight_masks or [1.0] * 4  # eval: W_hh as it is
    want_out, want_h, want_c = _reference(kind, layer, inputs["x"].data, inputs["h0"].data,
                                          inputs["c0"].data if c_n is not None else
                                          np.zeros_like(inputs["h0"].data), lengths, noises,
                                          masks)
    np.testing.assert_allclose(out.data, want_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, want_h, rtol=1e-12, atol=1e-12)
    if c_n is not None:
        np.testing.assert_allclose(c_n.data, want_c, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------- eval and masks
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_dropouts_are_off_in_eval(kind):
    noisy, outputs, _, _ = _case(kind, dict(recurrent_dropout=0.5, weight_drop=0.5))
    plain = make_recurrent(kind, I, H, num_layers=2, bidirectional=True, dtype=np.float64)
    plain.load_state_dict(noisy.state_dict())
    assert set(plain.state_dict()) == set(noisy.state_dict())  # no parameters of their own
    x = np.random.default_rng(3).standard_normal((T, B, I))
    noisy.eval()
    np.testing.assert_array_equal(noisy(x)[0].data, plain(x)[0].data)
    noisy.train()
    assert not np.allclose(noisy(x)[0].data, plain(x)[0].data)


def test_weight_drop_gradient_reaches_only_kept_weights(monkeypatch):
    masks = []
    mask_of = layers_module.drop_connect_mask

    def recording_mask(*args):
        masks.append(mask_of(*args))
        return masks[-1]

    monkeypatch.setattr(layers_module, "drop_connect_mask", recording_mask)
    layer, outputs, loss, _ = _case("lstm", dict(weight_drop=0.5), bidirectional=False,
                                    num_layers=1)
    loss().backward()
    mask = masks[-1]
    assert set(np.unique(mask)) == {0.0, 2.0}  # 1 / (1 − p), p = 0.5 exactly
    grad = layer.weight_hh_l0.grad
    assert np.all(grad[mask == 0] == 0) and np.all(grad[mask != 0] != 0)


def test_masks_are_fresh_per_call_and_reproducible_under_a_seed():
    layer = rnnlab.LSTM(I, H, recurrent_dropout=0.5, zoneout=0.3, weight_drop=0.5)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    rnd.seed(11)
    first, second = layer(x)[0].data, layer(x)[0].data
    assert not np.array_equal(first, second)
    rnd.seed(11)
    np.testing.assert_array_equal(layer(x)[0].data, first)


@pytest.mark.parametrize("option", ["recurrent_dropout", "zoneout", "weight_drop"])
@pytest.mark.parametrize("value", [-0.1, 1.0, "0.5"])
def test_probabilities_outside_zero_one_are_refused(option, value):
    with pytest.raises(ValueError, match=f"{option} must be in \\[0, 1\\)"):
        rnnlab.GRU(I, H, **{option: value})


def test_options_show_in_the_repr():
    text = repr(rnnlab.LSTM(I, H, recurrent_dropout=0.25, zoneout=0.1, weight_drop=0.5))
    assert "recurrent_dropout=0.25" in text and "zoneout=0.1" in text
    assert "weight_drop=0.5" in text


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.999])
def test_zoneout_draws_keep_with_probability_one_minus_p(p):
    keep = bernoulli_keep(np.random.default_rng(0), 1_000_000, p)
    assert keep.dtype == np.uint8 and set(np.unique(keep)) <= {0, 1}
    assert abs(keep.mean() - (1 - quantised(p))) < 4 * np.sqrt(p * (1 - p) / keep.size) + 1e-9
