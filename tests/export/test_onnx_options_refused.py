"""ONNX's recurrent operators have no projection and no layer normalisation: the exporter
refuses such layers with a message that names the reason, rather than writing a graph
that computes something else."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.export import onnx as onnx_export
from rnnlab.recurrent import GRU, LSTM


@pytest.mark.parametrize(("layer", "message"), [
    (LSTM(3, 5, proj_size=2), "ONNX's LSTM operator has no projection"),
    (LSTM(3, 5, num_layers=2, bidirectional=True, layer_norm=True),
     "ONNX has no operator for the lstm_ln cell"),
    (GRU(3, 5, layer_norm=True), "ONNX has no operator for the gru_ln cell"),
], ids=["proj_size", "lstm-layer_norm", "gru-layer_norm"])
def test_layers_onnx_cannot_express_are_refused(layer, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        onnx_export.recurrent_to_onnx(layer)
    with pytest.raises(ValueError, match=message):
        onnx_export.export_onnx(layer, tmp_path / "layer.onnx")
    assert not (tmp_path / "layer.onnx").exists()


def test_the_same_layers_without_the_options_still_export():
    assert onnx_export.recurrent_to_onnx(LSTM(3, 5).astype(np.float32)) is not None
