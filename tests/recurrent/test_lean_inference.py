"""The layers' forward without a tape on bare arrays (``RecurrentBase._forward_arrays``)
gives bit for bit what the same call gave through the layer functions, and reads the
weights afresh on every call."""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab.recurrent import compute_path
from rnnlab.recurrent.layers import RecurrentBase

CASES = [
    (layer, options, lengths)
    for layer in ("LSTM", "GRU", "RNN")
    for options in ({}, {"bidirectional": True}, {"num_layers": 2},
                    {"num_layers": 2, "bidirectional": True, "batch_first": True})
    for lengths in (None, [5, 7, 2])
]


def _run(layer, x, hx, lengths, monkeypatch, lean, path):
    with monkeypatch.context() as patch:
        patch.setattr(compute_path, "for_call", lambda *shape: path)  # no budget switch
        if not lean:  # the path through RecurrentLayer / BidirectionalLayer.apply
            patch.setattr(RecurrentBase, "_plain_inference", lambda self: False)
        with rnnlab.no_grad():
            output, state = layer(x, hx, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    return [output.data, *(s.data for s in states)]


@pytest.mark.parametrize("path", ["numpy", None])  # None: the compiled path, where present
@pytest.mark.parametrize(("name", "options", "lengths"), CASES)
def test_same_bits_as_the_layer_functions(name, options, lengths, path, monkeypatch):
    rng = np.random.default_rng(3)
    layer = getattr(rnnlab, name)(4, 6, rng=rng, **options)
    layer.eval()
    shape = (3, 7, 4) if options.get("batch_first") else (7, 3, 4)
    x = rng.standard_normal(shape).astype(np.float32)
    rows = layer.num_layers * layer.num_directions
    h0 = rng.standard_normal((rows, 3, 6)).astype(np.float32)
    hx = (h0, h0 * 0.5) if name == "LSTM" else h0
    for state in (None, hx):
        lean = _run(layer, x, state, lengths, monkeypatch, True, path)
        taped = _run(layer, x, state, lengths, monkeypatch, False, path)
        assert len(lean) == len(taped)
        for a, b in zip(lean, taped, strict=True):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_a_weight_changed_in_place_is_read_by_the_next_call(name):
    rng = np.random.default_rng(4)
    layer = getattr(rnnlab, name)(4, 6, num_layers=2, bidirectional=True, rng=rng)
    x = rng.standard_normal((5, 2, 4)).astype(np.float32)
    with rnnlab.no_grad():
        before = layer(x)[0].data.copy()
        for parameter in (layer.weight_hh_l0, layer.weight_ih_l1_reverse, layer.bias_hh_l1):
            parameter.data *= 1.5  # in place, as an optimiser step does
            after = layer(x)[0].data.copy()
            assert not np.array_equal(before, after)
            before = after
        fresh = getattr(rnnlab, name)(4, 6, num_layers=2, bidirectional=True)
        fresh.load_state_dict(layer.state_dict())
        np.testing.assert_array_equal(fresh(x)[0].data, after)


def test_training_noise_takes_the_layer_functions():
    layer = rnnlab.LSTM(4, 6, num_layers=2, dropout=0.5)
    assert not layer._plain_inference()
    layer.eval()
    assert layer._plain_inference()
    assert not rnnlab.LSTM(4, 6, zoneout=0.1)._plain_inference()


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_same_bits_with_the_rows_split_over_two_threads(name, monkeypatch, split_small_batches):
    from rnnlab.recurrent import layers
    from rnnlab.recurrent.parallel import MIN_ROWS_PER_THREAD

    monkeypatch.setattr(layers, "num_threads", lambda: 2)
    rng = np.random.default_rng(5)
    layer = getattr(rnnlab, name)(4, 6, num_layers=2, rng=rng)
    batch = 2 * MIN_ROWS_PER_THREAD + 1
    x = rng.standard_normal((6, batch, 4)).astype(np.float32)
    lengths = rng.integers(1, 7, batch)
    for path in ("numpy", None):
        for given in (None, lengths):
            lean = _run(layer, x, None, given, monkeypatch, True, path)
            taped = _run(layer, x, None, given, monkeypatch, False, path)
            for a, b in zip(lean, taped, strict=True):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "hidden", "batch", "split"), [
    ("LSTM", 64, 8, False),  # 4 rows × 64 × 256 multiply-adds per thread and step
    ("LSTM", 64, 32, True),  # 16 rows: 2¹⁸
    ("GRU", 128, 8, False),
    ("RNN", 128, 32, True),
])
def test_rows_are_split_only_where_each_step_has_work_enough(name, hidden, batch, split,
                                                             monkeypatch):
    from rnnlab.recurrent import layers

    monkeypatch.setattr(layers, "num_threads", lambda: 2)
    seen = []
    forward_only = layers.forward_only

    def spy(*args, **kwargs):
        seen.append(kwargs["split"])
        return forward_only(*args, **kwargs)

    monkeypatch.setattr(layers, "forward_only", spy)
    layer = getattr(rnnlab, name)(3, hidden)
    x = np.random.default_rng(0).standard_normal((2, batch, 3)).astype(np.float32)
    with rnnlab.no_grad():
        layer(x)
    assert seen and all(bool(rows) == split for rows in seen)
