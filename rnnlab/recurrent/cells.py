"""One-step cells — ``RNNCell``, ``LSTMCell``, ``GRUCell`` — for decoding step by step.

A cell call is the layer kernel run over a sequence of length one, so cells and layers share
every line of the math (see :mod:`rnnlab.recurrent.layer_function`). Parameter names follow
``torch.nn.*Cell``: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``; a kind's extra
parameters (the layer-normalised cells') are named by their stems (``layer_norm_ih_weight``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine import ops
from rnnlab.engine.module import Module, Parameter
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent.arguments import check_dtype, check_layer
from rnnlab.recurrent.cell_table import KINDS, CellKind, find_kind
from rnnlab.recurrent.gru_cell import FORMS
from rnnlab.recurrent.layer_function import RecurrentLayer
from rnnlab.recurrent.layers import _check_finite, _describe
from rnnlab.recurrent.rnn_cell import NONLINEARITIES
from rnnlab.recurrent.schedule import make_schedule


class _CellBase(Module):
    kind: CellKind  # the cell's entry of the cell table

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
        *,
        kind: CellKind | None = None,
    ) -> None:
        super().__init__()
        if kind is not None:
            self.kind = kind
        input_size, hidden_size, _, dtype = check_layer(self, input_size, hidden_size, 1, False,
                                                        bias, dtype)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        rng = rng or rnd.generator()
        rows = self.kind.gates * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        shapes = {"weight_ih": (rows, input_size), "weight_hh": (rows, hidden_size)}
        if bias:
            shapes.update(bias_ih=(rows,), bias_hh=(rows,))
        for name, shape in shapes.items():
            setattr(self, name, Parameter(rng.uniform(-bound, bound, shape), dtype))
        for extra in self.kind.extra_parameters:
            setattr(self, extra.stem, Parameter(
                np.full(extra.shape(self.kind.gates, hidden_size), extra.init), dtype))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

    def _input(self, x: Any) -> Tensor:
        check_dtype(type(self).__name__, self.dtype)  # also after astype()
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.dtype))
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input must be (batch, {self.input_size}), got {x.shape}"
            )
        self._check_dtype(x, "input")
        _check_finite(f"{type(self).__name__} input", x.data)
        return x

    def _check_dtype(self, tensor: Tensor, name: str) -> None:
        if tensor.dtype != self.dtype:
            raise TypeError(
                f"{type(self).__name__}: {name} dtype {tensor.dtype} differs from the cell's "
                f"{self.dtype}; convert one of them (cell.astype(...) or x.astype(...))"
            )

    def _state(self, state: Any, batch: int, name: str) -> Tensor:
        if state is None:
            return Tensor(np.zeros((batch, self.hidden_size), self.dtype))
        if not isinstance(state, Tensor):
            state = Tensor(np.asarray(state, dtype=self.dtype))
        if state.shape != (batch, self.hidden_size):
            raise ValueError(
                f"{type(self).__name__}: {name} must be (batch, hidden_size) = "
                f"{(batch, self.hidden_size)}, got {state.shape}"
            )
        self._check_dtype(state, name)
        _check_finite(f"{type(self).__name__} {name}", state.data)
        return state

    def _run(self, x: Tensor, h: Tensor, c: Tensor | None) -> tuple:
        batch = x.shape[0]
        schedule = make_schedule(np.array([batch]), batch, reverse=False)
        stems = tuple(extra.stem for extra in self.kind.extra_parameters)
        return RecurrentLayer.apply(
            ops.reshape(x, (1, batch, self.input_size)),
            self.weight_ih,
            self.weight_hh,
            getattr(self, "bias_ih", None),
            getattr(self, "bias_hh", None),
            h,
            *(() if c is None and not stems else (c,)),
            *(getattr(self, stem) for stem in stems),
            kind=self.kind,
            schedule=schedule,
            extra_names=stems,
        )


class RNNCell(_CellBase):
    """h' = σ(W_ih x + b_ih + W_hh h + b_hh) — one step of LECTURE §2."""

    kind = KINDS["rnn_tanh"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", **kwargs: Any) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, **kwargs,
                         kind=find_kind("rnn", nonlinearity=nonlinearity))

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        x = self._input(x)
        return self._run(x, self._state(hx, x.shape[0], "hx"), None)[1]


class LSTMCell(_CellBase):
    """One LSTM step (LECTURE §6); returns ``(h', c')``. ``layer_norm=True``: one step of
    the layer-normalised cell (kind ``lstm_ln``)."""

    kind = KINDS["lstm"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 layer_norm: bool = False, **kwargs: Any) -> None:
        kind = find_kind("lstm", layer_norm=True) if layer_norm else KINDS["lstm"]
        super().__init__(input_size, hidden_size, bias, **kwargs, kind=kind)

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x = self._input(x)
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise ValueError(f"LSTMCell hx must be a pair (h, c), got {_describe(hx)}")
        h, c = (None, None) if hx is None else hx
        batch = x.shape[0]
        _, h_new, c_new = self._run(x, self._state(h, batch, "h"), self._state(c, batch, "c"))
        return h_new, c_new


class GRUCell(_CellBase):
    """One GRU step (LECTURE §7), ``form="pytorch"`` (default) or ``"lecture"``;
    ``layer_norm=True`` (pytorch form): the layer-normalised cell (kind ``gru_ln``)."""

    kind = KINDS["gru"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 form: str = "pytorch", layer_norm: bool = False, **kwargs: Any) -> None:
        if form not in FORMS:
            raise ValueError(f"GRU form must be one of {FORMS}, got {form!r}")
        if layer_norm and form != "pytorch":
            raise ValueError("layer_norm=True needs the GRU form 'pytorch'")
        options = {"form": form, **({"layer_norm": True} if layer_norm else {})}
        super().__init__(input_size, hidden_size, bias, **kwargs,
                         kind=find_kind("gru", **options))
        self.form = form

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        x = self._input(x)
        return self._run(x, self._state(hx, x.shape[0], "hx"), None)[1]
