"""ONNX export of layers with the recurrent regularisers: recurrent dropout and weight drop
are off in evaluation, so such a layer exports as the plain layer and onnxruntime gives its
eval numbers; zoneout's evaluation blends each state with the previous one, which ONNX's
operators cannot express, so it is refused with the reason."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest

import rnnlab
from rnnlab.export import onnx as onnx_export
from rnnlab.recurrent import GRU, LSTM


@pytest.mark.parametrize("module", [LSTM, GRU])
def test_dropout_options_export_as_the_plain_layer(module):
    rng = np.random.default_rng(0)
    layer = module(4, 5, num_layers=2, bidirectional=True, recurrent_dropout=0.3,
                   weight_drop=0.5, rng=rng)
    layer.eval()
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    lengths = np.array([6, 2, 4])
    session = onnxruntime.InferenceSession(
        onnx_export.recurrent_to_onnx(layer).SerializeToString(),
        providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x, "lengths": lengths})[0]
    with rnnlab.no_grad():
        want = layer(x, lengths=lengths)[0].data
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("module", [LSTM, GRU])
def test_zoneout_is_refused(module, tmp_path):
    layer = module(4, 5, zoneout=0.1)
    with pytest.raises(ValueError, match="has no zoneout"):
        onnx_export.export_onnx(layer, tmp_path / "layer.onnx")
    assert not (tmp_path / "layer.onnx").exists()
