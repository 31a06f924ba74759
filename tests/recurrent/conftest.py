"""Shared machinery of the recurrent-core tests, exposed as fixtures (``gradcheck``,
``relative_error`` and the single-threaded BLAS come from ``tests/conftest.py``).

- ``recurrent_case``: builds a small layer with its input, initial state, lengths and a
  random projection loss Σ out ⊙ W₁ + Σ h_n ⊙ W₂ (+ Σ c_n ⊙ W₃) that makes every output count.
- ``reference_stack``: a plain per-sequence NumPy loop over layers and directions
  (LECTURE §8–§10) into which a one-step function is plugged.
- ``cell``: every kind of cell in the cell table; ``torch_cell``: those PyTorch also has.
- ``split_small_batches``: the row split over two threads at any batch and size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from rnnlab.engine import ops
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import KINDS, make_recurrent, parallel
from rnnlab.recurrent.layers import RecurrentBase

TORCH_CELLS = tuple(name for name, kind in KINDS.items() if kind.torch_module is not None)


@pytest.fixture
def split_small_batches(monkeypatch):
    """One-direction layers split their rows over two threads at any size: the tests'
    layers are far below the work per step from which rnnlab splits them
    (:func:`rnnlab.recurrent.parallel.splits_rows`)."""
    monkeypatch.setattr(parallel, "MIN_SPLIT_MACS", 0)


@pytest.fixture(params=list(KINDS))
def cell(request) -> str:
    return request.param


@pytest.fixture(params=TORCH_CELLS)
def torch_cell(request) -> str:
    return request.param


# ----------------------------------------------------------- recurrent cases
def projection_loss(outputs: Sequence[Tensor], projections: Sequence[np.ndarray]) -> Tensor:
    """Σₖ Σ outputsₖ ⊙ projectionsₖ — every element of every output reaches the loss."""
    total = None
    for out, weight in zip(outputs, projections, strict=True):
        term = ops.sum(ops.mul(out, weight))
        total = term if total is None else ops.add(total, term)
    return total


@dataclass
class RecurrentCase:
    """A layer with its inputs; ``x`` is laid out as the layer expects (batch_first or not)."""

    layer: RecurrentBase
    x: Tensor
    h0: Tensor | None
    c0: Tensor | None
    lengths: list[int] | None
    projections: list[np.ndarray]

    @property
    def hx(self) -> Any:
        if self.h0 is None:
            return None
        return self.h0 if self.c0 is None else (self.h0, self.c0)

    def outputs(self) -> list[Tensor]:
        output, state = self.layer(self.x, self.hx, self.lengths)
        return [output, *(state if isinstance(state, tuple) else (state,))]

    def loss(self) -> Tensor:
        return projection_loss(self.outputs(), self.projections)

    def time_major_input(self) -> np.ndarray:
        return self.x.data.transpose(1, 0, 2) if self.layer.batch_first else self.x.data

    def initial_h(self) -> np.ndarray:
        """h0 as an array: zeros where the case passes no initial state."""
        if self.h0 is not None:
            return self.h0.data
        layer, batch = self.layer, self.time_major_input().shape[1]
        return np.zeros((layer.num_layers * layer.num_directions, batch, layer.hidden_size))

    def inputs(self) -> dict[str, Tensor]:
        """Everything the loss should be differentiated against, by name."""
        named = {"x": self.x}
        if self.h0 is not None:
            named["h0"] = self.h0
        if self.c0 is not None:
            named["c0"] = self.c0
        named.update(self.layer.named_parameters())
        return named


def _make_case(
    cell: str,
    num_layers: int = 1,
    bidirectional: bool = False,
    lengths: Sequence[int] | None = None,
    with_hx: bool = False,
    batch_first: bool = False,
    bias: bool = True,
    dropout: float = 0.0,
    dtype: Any = np.float64,
    seed: int = 0,
    steps: int = 4,
    batch: int = 3,
    input_size: int = 3,
    hidden_size: int = 4,
) -> RecurrentCase:
    rng = np.random.default_rng(seed)
    layer = make_recurrent(
        cell, input_size, hidden_size, num_layers=num_layers, bias=bias,
        batch_first=batch_first, dropout=dropout, bidirectional=bidirectional, dtype=dtype,
        rng=rng,
    )
    shape = (batch, steps, input_size) if batch_first else (steps, batch, input_size)
    x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    state_shape = (num_layers * layer.num_directions, batch, hidden_size)

    def state() -> Tensor:
        return Tensor(0.5 * rng.standard_normal(state_shape).astype(dtype), requires_grad=True)

    h0 = state() if with_hx else None
    c0 = state() if with_hx and KINDS[cell].has_cell_state else None
    out_size = hidden_size * layer.num_directions
    out_shape = (batch, steps, out_size) if batch_first else (steps, batch, out_size)
    projections = [rng.standard_normal(out_shape), rng.standard_normal(state_shape)]
    if KINDS[cell].has_cell_state:
        projections.append(rng.standard_normal(state_shape))
    return RecurrentCase(
        layer=layer,
        x=x,
        h0=h0,
        c0=c0,
        lengths=None if lengths is None else list(lengths),
        projections=[p.astype(dtype) for p in projections],
    )


@pytest.fixture
def recurrent_case() -> Callable[..., RecurrentCase]:
    return _make_case


# ------------------------------------------------------- NumPy reference loop
Step = Callable[..., tuple[np.ndarray, ...]]


def _reference_stack(
    step: Step,
    params: dict[str, np.ndarray],
    x: np.ndarray,
    initial: Sequence[np.ndarray],
    lengths: Sequence[int] | None,
    num_layers: int,
    bidirectional: bool,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run ``step`` sequence by sequence, step by step (LECTURE §8–§10), time-major.

    ``step(x_t, state, weight_ih, weight_hh, bias_ih, bias_hh) -> state`` where ``state`` is
    a tuple whose first entry is h; ``initial`` holds one (L·D, B, H) array per state entry.
    Returns the (T, B, D·H) output, zero past each sequence's end, and the final states.
    """
    steps, batch, _ = x.shape
    directions = 2 if bidirectional else 1
    hidden = initial[0].shape[2]
    lengths = [steps] * batch if lengths is None else list(lengths)
    finals = [np.zeros_like(s) for s in initial]
    layer_input = x
    for layer in range(num_layers):
        output = np.zeros((steps, batch, directions * hidden))
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            rows = params[f"weight_hh{suffix}"].shape[0]
            weights = {
                name: params.get(f"{name}{suffix}", np.zeros(rows))
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            }
            index = layer * directions + d
            for b in range(batch):
                state = tuple(s[index, b] for s in initial)
                times = range(lengths[b] - 1, -1, -1) if d else range(lengths[b])
                for t in times:
                    state = step(layer_input[t, b], state, **weights)
                    output[t, b, d * hidden : (d + 1) * hidden] = state[0]
                for final, value in zip(finals, state, strict=True):
                    final[index, b] = value
        layer_input = output
    return layer_input, finals


@pytest.fixture
def reference_stack() -> Callable[..., tuple[np.ndarray, list[np.ndarray]]]:
    return _reference_stack
