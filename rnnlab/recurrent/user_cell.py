"""A recurrent cell of your own: write its step, get the layer machinery of the built-ins.

A cell is its step — forward and backward over the rows still running at one time step —
and its gate count G; :func:`define_cell` makes it a kind of the cell table
(:class:`UserCellKind`), :func:`register_cell` puts it in ``KINDS`` under its name, and
:class:`Recurrent` (or :func:`~rnnlab.recurrent.make_recurrent`) builds deep,
bidirectional layers of it. Around the step rnnlab runs what it runs for its own cells
(DESIGN.md, "Speed"): one GEMM projects the inputs of all steps, xp = x W_ihᵀ + b_ih + b_hh
(T, B, G·H); the time loop does one product per step and calls the step; ∂L/∂x, ∂L/∂W_ih,
the biases and ∂L/∂W_hh come from one GEMM or sum each after the loop. ``lengths``, both
directions, stacked layers, the batch split over two threads, ``recurrent_dropout``,
``zoneout`` and ``weight_drop``, ``state_dict`` and :func:`rnnlab.gradcheck` all work on it.

The loop, for step k at time t on the n running rows (:mod:`rnnlab.recurrent.noise` for m
and zoneout's blend, both inactive by default)::

    z = xp(t) + (h(t−1) ⊙ m) W_hhᵀ                                    (n, G·H)
    forward(z, p, h_prev, c_prev, h, c)     → h̃(t), c̃(t) into h, c; z keeps what BPTT needs
    h(t), c(t) = zoneout blends of h̃(t), c̃(t) with h(t−1), c(t−1)

and backward, from δh(t) (from above and from step t+1) and δc(t)::

    backward(z, p, h_prev, c_prev, h, c, dh, dc, dh_prev, d_p)
        z       in: what forward left; out: ∂L/∂z
        dh      in: ∂L/∂h̃(t) (read it, or use it as scratch)
        dc      in: ∂L/∂c̃(t); out: ∂L/∂c(t−1)
        dh_prev out: the part of ∂L/∂h(t−1) that does not go through W_hh (set it; zeros
                for a cell whose h(t−1) enters only the product)
        d_p     add ∂L/∂p, summed over the rows
    δh(t−1) = (∂L/∂z W_hh) ⊙ m + dh_prev        ∂L/∂W_hh = Σ_t ∂L/∂z(t)ᵀ (h(t−1) ⊙ m)

Every array is 2-D and C-contiguous: z (n, G·H); h_prev, h, dh, dh_prev (n, H); c_prev, c,
dc (n, H) — (n, 0) for a cell without a cell state; p and d_p (P, H), the cell's own
parameters (``parameters``: name → rows, each (rows, H) per layer and direction, stacked in
that order; initialised to 0). ``h`` and ``c`` in backward are the cell's own h̃(t), c̃(t).

Given only NumPy steps, the loop runs in Python with NumPy's per-step products. Given
Numba twins of the steps (``compiled_forward``, ``compiled_backward``: the same functions
under ``numba.njit(nogil=True)``), they run on the compute path's other two paths
(:mod:`rnnlab.recurrent.compute_path`): a Python loop calling them, and — with MKL — one
compiled loop (:mod:`rnnlab.recurrent.fused.user_loops`), as fast as the built-in cells.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from rnnlab.recurrent import compute_path
from rnnlab.recurrent.cell_table import KINDS, CellKind, ExtraParameter
from rnnlab.recurrent.compute_path import Kernels
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.layers import LSTM, RecurrentBase
from rnnlab.recurrent.noise import NO_NOISE, StepNoise, blend_into, finish_dh_, split_
from rnnlab.recurrent.parallel import run_each
from rnnlab.recurrent.schedule import Schedule, row_groups
from rnnlab.recurrent.step_product import StepProduct, pack
from rnnlab.recurrent.time_order import previous_states_by_time, zero_padding_

FAMILY = "user"
_RESERVED = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


@dataclass(frozen=True, eq=False)
class UserCellKind(CellKind):
    """A kind of the cell table made from a user's step functions (:func:`define_cell`).
    ``numpy_steps`` and ``compiled_steps`` hold ``forward`` and ``backward``."""

    numpy_steps: SimpleNamespace | None = None
    compiled_steps: SimpleNamespace | None = None

    def kernels(self, path: str | None = None) -> Kernels:
        """The NumPy steps on the "numpy" path, or always without Numba twins; the twins
        from a Python loop on "numba"; with MKL ("numba+mkl") the compiled loop."""
        path = compute_path.current() if path is None else path
        if path not in compute_path.PATHS:
            raise ValueError(f"compute path must be one of {compute_path.PATHS}, got {path!r}")
        if self.compiled_steps is None or path == compute_path.NUMPY:
            return Kernels(compute_path.NUMPY, self.numpy_steps, None)
        if path == compute_path.NUMBA:
            return Kernels(path, self.compiled_steps, None)
        if compute_path.current() != compute_path.NUMBA_MKL:
            raise ValueError("the numba+mkl path needs numba and MKL, and one is missing or "
                             "disabled")
        from rnnlab.recurrent.fused import user_loops  # imports numba

        steps = self.compiled_steps
        return Kernels(path, steps, user_loops.build(steps.forward, steps.backward))

    def forward(self, xp, weights, h0, c0, schedule, split, kernels, noise=None):
        p = _stacked(self, weights, xp.dtype, h0.shape[1])
        return forward(xp, weights["weight_hh"], p, h0, c0, schedule, split, kernels=kernels,
                       noise=noise)

    def backward(self, cache, d_output, d_hn, d_cn, weights, schedule):
        d_xp, d_w_hh, d_p, d_h0, d_c0 = backward(cache, d_output, d_hn, d_cn,
                                                 weights["weight_hh"], schedule)
        grads = {"weight_hh": d_w_hh}
        start = 0
        for extra in self.extra_parameters:
            rows = weights[extra.stem].shape[0]
            grads[extra.stem] = d_p[start : start + rows]
            start += rows
        return d_xp, grads, d_h0, d_c0 if self.has_cell_state else None


def _stacked(kind: UserCellKind, weights: Mapping[str, Any], dtype: np.dtype,
             hidden: int) -> np.ndarray:
    """The cell's parameters of one direction as one (P, H) array, in declaration order."""
    blocks = [weights[extra.stem] for extra in kind.extra_parameters]
    return np.ascontiguousarray(np.concatenate(blocks, axis=0) if blocks
                                else np.empty((0, hidden), dtype))


