"""Padding never leaks (LECTURE §9, schedule.py): outputs past each sequence's end are exactly
zero, and the values stored in the padding change no output and no gradient."""

from __future__ import annotations

import numpy as np
import pytest

LENGTHS = [2, 4, 1]


def _run(case) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Outputs and every gradient of the case's projection loss."""
    for tensor in case.inputs().values():
        tensor.grad = None
    outputs = case.outputs()
    case.loss().backward()
    return [o.data.copy() for o in outputs], {n: t.grad for n, t in case.inputs().items()}


def _time_major(array: np.ndarray, batch_first: bool) -> np.ndarray:
    return array.transpose(1, 0, 2) if batch_first else array


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_outputs_past_the_end_are_exactly_zero(cell, batch_first, recurrent_case):
    case = recurrent_case(
        cell, num_layers=2, bidirectional=True, lengths=LENGTHS, with_hx=True,
        batch_first=batch_first,
    )
    output = _time_major(case.outputs()[0].data, batch_first)
    for b, length in enumerate(LENGTHS):
        assert np.all(output[length:, b] == 0.0), f"sequence {b} has output past step {length}"
        assert np.any(output[:length, b] != 0.0)


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_padding_values_change_nothing(cell, batch_first, recurrent_case):
    case = recurrent_case(
        cell, num_layers=2, bidirectional=True, lengths=LENGTHS, with_hx=True,
        batch_first=batch_first,
    )
    outputs, grads = _run(case)

    x = _time_major(case.x.data, batch_first)  # a view: writes go into case.x
    rng = np.random.default_rng(1)
    for b, length in enumerate(LENGTHS):
        x[length:, b] = 100.0 * rng.standard_normal(x[length:, b].shape)
    new_outputs, new_grads = _run(case)

    for before, after in zip(outputs, new_outputs, strict=True):
        assert np.array_equal(before, after)
    assert grads.keys() == new_grads.keys()
    for name in grads:
        assert np.array_equal(grads[name], new_grads[name]), f"gradient of {name} changed"
    dx = _time_major(grads["x"], batch_first)
    for b, length in enumerate(LENGTHS):
        assert np.all(dx[length:, b] == 0.0), f"padding of sequence {b} got a gradient"
