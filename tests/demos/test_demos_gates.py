"""The NumPy gate recomputation of the gates demo reproduces the LSTM layer."""

import numpy as np

import rnnlab
from rnnlab import LSTM
from rnnlab.demos.gates import lstm_trace, saturation


def test_trace_matches_the_layer_output_and_final_state():
    rnnlab.seed(0)
    layer = LSTM(3, 6, num_layers=2)
    inputs = np.random.default_rng(1).standard_normal((9, 4, 3)).astype(np.float32)
    output, (h_n, c_n) = layer(inputs)
    traces = lstm_trace(layer.state_dict(), inputs, num_layers=2)
    assert len(traces) == 2
    assert np.abs(traces[-1]["hidden"] - output.data).max() < 1e-5
    for index, trace in enumerate(traces):
        assert np.abs(trace["hidden"][-1] - h_n.data[index]).max() < 1e-5
        assert np.abs(trace["cell"][-1] - c_n.data[index]).max() < 1e-5
        for gate in ("input", "forget", "output"):
            assert trace[gate].min() > 0 and trace[gate].max() < 1
        # C_t = f ⊙ C_{t−1} + i ⊙ C̃_t, step by step
        expected = trace["forget"][1:] * trace["cell"][:-1] + (
            trace["input"][1:] * trace["candidate"][1:])
        assert np.allclose(trace["cell"][1:], expected)


def test_saturation_counts_both_ends():
    low, high = saturation(np.array([0.05, 0.5, 0.95, 0.99, 0.1, 0.9]))
    assert low == 1 / 6 and high == 2 / 6
