"""``RNN``, ``LSTM`` and ``GRU``: deep, bidirectional recurrent layers over padded batches.

Arguments, shapes, parameter names and gate order follow ``torch.nn.RNN/LSTM/GRU`` so that
weights move both ways through ``state_dict``. Layer ℓ of direction d reads the output of
layer ℓ−1 — both directions concatenated, LECTURE §10 — or the input for ℓ = 0::

    →h_t^(ℓ) = f(→W^(ℓ) h_t^(ℓ−1) + →V^(ℓ) →h_{t−1}^(ℓ) + →b^(ℓ))      (LECTURE §8, §10)
    ←h_t^(ℓ) = f(←W^(ℓ) h_t^(ℓ−1) + ←V^(ℓ) ←h_{t+1}^(ℓ) + ←b^(ℓ))

``lengths`` gives each sequence's true length (any order): outputs past the end are zero,
the final state is taken at each sequence's own last step, and the reverse direction
starts there — the numbers PyTorch gives for a packed sequence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine import ops
from rnnlab.engine.module import Module, Parameter
from rnnlab.engine.padding import check_lengths
from rnnlab.engine.tensor import Function, Tensor, is_grad_enabled
from rnnlab.recurrent.arguments import check_dtype, check_layer
from rnnlab.recurrent.cell_table import KINDS, CellKind, find_kind
from rnnlab.recurrent.gru_cell import FORMS
from rnnlab.recurrent.inference import bidirectional_forward_only, forward_only
from rnnlab.recurrent.layer_function import (
    BatchSplitLayer,
    BidirectionalLayer,
    RecurrentLayer,
    balanced_split,
    can_split_rows,
)
from rnnlab.recurrent.noise import StepNoise, check_probability, draw_noise, drop_connect_mask
from rnnlab.recurrent.parallel import MIN_ROWS_PER_THREAD, num_threads, splits_rows
from rnnlab.recurrent.rnn_cell import NONLINEARITIES
from rnnlab.recurrent.schedule import batch_sizes, dense_schedule, make_schedule


class PermuteBatch(Function):
    """y = x.take(perm, axis); the backward applies the inverse permutation."""

    def forward(self, x, perm, axis):
        self.inverse, self.axis = np.argsort(perm), axis
        return np.take(x, perm, axis=axis)

    def backward(self, g):
        return np.take(g, self.inverse, axis=self.axis), None


def _length_order(lengths: np.ndarray | None, steps: int, batch: int
                  ) -> tuple[np.ndarray | None, np.ndarray]:
    """The batch order by decreasing length (None when the batch is already in it, or has
    no lengths) and the number of running rows at each step in that order."""
    if lengths is None:
        return None, np.full(steps, batch, np.int64)
    order = np.argsort(-lengths, kind="stable")
    perm = order if np.any(order != np.arange(batch)) else None
    return perm, batch_sizes(lengths[order], steps)


def _check_finite(name: str, array: np.ndarray) -> None:
    """Raise if ``array`` holds a NaN or ±inf. A NaN or infinite entry makes the sum of
    squares NaN or infinite, so a finite one clears the array: for a C array one BLAS dot
    product of the flat array with itself (a quarter of ``array.sum()``'s time at
    (200, 8, 64): ``benchmarks/speed/forward_probes.py overhead``), for other layouts the
    plain sum. Only when that is not finite — a bad entry, or finite values whose squares
    overflow — is every entry tested."""
    if not np.issubdtype(array.dtype, np.floating):
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if array.flags.c_contiguous:
            flat = array.reshape(-1)
            total = np.dot(flat, flat)
        else:
            total = array.sum()
        if np.isfinite(total):
            return
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all must be finite")


def _describe(value: Any) -> str:
    """'a tuple of length 3', 'a ndarray of shape (1, 3, 5)' — what a caller passed, for errors."""
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__} of shape {np.shape(getattr(value, 'data', value))}"


class RecurrentBase(Module):
    """Shared machinery of RNN, LSTM and GRU (see the module docstring). ``kind`` is the
    layer's entry of the cell table (:mod:`rnnlab.recurrent.cell_table`): subclasses pass
    the one their options select; its ``extra_parameters`` are created beside the weights.
    ``proj_size`` (LSTM only) adds ``weight_hr`` (P, H) per layer and direction."""

    kind: CellKind

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
        *,
        kind: CellKind | None = None,
        proj_size: int = 0,
        recurrent_dropout: float = 0.0,
        zoneout: float = 0.0,
        weight_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if kind is not None:
            own = getattr(type(self), "kind", None)  # None: a layer of any kind (user_cell)
            if own is not None and kind.family != own.family:
                raise ValueError(f"{type(self).__name__} runs {type(self).kind.family} cells, "
                                 f"not the {kind.family} cell {kind.name!r}")
            self.kind = kind
        input_size, hidden_size, num_layers, dtype = check_layer(
            self, input_size, hidden_size, num_layers, bidirectional, bias, dtype, proj_size)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if int(proj_size) != proj_size or proj_size < 0:
            raise ValueError(f"proj_size must be a non-negative integer, got {proj_size!r}")
        if proj_size and self.kind.family != "lstm":
            raise ValueError(f"proj_size is an LSTM option; {type(self).__name__} has none")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be smaller than hidden_size ({hidden_size}), "
                             f"got {proj_size}")
        self.proj_size = int(proj_size)
        self.recurrent_dropout = check_probability("recurrent_dropout", recurrent_dropout)
        self.zoneout = check_probability("zoneout", zoneout)
        self.weight_drop = check_probability("weight_drop", weight_drop)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self._rng = rng
        rng = rng or rnd.generator()
        gate_rows = self.kind.gates * hidden_size
        out_size = self.output_size
        bound = 1.0 / math.sqrt(hidden_size)  # PyTorch's U(−1/√H, 1/√H)
        for layer in range(self.num_layers):
            layer_input = input_size if layer == 0 else out_size * self.num_directions
            for suffix in self._direction_suffixes(layer):
                shapes = {
                    f"weight_ih{suffix}": (gate_rows, layer_input),
                    f"weight_hh{suffix}": (gate_rows, out_size),
                }
                if bias:
                    shapes[f"bias_ih{suffix}"] = (gate_rows,)
                    shapes[f"bias_hh{suffix}"] = (gate_rows,)
                if self.proj_size:
                    shapes[f"weight_hr{suffix}"] = (self.proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(rng.uniform(-bound, bound, shape), dtype))
                for extra in self.kind.extra_parameters:
                    setattr(self, f"{extra.stem}{suffix}", Parameter(
                        np.full(extra.shape(self.kind.gates, hidden_size), extra.init), dtype))

    @property
    def output_size(self) -> int:
        """Width of h per direction: ``proj_size`` when set, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def _extra_names(self) -> tuple[str, ...]:
        """Stems of the parameters a direction has beside W_ih, W_hh, b_ih, b_hh."""
        stems = tuple(extra.stem for extra in self.kind.extra_parameters)
        return (("weight_hr",) if self.proj_size else ()) + stems

    def _direction_suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        for option in ("recurrent_dropout", "zoneout", "weight_drop"):
            if getattr(self, option):
                s += f", {option}={getattr(self, option)}"
        if self.kind.options.get("layer_norm"):
            s += ", layer_norm=True"
        return s

    # ------------------------------------------------------------- validation
    def _prepare_input(self, x: Any) -> Tensor:
        check_dtype(type(self).__name__, self.dtype)  # also after astype()
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.dtype))
        if x.ndim != 3:
            layout = "(batch, time, features)" if self.batch_first else "(time, batch, features)"
            raise ValueError(
                f"{type(self).__name__}: input must be 3-D {layout}, got shape {x.shape}"
            )
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[2]} features per step, "
                f"expected input_size={self.input_size}"
            )
        if x.dtype != self.dtype:
            raise TypeError(
                f"{type(self).__name__}: input dtype {x.dtype} differs from the layer's "
                f"{self.dtype}; convert one of them (layer.astype(...) or x.astype(...))"
            )
        if min(x.shape[:2]) == 0:
            raise ValueError(f"{type(self).__name__}: empty input of shape {x.shape}")
        _check_finite(f"{type(self).__name__} input", x.data)
        return x

    def _state_shape(self, batch: int, size: int | None = None) -> tuple[int, int, int]:
        return (self.num_layers * self.num_directions, batch, size or self.hidden_size)

    def _prepare_state(self, state: Any, batch: int, name: str) -> Tensor:
        projected = name in ("hx", "h0") and self.proj_size
        expected = self._state_shape(batch, self.output_size if projected else None)
        if state is None:
            return Tensor(np.zeros(expected, self.dtype))
        if not isinstance(state, Tensor):
            state = Tensor(np.asarray(state, dtype=self.dtype))
        if state.shape != expected:
            width = "proj_size" if projected else "hidden_size"
            raise ValueError(
                f"{type(self).__name__}: {name} must have shape (num_layers * num_directions, "
                f"batch, {width}) = {expected}, got {state.shape}"
            )
        if state.dtype != self.dtype:
            raise TypeError(f"{name} dtype {state.dtype} differs from the layer's {self.dtype}")
        _check_finite(name, state.data)
        return state

    def _split_hx(self, hx: Any, batch: int) -> tuple[Tensor, Tensor | None]:
        return self._prepare_state(hx, batch, "hx"), None

    # ---------------------------------------------------------------- forward
    def forward(self, x: Any, hx: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        """Run every layer and direction; returns ``(output, h_n)`` (LSTM: ``(h_n, c_n)``).

        ``output`` is (T, B, D·H) — (B, T, D·H) with ``batch_first`` — and ``h_n`` is
        (num_layers·D, B, H), D = 2 when bidirectional; with ``proj_size`` P, h is P wide
        in both (c_n stays H wide).
        """
        x = self._prepare_input(x)
        if not is_grad_enabled() and self._plain_inference():
            result = self._forward_arrays(x, hx, lengths)
            if result is not None:
                return result
        if self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        steps, batch = x.shape[0], x.shape[1]
        lengths_arr = None if lengths is None else check_lengths(lengths, steps, batch)
        h0, c0 = self._split_hx(hx, batch)

        perm, sizes = _length_order(lengths_arr, steps, batch)
        if perm is not None:
            x = PermuteBatch.apply(x, perm, axis=1)
            h0 = PermuteBatch.apply(h0, perm, axis=1)
            c0 = None if c0 is None else PermuteBatch.apply(c0, perm, axis=1)

        schedules = [make_schedule(sizes, batch, reverse=direction == 1)
                     for direction in range(self.num_directions)]
        split = 0
        if self._splits_rows(batch):
            split = balanced_split(schedules[0])
        layer_input = x
        final_h: list[Tensor] = []
        final_c: list[Tensor] = []
        training = self.training
        extra_names = self._extra_names()
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and training:
                rng = self._rng or rnd.generator()
                layer_input = ops.dropout(layer_input, self.dropout, rng, True)
            per_direction = []
            noises = []
            for direction, suffix in enumerate(self._direction_suffixes(layer)):
                index = layer * self.num_directions + direction
                noises.append(self._noise(steps, batch, training))
                per_direction += [
                    getattr(self, f"weight_ih{suffix}"),
                    self._recurrent_weight(getattr(self, f"weight_hh{suffix}"), training),
                    getattr(self, f"bias_ih{suffix}", None),
                    getattr(self, f"bias_hh{suffix}", None),
                    h0[index],
                    *(() if c0 is None and not extra_names else
                      (None if c0 is None else c0[index],)),
                    *(getattr(self, f"{stem}{suffix}") for stem in extra_names),
                ]
            if self.bidirectional:  # one node, both directions at once (parallel.py)
                results = BidirectionalLayer.apply(layer_input, *per_direction,
                                                   kind=self.kind, schedules=schedules,
                                                   extra_names=extra_names, noises=noises)
                final_h += results[1:3]
                final_c += results[3:5]
            else:  # with a split: two groups of rows at once (parallel.py)
                function = (BatchSplitLayer if split and not can_split_rows(self.kind)
                            else RecurrentLayer)
                results = function.apply(layer_input, *per_direction, kind=self.kind,
                                         schedule=schedules[0], split=split,
                                         extra_names=extra_names, noise=noises[0])
                final_h.append(results[1])
                final_c += results[2:3]
            layer_input = results[0]

        output = layer_input
        h_n = ops.stack(final_h, axis=0)
        c_n = ops.stack(final_c, axis=0) if c0 is not None else None
        if perm is not None:
            inverse = np.argsort(perm)
            output = PermuteBatch.apply(output, inverse, axis=1)
            h_n = PermuteBatch.apply(h_n, inverse, axis=1)
            c_n = None if c_n is None else PermuteBatch.apply(c_n, inverse, axis=1)
        if self.batch_first:
            output = ops.transpose(output, (1, 0, 2))
        return output, (h_n if c_n is None else (h_n, c_n))

    def _splits_rows(self, batch: int) -> bool:
        """Whether this call splits the batch rows over two threads (one direction only:
        a bidirectional layer runs its directions at once instead) — where there are two,
        and the rows and each step's work are enough (:func:`parallel.splits_rows
        <rnnlab.recurrent.parallel.splits_rows>`)."""
        return (not self.bidirectional and batch >= 2 * MIN_ROWS_PER_THREAD
                and num_threads() > 1
                and splits_rows(batch, self.output_size, self.kind.gates * self.hidden_size))

    def _plain_inference(self) -> bool:
        """True when this call draws no noise and runs the plain cells, so that without a
        tape :meth:`_forward_arrays` computes what :meth:`forward` would, on bare arrays."""
        return (not self._extra_names() and self.kind.bias_in_projection
                and not self.zoneout
                and not (self.training
                         and (self.dropout or self.recurrent_dropout or self.weight_drop)))

    def _forward_arrays(self, x: Tensor, hx: Any, lengths: Any) -> tuple[Tensor, Any] | None:
        """:meth:`forward` without a tape (:func:`rnnlab.no_grad`) for the plain cells
        (:meth:`_plain_inference`): the same validation and the same array operations, in
        the same order, on bare arrays — none of the ``Function.apply`` wrapping that only a
        tape needs — and each direction by :func:`~rnnlab.recurrent.inference.forward_only`
        (:func:`~rnnlab.recurrent.inference.bidirectional_forward_only`), as the layer
        functions run it without a tape; a dense batch reuses its schedules
        (:func:`~rnnlab.recurrent.schedule.dense_schedule`). A one-direction layer splits
        its rows over two threads only where that pays
        (:meth:`_splits_rows`). None where the rows would be
        split over threads by :class:`BatchSplitLayer`: :meth:`forward` runs that case."""
        data = x.data
        if self.batch_first:
            data = np.transpose(data, (1, 0, 2))
        steps, batch = data.shape[0], data.shape[1]
        lengths_arr = None if lengths is None else check_lengths(lengths, steps, batch)
        h0, c0 = self._split_hx(hx, batch)
        h0, c0 = h0.data, None if c0 is None else c0.data
        perm, sizes = _length_order(lengths_arr, steps, batch)
        if perm is not None:
            data = np.take(data, perm, axis=1)
            h0 = np.take(h0, perm, axis=1)
            c0 = None if c0 is None else np.take(c0, perm, axis=1)
        if lengths_arr is not None:
            schedules = [make_schedule(sizes, batch, reverse=direction == 1)
                         for direction in range(self.num_directions)]
        else:
            schedules = [dense_schedule(steps, batch, direction == 1)
                         for direction in range(self.num_directions)]
        split = 0
        if self._splits_rows(batch):
            split = balanced_split(schedules[0])
            if split and not can_split_rows(self.kind):  # BatchSplitLayer: forward's own path
                return None
        final_h: list[np.ndarray] = []
        final_c: list[np.ndarray] = []
        for layer in range(self.num_layers):
            per_direction = []
            for direction, suffix in enumerate(self._direction_suffixes(layer)):
                index = layer * self.num_directions + direction
                per_direction += [
                    getattr(self, f"weight_ih{suffix}").data,
                    getattr(self, f"weight_hh{suffix}").data,
                    getattr(getattr(self, f"bias_ih{suffix}", None), "data", None),
                    getattr(getattr(self, f"bias_hh{suffix}", None), "data", None),
                    h0[index],
                    None if c0 is None else c0[index],
                ]
            if self.bidirectional:
                results = bidirectional_forward_only(self.kind, data, per_direction, schedules)
                final_h += results[1:3]
                final_c += results[3:5]
            else:
                results = forward_only(self.kind, data, *per_direction, schedule=schedules[0],
                                       split=split)
                final_h.append(results[1])
                final_c += results[2:3]
            data = results[0]
        h_n = np.stack(final_h, axis=0)
        c_n = np.stack(final_c, axis=0) if c0 is not None else None
        if perm is not None:
            inverse = np.argsort(perm)
            data = np.take(data, inverse, axis=1)
            h_n = np.take(h_n, inverse, axis=1)
            c_n = None if c_n is None else np.take(c_n, inverse, axis=1)
        if self.batch_first:
            data = np.transpose(data, (1, 0, 2))
        output, h_n = Tensor(data), Tensor(h_n)
        return output, (h_n if c_n is None else (h_n, Tensor(c_n)))

    def _recurrent_weight(self, weight_hh: Parameter, training: bool) -> Tensor:
        """W_hh as this call uses it: with ``weight_drop`` p in training, DropConnect
        (AWD-LSTM's weight drop) — W_hh ⊙ M / (1 − p), one fresh Bernoulli(1 − p) mask M per
        forward call, shared by every step and row; the gradient reaches the kept weights
        through the same mask and scale (:class:`rnnlab.engine.ops.Dropout`)."""
        if not (training and self.weight_drop):
            return weight_hh
        mask = drop_connect_mask(self._rng or rnd.generator(), weight_hh.shape,
                                 self.weight_drop, weight_hh.dtype)
        return ops.Dropout.apply(weight_hh, mask)

    def _noise(self, steps: int, batch: int, training: bool) -> StepNoise | None:
        """One direction's recurrent dropout and zoneout for this call
        (:mod:`rnnlab.recurrent.noise`), drawn from the layer's generator."""
        if not (self.zoneout or (training and self.recurrent_dropout)):
            return None
        return draw_noise(steps=steps, batch=batch, hidden=self.output_size,
                          cell=self.hidden_size, dtype=self.dtype,
                          recurrent_dropout=self.recurrent_dropout, zoneout=self.zoneout,
                          cell_state=self.kind.has_cell_state, training=training,
                          rng=self._rng or rnd.generator())


class RNN(RecurrentBase):
    """The plain recurrent unit, LECTURE §2: h(t) = σ(W_i x(t) + W_h h(t−1) + b).

    ``nonlinearity`` is ``"tanh"`` (usual), ``"sigmoid"`` (the lecture's σ) or ``"relu"``.
    """

    kind = KINDS["rnn_tanh"]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        **kwargs: Any,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            **kwargs, kind=find_kind("rnn", nonlinearity=nonlinearity),
        )
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class LSTM(RecurrentBase):
    """Long short-term memory, LECTURE §6. Returns ``(output, (h_n, c_n))``.

    ``proj_size=P`` (0 < P < hidden_size): PyTorch's LSTMP — h(t) = W_hr (o ⊙ tanh c(t)),
    P wide, is the output and the recurrent input (W_hh is (4H, P)); parameters
    ``weight_hr_l{k}[_reverse]`` (P, H) (:mod:`rnnlab.recurrent.lstm_cell`).
    ``layer_norm=True``: the layer-normalised cell (kind ``lstm_ln``,
    :mod:`rnnlab.recurrent.lstm_ln_cell`); not combined with ``proj_size``.
    """

    kind = KINDS["lstm"]

    def __init__(self, *args: Any, proj_size: int = 0, layer_norm: bool = False,
                 **kwargs: Any) -> None:
        if layer_norm and proj_size:
            raise ValueError("layer_norm=True and proj_size cannot be combined")
        kind = find_kind("lstm", layer_norm=True) if layer_norm else KINDS["lstm"]
        super().__init__(*args, **kwargs, kind=kind, proj_size=proj_size)

    def _split_hx(self, hx: Any, batch: int) -> tuple[Tensor, Tensor | None]:
        if hx is None:
            return self._prepare_state(None, batch, "h0"), self._prepare_state(None, batch, "c0")
        if not isinstance(hx, tuple | list) or len(hx) != 2:
            raise ValueError(f"LSTM hx must be a pair (h0, c0), got {_describe(hx)}")
        return self._prepare_state(hx[0], batch, "h0"), self._prepare_state(hx[1], batch, "c0")