def define_cell(name: str, *, gates: int, forward: Callable, backward: Callable,
                cell_state: bool = False, parameters: Mapping[str, int] | None = None,
                compiled_forward: Callable | None = None,
                compiled_backward: Callable | None = None) -> UserCellKind:
    """A kind of recurrent cell from its step (module docstring for the contract):
    ``gates`` blocks of H in W_ih and W_hh, ``forward`` / ``backward`` over the running
    rows as NumPy functions, optionally their Numba twins, ``cell_state`` when it carries
    a c beside h (hx is then a pair, like the LSTM's), ``parameters`` its own per-unit
    parameters (name → rows). Use it with :class:`Recurrent`; :func:`register_cell` makes
    it known by name."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a cell's name must be an identifier, got {name!r}")
    if name in KINDS and not isinstance(KINDS[name], UserCellKind):
        raise ValueError(f"{name!r} is a built-in cell of the cell table")
    if not isinstance(gates, int) or gates < 1:
        raise ValueError(f"gates must be a positive integer, got {gates!r}")
    if not (callable(forward) and callable(backward)):
        raise ValueError("forward and backward must be functions")
    if (compiled_forward is None) != (compiled_backward is None):
        raise ValueError("give both compiled_forward and compiled_backward, or neither")
    extras = []
    for stem, rows in (parameters or {}).items():
        if not stem.isidentifier() or stem in _RESERVED:
            raise ValueError(f"parameter name {stem!r} is not an identifier or is taken")
        if not isinstance(rows, int) or rows < 1:
            raise ValueError(f"parameter {stem!r} needs a positive number of rows, got {rows!r}")
        extras.append(ExtraParameter(stem, lambda gates_, hidden, rows=rows: (rows, hidden),
                                     0.0))
    compiled = None
    if compiled_forward is not None:
        compiled = SimpleNamespace(forward=compiled_forward, backward=compiled_backward)
    return UserCellKind(
        name=name, family=FAMILY, gates=gates, has_cell_state=bool(cell_state), options={},
        reference=sys.modules[__name__], compiled="rnnlab.recurrent.fused.user_loops",
        torch_module=None, torch_cell=None, onnx_op=None, extra_parameters=tuple(extras),
        numpy_steps=SimpleNamespace(forward=forward, backward=backward),
        compiled_steps=compiled,
    )


def register_cell(kind: UserCellKind) -> UserCellKind:
    """Put ``kind`` in the cell table under its name (replacing a user cell of that name),
    so that ``make_recurrent(name, …)`` builds it."""
    if not isinstance(kind, UserCellKind):
        raise ValueError("only cells made by define_cell can be registered")
    KINDS[kind.name] = kind
    return kind


def unregister_cell(name: str) -> None:
    """Take the user cell ``name`` out of the cell table."""
    if not isinstance(KINDS.get(name), UserCellKind):
        raise ValueError(f"{name!r} is not a registered user cell")
    del KINDS[name]


class Recurrent(RecurrentBase):
    """Deep, bidirectional layers of any kind of the cell table — a user's cell
    (:func:`define_cell`) or a registered name — with the options of ``RNN``/``LSTM``/
    ``GRU`` (``num_layers``, ``bidirectional``, ``dropout``, ``recurrent_dropout``,
    ``zoneout``, ``weight_drop``, …). With a cell state, hx and the final state are pairs
    (h, c), as the LSTM's; parameters are ``weight_ih_l{k}``…, plus the cell's own
    ``{name}_l{k}[_reverse]``."""

    def __init__(self, cell: CellKind | str, input_size: int, hidden_size: int,
                 num_layers: int = 1, **options: Any) -> None:
        kind = KINDS.get(cell) if isinstance(cell, str) else cell
        if not isinstance(kind, CellKind):
            raise ValueError(f"cell must be a kind of the cell table or its name, got {cell!r}")
        super().__init__(input_size, hidden_size, num_layers, **options, kind=kind)

    def _split_hx(self, hx: Any, batch: int) -> tuple:
        if self.kind.has_cell_state:
            return LSTM._split_hx(self, hx, batch)
        return super()._split_hx(hx, batch)

    def extra_repr(self) -> str:
        return f"{self.kind.name}, " + super().extra_repr()


# ------------------------------------------------------------------ the time loops
def forward(xp: np.ndarray, w_hh: np.ndarray, p: np.ndarray, h0: np.ndarray,
            c0: np.ndarray | None, schedule: Schedule, split: int = 0, *, kernels: Kernels,
            noise: StepNoise | None = None) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Run a user's cell over ``xp`` (T, B, G·H), which becomes the store of what its steps
    keep: states S and C (K+1, B, H) in visit order (C None without a cell state) and the
    backward's cache. With zoneout the cell's own h̃(t), c̃(t) are kept apart (S_new,
    C_new) for BPTT."""
    steps, loops = kernels.steps, kernels.loops
    noise = noise or NO_NOISE
    K, B, H = schedule.steps, h0.shape[0], h0.shape[1]
    dtype = xp.dtype
    S = np.empty((K + 1, B, H), dtype)
    S[0] = h0
    C = np.empty((K + 1, B, H if c0 is not None else 0), dtype)
    if c0 is not None:
        C[0] = c0
    S_new = S if noise.zoneout_h is None else np.empty_like(S)
    C_new = C if noise.zoneout_c is None else np.empty_like(C)
    hm = np.empty((B, H) if noise.h_mask is not None else (0, H), dtype)  # h(t−1) ⊙ m
    cache = {"S": S, "C": C, "S_new": S_new, "C_new": C_new, "gates": xp, "p": p,
             "split": 0, "kernels": kernels, "noise": noise, "cell_state": c0 is not None}
    w_packed = pack(w_hh.T, B) if loops is not None else None  # packed transposed, no copy
    if w_packed is not None:
        times = schedule.arrays[0]
        mask, zone_h, _ = noise.compiled(dtype, H)
        zone_c = _or_empty(noise.zoneout_c, (0, 1, C.shape[2]), dtype)
        run_each(lambda g: loops.forward_sequence(xp, w_packed, p, S, C, S_new, C_new, hm, mask,
                                                  zone_h, zone_c, times, g.sizes, g.start,
                                                  g.stop), row_groups(schedule, split))
        return S, (C if c0 is not None else None), {**cache, "split": split}
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    hh = np.empty_like(xp[0])
    recurrent = StepProduct(S if mask is None else hm[None], np.ascontiguousarray(w_hh.T), hh)
    for k, (t, n) in enumerate(zip(schedule.times, schedule.sizes, strict=True)):
        if mask is None:
            recurrent(k, n)
        else:
            np.multiply(S[k, :n], mask[:n], out=hm[:n])
            recurrent(0, n)
        z = xp[t, :n]
        z += hh[:n]
        steps.forward(z, p, S[k, :n], C[k, :n], S_new[k + 1, :n], C_new[k + 1, :n])
        if zone_h is not None:
            blend_into(S[k + 1, :n], S_new[k + 1, :n], S[k, :n], zone_h[t, :n])
        if zone_c is not None:
            blend_into(C[k + 1, :n], C_new[k + 1, :n], C[k, :n], zone_c[t, :n])
        if n < B:
            S[k + 1, n:] = S[k, n:]
            C[k + 1, n:] = C[k, n:]
    return S, (C if c0 is not None else None), cache


