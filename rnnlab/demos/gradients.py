"""LECTURE §5: vanishing and exploding gradients, measured step by step.

The task's answer depends on the first input only: read T random symbols, then name the
first one. The loss L is taken at the last step, so ∂L/∂h_t at distance d = T−1−t tells how
much step t can still learn from it. Backpropagation through time (LECTURE §4) multiplies
one Jacobian per step::

    ∂L/∂h_t = ∂L/∂h_T · Π_{k=t+1..T} ∂h_k/∂h_{k−1},   RNN: ∂h_k/∂h_{k−1} = diag(σ'(a_k)) W_h

so the norm shrinks (σ' ≤ 1 for tanh, ≤ ¼ for the sigmoid, small weights) or grows (large
weights) geometrically in d. The LSTM's cell path multiplies by the forget gate instead
(LECTURE §6), the GRU's by 1 − z (LECTURE §7).

**How ∂L/∂h_t is read.** The sequence is run step by step with the one-step cells, and a zero
"probe" tensor p_t is added to each step's state, h_t ← h_t + p_t. Then ∂L/∂p_t = ∂L/∂h_t,
and the engine's ordinary backward fills ``p_t.grad`` — nothing in the kernels changes. For
the LSTM the probe sits on h_t (the cell state c_t is a separate path). L sums the
sequences' losses so that each row of ``p_t.grad`` is that sequence's own gradient; the
figures show the mean of the per-sequence norms ‖∂L_b/∂h_t‖.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

import rnnlab
from rnnlab.demos import plotting
from rnnlab.demos.common import DemoReport, data_rng, start, steps_bar
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.nn import Linear
from rnnlab.optim import SGD, Adam, Optimizer, clip_grad_norm, global_grad_norm
from rnnlab.recurrent.cell_table import KINDS as CELL_KINDS
from rnnlab.recurrent.cells import GRUCell, LSTMCell, RNNCell
from rnnlab.recurrent.factory import make_recurrent, make_step_cell

if TYPE_CHECKING:
    from matplotlib.axes import Axes

KINDS = {"rnn-tanh": CELL_KINDS["rnn_tanh"], "rnn-sigmoid": CELL_KINDS["rnn_sigmoid"],
         "gru": CELL_KINDS["gru"], "lstm": CELL_KINDS["lstm"]}
"""The demo's names of the cells it compares, and their kinds in the cell table."""


@dataclass
class GradientsConfig:
    """Settings of ``rnnlab demo gradients``."""

    symbols: int = 4
    hidden_size: int = 32
    length: int = 50  # T of the measured sequences: distances 0 … T−1
    train_length: int = 10  # T of the training sequences
    train_steps: int = 1500
    batch_size: int = 32
    lr: float = 0.003
    probe_count: int = 64  # sequences averaged in each measurement
    gains: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)  # recurrent weight scales compared
    explode_gain: float = 2.0  # W_h ~ gain · N(0, 1/H) for the clipping experiment
    explode_length: int = 20
    explode_steps: int = 400
    explode_lr: float = 0.1
    clip_norm: float = 1.0
    seed: int = 0
    out: str = "runs/demo-gradients"
    progress: bool = True


def recall_batch(
    rng: np.random.Generator, count: int, length: int, symbols: int
) -> tuple[np.ndarray, np.ndarray]:
    """``length`` random symbols per sequence, one-hot (T, B, symbols); the target is the
    first symbol (B,), asked for after the last one."""
    ids = rng.integers(0, symbols, size=(length, count))
    return np.eye(symbols, dtype=np.float32)[ids], ids[0]


class RecallModel(Module):
    """One recurrent layer and a softmax over the symbols, read at the last step."""

    def __init__(self, kind: str, symbols: int, hidden_size: int) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {tuple(KINDS)}, got {kind!r}")
        self.kind = kind
        self.recurrent = make_recurrent(KINDS[kind], symbols, hidden_size)
        self.head = Linear(hidden_size, symbols)

    def forward(self, inputs: np.ndarray) -> Tensor:
        _, final = self.recurrent(inputs)
        h_last = final[0] if isinstance(final, tuple) else final  # LSTM: (h_n, c_n)
        return self.head(h_last[-1])

    def step_cell(self) -> RNNCell | GRUCell | LSTMCell:
        """A one-step cell holding the layer's weights (``weight_ih_l0`` → ``weight_ih``)."""
        layer = self.recurrent
        sizes = (layer.input_size, layer.hidden_size)
        scratch = np.random.default_rng(0)  # initial values are overwritten below
        cell = make_step_cell(layer.kind, *sizes, rng=scratch)
        cell.load_state_dict({name.removesuffix("_l0"): value
                              for name, value in layer.state_dict().items()})
        return cell.astype(layer.dtype)


