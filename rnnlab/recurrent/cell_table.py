"""The cell table: every kind of recurrent cell the core runs, and all that differs between them.

One :class:`CellKind` per kind — ``rnn_tanh``, ``rnn_sigmoid``, ``rnn_relu`` (LECTURE §2),
``lstm`` (§6), ``gru`` (the cuDNN/PyTorch form), ``gru_lecture`` (§7), and the
layer-normalised ``lstm_ln`` and ``gru_ln`` (``layer_norm=True``, Ba et al. 2016) — gives

* its gates per step (W_ih and W_hh have gates · H rows) and whether it carries a cell
  state c beside h;
* its step kernels on each compute path (:mod:`rnnlab.recurrent.compute_path`): the NumPy
  reference in the cell's own file, under the lecture's equations, and the compiled twins
  in :mod:`rnnlab.recurrent.fused`;
* how a layer runs it over a whole sequence (:meth:`CellKind.forward` / ``backward``, the
  same call for every kind);
* the module that builds it — ``MODULES[kind.family](…, **kind.options)``, see
  :mod:`rnnlab.recurrent.factory` — and the PyTorch class that module mirrors;
* the ONNX operator it exports to (None: the kind does not export);
* its parameters beside W_ih, W_hh, b_ih, b_hh (``extra_parameters``), and whether the
  layer adds the biases to the input projection or the kind does (``bias_in_projection``).

Layers, one-step cells, model factories, demos, ONNX export and the tests read it; a new
kind of cell is one entry here plus its kernels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from rnnlab.recurrent import (
    compute_path,
    gru_cell,
    gru_ln_cell,
    lstm_cell,
    lstm_ln_cell,
    lstm_projection,
    rnn_cell,
)
from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.noise import StepNoise
from rnnlab.recurrent.schedule import Schedule

Weights = Mapping[str, np.ndarray | None]
Forward = tuple[np.ndarray, np.ndarray | None, dict]
Backward = tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class ExtraParameter:
    """A parameter a kind has beside W_ih, W_hh, b_ih, b_hh: one per direction and layer,
    named ``{stem}{suffix}`` (``layer_norm_ih_weight_l0_reverse``), of shape
    ``shape(gates, hidden_size)``, initialised to ``init``."""

    stem: str
    shape: Callable[[int, int], tuple[int, ...]]
    init: float


@dataclass(frozen=True, eq=False)
class CellKind:
    """One kind of recurrent cell (module docstring). Kinds are constants: compared by
    identity, copied as themselves."""

    name: str
    family: str  # "rnn", "lstm" or "gru": the --cell name and the key of MODULES
    gates: int
    has_cell_state: bool
    options: Mapping[str, str | bool]  # the module's keywords that select this kind
    reference: ModuleType  # the cell's file: NumPy reference steps and the whole-sequence code
    compiled: str  # the module of the compiled twins
    torch_module: str | None  # the PyTorch layer with the same weights and numbers, if any
    torch_cell: str | None
    onnx_op: str | None  # ONNX's operator: RNN, LSTM or GRU; None: not exportable
    onnx_activation: str | None = None  # RNN: ONNX's name of the nonlinearity
    onnx_linear_before_reset: int | None = None  # GRU: 1 for the PyTorch form, 0 lecture
    separate_b_hn: bool = False  # GRU: b_hn stays out of the input projection
    bias_in_projection: bool = True  # False: xp = x W_ihᵀ alone; the kind adds b_ih, b_hh
    extra_parameters: tuple[ExtraParameter, ...] = ()

    def __deepcopy__(self, memo: dict) -> CellKind:
        return self

    def kernels(self, path: str | None = None) -> Kernels:
        """This cell's kernels on ``path``, by default the compute path the environment
        allows now (:func:`rnnlab.recurrent.compute_path.current`)."""
        return compute_path.kernels(self.reference, self.compiled, path)

    def onnx_attributes(self, directions: int) -> dict[str, Any]:
        """The ONNX node's attributes that depend on the kind (``hidden_size`` and
        ``direction`` aside)."""
        attributes: dict[str, Any] = {}
        if self.onnx_activation is not None:
            attributes["activations"] = [self.onnx_activation] * directions
        if self.onnx_linear_before_reset is not None:
            attributes["linear_before_reset"] = self.onnx_linear_before_reset
        return attributes

    def forward(self, xp: np.ndarray, weights: Weights, h0: np.ndarray,
                c0: np.ndarray | None, schedule: Schedule, split: int,
                kernels: Kernels, noise: StepNoise | None = None) -> Forward:
        """Run the cell over the projected input ``xp`` (T, B, gates·H): the hidden states S
        and (LSTM) cell states C, (K+1, B, ·) in visit order, and the backward's cache.

        ``weights`` holds one direction's ``weight_hh``, ``bias_ih``, ``bias_hh`` (``None``
        without bias) and the layer's extra parameters by stem (``weight_hr``, …). ``noise``:
        this call's recurrent dropout and zoneout (:mod:`rnnlab.recurrent.noise`), None for
        none; the cache keeps it for the backward."""
        raise NotImplementedError

    def backward(self, cache: dict, d_output: np.ndarray, d_hn: np.ndarray,
                 d_cn: np.ndarray | None, weights: Weights, schedule: Schedule) -> Backward:
        """BPTT: ∂L/∂xp (T, B, gates·H, in time order), the gradients by name — always
        ``weight_hh`` and every extra parameter; ``bias_ih`` and ``bias_hh`` where the kind
        adds the biases itself (``bias_in_projection`` False); ``bias_hn`` for the GRU —
        ∂L/∂h0 and ∂L/∂c0 (LSTM, else None)."""
        raise NotImplementedError


class _RNNKind(CellKind):
    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        S, cache = rnn_cell.forward(xp, weights["weight_hh"], h0, schedule,
                                    self.options["nonlinearity"], split, kernels=kernels,
                                    noise=noise)
        return S, None, cache

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        d_xp, d_w_hh, d_h0 = rnn_cell.backward(cache, d_output, d_hn, weights["weight_hh"],
                                               schedule)
        return d_xp, {"weight_hh": d_w_hh}, d_h0, None


class _LSTMKind(CellKind):
    """The LSTM, and with a ``weight_hr`` among the weights the LSTMP
    (:mod:`rnnlab.recurrent.lstm_projection`)."""

    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        if weights.get("weight_hr") is not None:
            return lstm_projection.forward(xp, weights["weight_hh"], weights["weight_hr"], h0,
                                           c0, schedule, split, noise=noise,
                                           kernels=lstm_projection.projected_kernels(kernels))
        return lstm_cell.forward(xp, weights["weight_hh"], h0, c0, schedule, split,
                                 kernels=kernels, noise=noise)

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        if weights.get("weight_hr") is not None:
            d_xp, d_w_hh, d_w_hr, d_h0, d_c0 = lstm_projection.backward(
                cache, d_output, d_hn, d_cn, weights["weight_hh"], weights["weight_hr"],
                schedule)
            return d_xp, {"weight_hh": d_w_hh, "weight_hr": d_w_hr}, d_h0, d_c0
        d_xp, d_w_hh, d_h0, d_c0 = lstm_cell.backward(cache, d_output, d_hn, d_cn,
                                                      weights["weight_hh"], schedule)
        return d_xp, {"weight_hh": d_w_hh}, d_h0, d_c0


class _GRUKind(CellKind):
    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        w_hh, b_hh = weights["weight_hh"], weights["bias_hh"]
        H = w_hh.shape[1]
        b_hn = b_hh[2 * H :] if b_hh is not None else np.zeros(H, xp.dtype)
        S, cache = gru_cell.forward(xp, w_hh, b_hn, h0, schedule, self.options["form"], split,
                                    kernels=kernels, noise=noise)
        return S, None, cache

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        d_xp, d_w_hh, d_b_hn, d_h0 = gru_cell.backward(cache, d_output, d_hn,
                                                       weights["weight_hh"], schedule)
        return d_xp, {"weight_hh": d_w_hh, "bias_hn": d_b_hn}, d_h0, None


class _LSTMLNKind(CellKind):
    """The layer-normalised LSTM (:mod:`rnnlab.recurrent.lstm_ln_cell`)."""

    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        return lstm_ln_cell.forward(xp, weights, h0, c0, schedule, split, kernels=kernels,
                                    noise=noise)

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        return lstm_ln_cell.backward(cache, d_output, d_hn, d_cn, weights, schedule)


class _GRULNKind(CellKind):
    """The layer-normalised GRU (:mod:`rnnlab.recurrent.gru_ln_cell`)."""

    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        S, cache = gru_ln_cell.forward(xp, weights, h0, schedule, split, kernels=kernels,
                                       noise=noise)
        return S, None, cache

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        d_xp, grads, d_h0 = gru_ln_cell.backward(cache, d_output, d_hn, weights, schedule)
        return d_xp, grads, d_h0, None


def _gains(*stems: str) -> tuple[ExtraParameter, ...]:
    """Layer-norm gains of the gate blocks (gates · H, initialised to 1)."""
    return tuple(ExtraParameter(stem, lambda gates, hidden: (gates * hidden,), 1.0)
                 for stem in stems)


def _rnn(nonlinearity: str, onnx_activation: str, torch: bool) -> _RNNKind:
    return _RNNKind(
        name=f"rnn_{nonlinearity}", family="rnn", gates=1, has_cell_state=False,
        options={"nonlinearity": nonlinearity}, reference=rnn_cell,
        compiled="rnnlab.recurrent.fused.rnn_steps", onnx_op="RNN",
        onnx_activation=onnx_activation,
        torch_module="torch.nn.RNN" if torch else None,
        torch_cell="torch.nn.RNNCell" if torch else None,
    )


def _gru(form: str, linear_before_reset: int, name: str, torch: bool) -> _GRUKind:
    return _GRUKind(
        name=name, family="gru", gates=3, has_cell_state=False, options={"form": form},
        reference=gru_cell, compiled="rnnlab.recurrent.fused.gru_steps", onnx_op="GRU",
        onnx_linear_before_reset=linear_before_reset, separate_b_hn=True,
        torch_module="torch.nn.GRU" if torch else None,
        torch_cell="torch.nn.GRUCell" if torch else None,
    )


KINDS: dict[str, CellKind] = {kind.name: kind for kind in (
    _rnn("tanh", "Tanh", torch=True),
    _rnn("sigmoid", "Sigmoid", torch=False),  # the lecture's σ; PyTorch has tanh and relu
    _rnn("relu", "Relu", torch=True),
    _LSTMKind(
        name="lstm", family="lstm", gates=4, has_cell_state=True, options={},
        reference=lstm_cell, compiled="rnnlab.recurrent.fused.lstm_steps", onnx_op="LSTM",
        torch_module="torch.nn.LSTM", torch_cell="torch.nn.LSTMCell",
    ),
    _gru("pytorch", 1, "gru", torch=True),
    _gru("lecture", 0, "gru_lecture", torch=False),  # PyTorch has only the cuDNN form
    _LSTMLNKind(  # no PyTorch twin, no ONNX operator
        name="lstm_ln", family="lstm", gates=4, has_cell_state=True,
        options={"layer_norm": True}, reference=lstm_ln_cell,
        compiled="rnnlab.recurrent.fused.lstm_ln_steps", onnx_op=None, torch_module=None,
        torch_cell=None, bias_in_projection=False,
        extra_parameters=(
            *_gains("layer_norm_ih_weight", "layer_norm_hh_weight"),
            ExtraParameter("layer_norm_cell_weight", lambda gates, hidden: (hidden,), 1.0),
            ExtraParameter("layer_norm_cell_bias", lambda gates, hidden: (hidden,), 0.0),
        ),
    ),
    _GRULNKind(
        name="gru_ln", family="gru", gates=3, has_cell_state=False,
        options={"form": "pytorch", "layer_norm": True}, reference=gru_ln_cell,
        compiled="rnnlab.recurrent.fused.gru_ln_steps", onnx_op=None, torch_module=None,
        torch_cell=None, bias_in_projection=False,
        extra_parameters=_gains("layer_norm_ih_weight", "layer_norm_hh_weight"),
    ),
)}
"""Every kind, by name."""


def find_kind(family: str, **options: str | bool) -> CellKind:
    """The kind a module of ``family`` built with ``options`` runs: ``find_kind("rnn",
    nonlinearity="relu")`` is ``KINDS["rnn_relu"]``."""
    for kind in KINDS.values():
        if kind.family == family and dict(kind.options) == options:
            return kind
    raise ValueError(f"no {family} cell with options {options}")