def _or_empty(array: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.empty(shape, dtype) if array is None else array


def backward(cache: dict, d_output: np.ndarray, d_hn: np.ndarray, d_cn: np.ndarray | None,
             w_hh: np.ndarray, schedule: Schedule) -> tuple:
    """BPTT of a user's cell: ∂L/∂xp (T, B, G·H) in time order (zero on padding, in the
    gate store), ∂L/∂W_hh, ∂L/∂p, ∂L/∂h0, ∂L/∂c0 (None without a cell state)."""
    steps, loops = cache["kernels"].steps, cache["kernels"].loops
    S, C, S_new, C_new = cache["S"], cache["C"], cache["S_new"], cache["C_new"]
    gates, p, noise = cache["gates"], cache["p"], cache["noise"]
    mask, zone_h, zone_c = noise.h_mask, noise.zoneout_h, noise.zoneout_c
    B, H = d_hn.shape
    dtype = gates.dtype
    dh = d_hn.copy()
    dc = d_cn.copy() if cache["cell_state"] else np.empty((B, 0), dtype)
    direct = np.empty((B, H), dtype)  # the part of δh(t−1) past W_hh
    carry_h = np.empty((B, H) if zone_h is not None else (0, H), dtype)
    carry_c = np.empty((B, dc.shape[1]) if zone_c is not None else (0, dc.shape[1]), dtype)
    groups = row_groups(schedule, cache["split"])
    d_ps = np.zeros((len(groups), *p.shape), dtype)  # one accumulator per thread
    w_packed = pack(w_hh, B) if loops is not None else None
    if w_packed is not None:
        times = schedule.arrays[0]
        arrays = (*noise.compiled(dtype, H)[:2],
                  _or_empty(zone_c, (0, 1, dc.shape[1]), dtype))
        run_each(lambda item: loops.backward_sequence(
            gates, w_packed, p, d_ps[item[0]], S, C, S_new, C_new, dh, dc, direct, d_output,
            *arrays, carry_h, carry_c, times, item[1].sizes, item[1].start),
            list(enumerate(groups)))
    else:
        recurrent = StepProduct(gates, w_hh, dh)  # δh(t−1) = ∂L/∂z(t) W_hh
        for k in range(schedule.steps - 1, -1, -1):
            t, n = schedule.times[k], schedule.sizes[k]
            dh[:n] += d_output[t, :n]
            if zone_h is not None:
                split_(dh[:n], zone_h[t, :n], carry_h[:n])
            if zone_c is not None:
                split_(dc[:n], zone_c[t, :n], carry_c[:n])
            steps.backward(gates[t, :n], p, S[k, :n], C[k, :n], S_new[k + 1, :n],
                           C_new[k + 1, :n], dh[:n], dc[:n], direct[:n], d_ps[0])
            if zone_c is not None:
                dc[:n] += carry_c[:n]
            recurrent(t, n)
            finish_dh_(dh[:n], None if mask is None else mask[:n],
                       None if zone_h is None else carry_h[:n])
            dh[:n] += direct[:n]
    zero_padding_(gates, schedule)
    T, _, GH = gates.shape
    h_prev = previous_states_by_time(S, schedule, T)
    if mask is not None:
        h_prev = h_prev * mask  # what the product read
    d_w_hh = matmul(gates.reshape(T * B, GH).T, h_prev.reshape(T * B, H),
                    split=bool(cache["split"]))
    return gates, d_w_hh, d_ps.sum(axis=0), dh, (dc if cache["cell_state"] else None)


def step_kernel(function: Callable) -> Callable:
    """Compile a step function the way the built-in step kernels are compiled (Numba:
    nogil, so the two threads run at once; IEEE division; fused multiply-adds) — the
    decorator for ``compiled_forward`` / ``compiled_backward``. Needs numba. Inside, the
    built-in kernels' scalar functions are at hand: ``rnnlab.engine.kernels.scalar``'s
    ``tanh``, ``sigmoid`` (float32: a fast rational tanh) and typed constants ``ONE``,
    ``HALF``, ``ZERO`` (a literal 1.0 would turn float32 arithmetic into float64)."""
    from numba import njit

    return njit(nogil=True, error_model="numpy", fastmath={"contract"})(function)