def probed_loss(
    cell: RNNCell | GRUCell | LSTMCell, head: Linear, inputs: np.ndarray, targets: np.ndarray,
    probes: list[np.ndarray] | None = None,
) -> tuple[Tensor, list[Tensor]]:
    """Run the cell step by step with h_t ← h_t + p_t; return Σ_b L_b and the probes p_t.

    ``probes`` gives the p_t values (default zeros); after ``loss.backward()`` each
    ``p_t.grad`` is ∂L/∂h_t (B, H).
    """
    steps, batch = inputs.shape[:2]
    dtype = cell.dtype
    h = Tensor(np.zeros((batch, cell.hidden_size), dtype))
    c = Tensor(np.zeros((batch, cell.hidden_size), dtype))
    probe_tensors = []
    for t in range(steps):
        if isinstance(cell, LSTMCell):
            h, c = cell(inputs[t], (h, c))
        else:
            h = cell(inputs[t], h)
        value = np.zeros(h.shape, dtype) if probes is None else probes[t].astype(dtype)
        probe = Tensor(value, requires_grad=True)
        probe_tensors.append(probe)
        h = h + probe
    loss = ops.cross_entropy(head(h), targets, reduction="sum")
    return loss, probe_tensors


def float64_step_parts(model: RecallModel) -> tuple[RNNCell | GRUCell | LSTMCell, Linear]:
    """The model as a one-step cell and a head, both in float64, so that norms down to
    ~1e-300 do not underflow in the measurement."""
    head = Linear(model.head.in_features, model.head.out_features, dtype=np.float64,
                  rng=np.random.default_rng(0))
    head.load_state_dict(model.head.state_dict())
    return model.step_cell().astype(np.float64), head