class GRU(RecurrentBase):
    """Gated recurrent unit, LECTURE §7, in either form.

    ``form="pytorch"`` (default): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h' = (1 − z) ⊙ n + z ⊙ h — the cuDNN/PyTorch model, weights interchangeable with
    ``torch.nn.GRU``. ``form="lecture"``: h̃ = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn),
    h' = (1 − z) ⊙ h + z ⊙ h̃ — the lecture's model. Same parameters, different models.
    ``layer_norm=True`` (pytorch form): the layer-normalised cell (kind ``gru_ln``,
    :mod:`rnnlab.recurrent.gru_ln_cell`).
    """

    kind = KINDS["gru"]

    def __init__(self, *args: Any, form: str = "pytorch", layer_norm: bool = False,
                 **kwargs: Any) -> None:
        if form not in FORMS:
            raise ValueError(f"GRU form must be one of {FORMS}, got {form!r}")
        if layer_norm and form != "pytorch":
            raise ValueError("layer_norm=True needs the GRU form 'pytorch'")
        options = {"form": form, **({"layer_norm": True} if layer_norm else {})}
        super().__init__(*args, **kwargs, kind=find_kind("gru", **options))
        self.form = form

    def extra_repr(self) -> str:
        return super().extra_repr() + (", form='lecture'" if self.form == "lecture" else "")