def state_gradient_norms(
    model: RecallModel, inputs: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Mean over sequences of ‖∂L_b/∂h_t‖, indexed by distance d = T−1−t (d = 0: the last
    step, where the loss is taken)."""
    cell, head = float64_step_parts(model)
    loss, probes = probed_loss(cell, head, inputs, targets)
    loss.backward()
    norms = np.array([np.linalg.norm(p.grad, axis=1).mean() for p in probes])
    return norms[::-1]


def train_recall(
    model: RecallModel, optimizer: Optimizer, steps: int, length: int, config: GradientsConfig,
    clip_norm: float, rng: np.random.Generator, label: str,
) -> tuple[list[float], list[float]]:
    """Train on the recall task; returns the loss and the gradient norm ‖∇θL‖ of each step.

    ``clip_norm`` > 0 rescales the gradient to at most that norm (clip_grad_norm); 0 leaves
    it alone. A non-finite loss or gradient ends the run early (recorded as such).
    """
    params = model.parameters()
    losses, grad_norms = [], []
    with steps_bar(steps, label, config.progress) as bar:
        for _ in range(steps):
            inputs, targets = recall_batch(rng, config.batch_size, length, config.symbols)
            loss = ops.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            norm = global_grad_norm(params)
            losses.append(loss.item())
            grad_norms.append(norm)
            if not (np.isfinite(norm) and np.isfinite(losses[-1])):
                break
            if clip_norm > 0:
                clip_grad_norm(params, clip_norm)
            optimizer.step()
            bar.set_postfix(loss=f"{losses[-1]:.3f}", grad=f"{norm:.2g}", refresh=False)
            bar.update()
    return losses, grad_norms


def recall_accuracy(model: RecallModel, length: int, config: GradientsConfig) -> float:
    inputs, targets = recall_batch(data_rng(config.seed, 7), 512, length, config.symbols)
    with no_grad():
        return float((model(inputs).data.argmax(axis=-1) == targets).mean())


def decay_per_step(norms: np.ndarray) -> float:
    """The geometric-mean factor by which the norm changes per step of distance:
    (‖∂L/∂h‖ at d = T−1 / ‖∂L/∂h‖ at d = 0)^(1/(T−1))."""
    first, last = float(norms[0]), float(norms[-1])
    if first <= 0 or last <= 0:
        return 0.0
    return (last / first) ** (1.0 / (len(norms) - 1))


def with_recurrent_gain(model: RecallModel, gain: float, rng: np.random.Generator) -> None:
    """W_h ← gain · N(0, 1/H): gain > 1 makes the Jacobians expand, < 1 contract."""
    w = model.recurrent.weight_hh_l0
    hidden = w.shape[1]
    w.data = (rng.standard_normal(w.shape) * gain / np.sqrt(hidden)).astype(w.data.dtype)


def plot_distance_norms(ax: Axes, curves: dict, title: str) -> None:
    for name, norms in curves.items():
        shown = np.where(norms > 0, norms, np.nan)  # log axis: underflowed zeros are not drawn
        ax.plot(np.arange(len(norms)), shown, color=plotting.colour(name), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("distance d = T−1−t from the loss step")
    ax.set_ylabel("mean ‖∂L/∂h_t‖")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def measure_cells(config: GradientsConfig, report: DemoReport) -> dict:
    """Train each kind, measuring ∂L/∂h_t before and after; plot both."""
    probe_inputs, probe_targets = recall_batch(data_rng(config.seed, 2), config.probe_count,
                                               config.length, config.symbols)
    results = {}
    for kind in KINDS:
        rnnlab.seed(config.seed)
        model = RecallModel(kind, config.symbols, config.hidden_size)
        initial = state_gradient_norms(model, probe_inputs, probe_targets)
        began = time.perf_counter()
        losses, _ = train_recall(model, Adam(model.parameters(), lr=config.lr),
                                 config.train_steps, config.train_length, config, 0.0,
                                 data_rng(config.seed, 1), f"gradients {kind}")
        results[kind] = {
            "initial": initial,
            "trained": state_gradient_norms(model, probe_inputs, probe_targets),
            "seconds": time.perf_counter() - began,
            "final_loss": float(np.mean(losses[-50:])),
            "accuracy_train_length": recall_accuracy(model, config.train_length, config),
            "accuracy_length": recall_accuracy(model, config.length, config),
        }
    fig, axes = plotting.figure(columns=2)
    plot_distance_norms(axes[0], {k: r["initial"] for k, r in results.items()},
                        "at initialisation")
    plot_distance_norms(axes[1], {k: r["trained"] for k, r in results.items()},
                        f"after {config.train_steps} Adam steps on T = {config.train_length}")
    report.files.append(plotting.save(fig, report.out_dir / "gradient_norms.png"))
    return results


def explode(config: GradientsConfig, report: DemoReport) -> dict:
    """RNN (tanh) with large recurrent weights: norms by distance, then training ±clipping."""
    probe_inputs, probe_targets = recall_batch(data_rng(config.seed, 2), config.probe_count,
                                               config.length, config.symbols)
    by_gain = {}
    for gain in config.gains:
        rnnlab.seed(config.seed)
        model = RecallModel("rnn-tanh", config.symbols, config.hidden_size)
        with_recurrent_gain(model, gain, data_rng(config.seed, 3))
        by_gain[f"gain {gain:g}"] = state_gradient_norms(model, probe_inputs, probe_targets)
    runs = {}
    for clip in (0.0, config.clip_norm):
        rnnlab.seed(config.seed)
        model = RecallModel("rnn-tanh", config.symbols, config.hidden_size)
        with_recurrent_gain(model, config.explode_gain, data_rng(config.seed, 3))
        name = f"clip ‖g‖ ≤ {clip:g}" if clip else "no clipping"
        losses, norms = train_recall(
            model, SGD(model.parameters(), lr=config.explode_lr), config.explode_steps,
            config.explode_length, config, clip, data_rng(config.seed, 4), f"explode, {name}",
        )
        runs[name] = {"losses": losses, "grad_norms": norms,
                      "accuracy": recall_accuracy(model, config.explode_length, config)}

    fig, axes = plotting.figure(columns=3, width=4.3)
    gain_colours = plotting.sequential_colours(len(by_gain))
    for (name, norms), colour in zip(by_gain.items(), gain_colours, strict=True):
        axes[0].plot(np.where(norms > 0, norms, np.nan), color=colour, label=name)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("distance d = T−1−t from the loss step")
    axes[0].set_ylabel("mean ‖∂L/∂h_t‖")
    axes[0].set_title("RNN (tanh), W_h ~ gain·N(0, 1/H)", fontsize=10)
    axes[0].legend(fontsize=8)
    for (name, run), colour in zip(runs.items(), ("tab:red", "tab:blue"), strict=True):
        axes[1].plot(run["losses"], color=colour, lw=0.8, label=name)
        axes[2].plot(run["grad_norms"], color=colour, lw=0.8, label=name)
    axes[1].set_ylabel("training loss")
    axes[1].set_title(f"SGD lr {config.explode_lr:g}, gain {config.explode_gain:g}, "
                      f"T = {config.explode_length}", fontsize=10)
    axes[2].set_yscale("log")
    axes[2].set_ylabel("‖∇θ L‖ before clipping")
    for ax in axes:
        ax.grid(alpha=0.3)
    for ax in axes[1:]:
        ax.set_xlabel("training step")
        ax.legend(fontsize=8)
    report.files.append(plotting.save(fig, report.out_dir / "exploding.png"))
    return {"by_gain": by_gain, "runs": runs}


def run_gradients(config: GradientsConfig) -> DemoReport:
    """Measure ‖∂L/∂h_t‖ by distance for RNN (tanh, sigmoid), GRU and LSTM, before and
    after training, then show exploding gradients and what clipping does about them."""
    if config.train_length < 2 or config.length < 2:
        raise ValueError("sequences need at least 2 steps")
    report = start(config.out, config.seed)
    report.say(f"task: read {config.length} random symbols (of {config.symbols}), then name "
               "the first; loss at the last step")
    cells = measure_cells(config, report)
    d = config.length - 1
    report.say("")
    report.say(f"mean ‖∂L/∂h_t‖ at distance 0 and {d}, and the factor per step "
               f"(trained {config.train_steps} Adam steps on T = {config.train_length}):")
    report.say(f"  {'cell':<12}{'init d=0':>10}{f'd={d}':>10}{'×/step':>8}"
               f"{'trained d=0':>13}{f'd={d}':>10}{'×/step':>8}"
               f"{f'recall T={config.train_length}':>12}{f'T={config.length}':>8}")
    for kind, r in cells.items():
        report.say(
            f"  {kind:<12}{r['initial'][0]:>10.2e}{r['initial'][-1]:>10.2e}"
            f"{decay_per_step(r['initial']):>8.3f}{r['trained'][0]:>13.2e}"
            f"{r['trained'][-1]:>10.2e}{decay_per_step(r['trained']):>8.3f}"
            f"{r['accuracy_train_length']:>12.1%}{r['accuracy_length']:>8.1%}"
        )
    exploding = explode(config, report)
    report.say("")
    report.say(f"RNN (tanh) with W_h ~ gain·N(0, 1/H): mean ‖∂L/∂h_t‖ at distance {d}")
    report.say("  " + ", ".join(f"{name}: {norms[-1]:.2e}"
                                for name, norms in exploding["by_gain"].items()))
    report.say(f"training it (gain {config.explode_gain:g}, T = {config.explode_length}, SGD "
               f"lr {config.explode_lr:g}, {config.explode_steps} steps):")
    for name, run in exploding["runs"].items():
        losses = run["losses"]
        ended = "" if len(losses) == config.explode_steps else (
            f", stopped at step {len(losses)}: non-finite gradient")
        report.say(f"  {name:<16} largest ‖∇θL‖ {max(run['grad_norms']):9.3g}, loss over the "
                   f"last 50 steps {np.mean(losses[-50:]):.3f}, recall accuracy "
                   f"{run['accuracy']:.1%}{ended}")
    report.metrics = {
        "cells": {k: {"initial_d0": float(r["initial"][0]), "initial_dmax": float(r["initial"][-1]),
                      "initial_factor": decay_per_step(r["initial"]),
                      "trained_d0": float(r["trained"][0]), "trained_dmax": float(r["trained"][-1]),
                      "trained_factor": decay_per_step(r["trained"]),
                      "accuracy_train_length": r["accuracy_train_length"],
                      "accuracy_length": r["accuracy_length"]}
                  for k, r in cells.items()},
        "by_gain_dmax": {k: float(v[-1]) for k, v in exploding["by_gain"].items()},
        "clipping": {k: {"max_grad_norm": float(max(r["grad_norms"])),
                         "final_loss": float(np.mean(r["losses"][-50:])),
                         "accuracy": r["accuracy"], "steps_run": len(r["losses"])}
                     for k, r in exploding["runs"].items()},
    }
    report.save_metrics()
    return report
