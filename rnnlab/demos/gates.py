"""LECTURE §6: what an LSTM's gates do, read off a trained model.

The gates are not outputs of the layer, so they are recomputed here from the layer's
weights with a plain NumPy forward — the same equations as the kernel, in PyTorch's gate
order i, f, g, o (g is the lecture's C̃), layer by layer (LECTURE §8)::

    z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh = [z_i; z_f; z_g; z_o]
    i_t = σ(z_i)   f_t = σ(z_f)   C̃_t = tanh(z_g)   o_t = σ(z_o)
    C_t = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t              h_t = o_t ⊙ tanh(C_t)

where x_t is the input for layer 1 and h_t of the layer below otherwise. The recomputed
top-layer h_t is checked against the layer's own output, so the figures show the model
that was trained, not an approximation of it. The kernels are left untouched.

A gate value below 0.1 or above 0.9 is *saturated*: the gate acts as a switch (drop/keep,
block/pass) rather than a dial; the share of saturated values is reported per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnlab.demos import plotting
from rnnlab.demos.addition import (
    AdditionConfig,
    AdditionModel,
    accuracy_by_length,
    load_addition_model,
    predict,
    train_addition,
)
from rnnlab.demos.addition_data import make_batch
from rnnlab.demos.common import DemoReport, data_rng, start
from rnnlab.engine.ops import sigmoid_array

GATES = ("input", "forget", "output")
LOW, HIGH = 0.1, 0.9


@dataclass
class GatesConfig:
    """Settings of ``rnnlab demo gates``; without ``model`` an addition LSTM is trained."""

    model: str | None = None  # a model directory written by ``rnnlab demo addition``
    base: int = 2
    hidden_size: int = 16
    num_layers: int = 2
    steps: int = 800
    digits: int = 24  # digits per number in the sequences examined
    sample_count: int = 200  # sequences for the saturation statistics
    seed: int = 0
    out: str = "runs/demo-gates"
    progress: bool = True


def lstm_trace(weights: dict[str, np.ndarray], inputs: np.ndarray, num_layers: int,
               ) -> list[dict[str, np.ndarray]]:
    """Run a (unidirectional) LSTM stack in NumPy and keep everything (module docstring).

    ``weights`` uses PyTorch's names (``weight_ih_l0``, …); ``inputs`` is (T, B, F).
    Returns one dict per layer with ``input``, ``forget``, ``candidate``, ``output`` (the
    gates), ``cell`` and ``hidden``, each (T, B, H), in float64.
    """
    layer_input = inputs.astype(np.float64)
    traces = []
    for layer in range(num_layers):
        w_ih = weights[f"weight_ih_l{layer}"].astype(np.float64)
        w_hh = weights[f"weight_hh_l{layer}"].astype(np.float64)
        bias = weights[f"bias_ih_l{layer}"].astype(np.float64) + weights[
            f"bias_hh_l{layer}"].astype(np.float64)
        steps, batch = layer_input.shape[:2]
        hidden = w_hh.shape[1]
        trace = {name: np.zeros((steps, batch, hidden))
                 for name in ("input", "forget", "candidate", "output", "cell", "hidden")}
        h = np.zeros((batch, hidden))
        c = np.zeros((batch, hidden))
        projected = layer_input @ w_ih.T + bias  # W_ih x_t + b for every step at once
        for t in range(steps):
            z = projected[t] + h @ w_hh.T
            z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
            i, f, o = sigmoid_array(z_i), sigmoid_array(z_f), sigmoid_array(z_o)
            g = np.tanh(z_g)
            c = f * c + i * g
            h = o * np.tanh(c)
            for name, value in (("input", i), ("forget", f), ("candidate", g), ("output", o),
                                ("cell", c), ("hidden", h)):
                trace[name][t] = value
        traces.append(trace)
        layer_input = trace["hidden"]
    return traces


def saturation(values: np.ndarray) -> tuple[float, float]:
    """Shares of values below 0.1 and above 0.9."""
    return float((values < LOW).mean()), float((values > HIGH).mean())


def get_model(config: GatesConfig, report: DemoReport) -> AdditionModel:
    if config.model:
        model = load_addition_model(config.model)
        if model.cell != "lstm":
            raise ValueError(f"{config.model} holds a {model.cell.upper()}, not an LSTM")
        report.say(f"model: {config.model} (LSTM, {model.num_layers} layer(s), "
                   f"{model.hidden_size} units, base {model.base})")
        return model
    model = AdditionModel("lstm", config.base, config.hidden_size, config.num_layers)
    addition = AdditionConfig(base=config.base, cell="lstm", hidden_size=config.hidden_size,
                              num_layers=config.num_layers, steps=config.steps,
                              seed=config.seed, progress=config.progress)
    train_addition(model, addition)
    report.files.append(model.save(report.out_dir / "model-lstm"))
    report.say(f"model: LSTM addition unit trained here ({config.num_layers} layer(s), "
               f"{config.hidden_size} units, base {config.base}, {config.steps} steps)")
    return model


def plot_heatmaps(traces: list[dict], carries: np.ndarray, path: Path) -> Path:
    """Columns: input, forget, output gate, cell state; rows: the carry of each step, then
    one row per layer — units × time for the first sequence."""
    panels = (*GATES, "cell")
    fig, axes = plotting.figure(columns=len(panels), rows=len(traces) + 1, width=3.6,
                                height=2.6, height_ratios=[0.12] + [1.0] * len(traces))
    steps = carries.shape[0]
    ticks = range(0, steps, 4)
    for column in range(len(panels)):
        strip = axes[column]
        image = strip.imshow(carries[None, :, 0], aspect="auto", cmap="Greys", vmin=0,
                             vmax=1.5, interpolation="nearest")
        fig.colorbar(image, ax=strip, fraction=0.05, pad=0.02).ax.set_visible(False)  # align
        strip.set_yticks([0], ["carry"], fontsize=7)
        strip.set_xticks([])
        strip.set_title(("cell state C_t" if panels[column] == "cell" else
                         f"{panels[column]} gate") + " (dark strip: carry 1)", fontsize=9)
    for layer, trace in enumerate(traces):
        for column, name in enumerate(panels):
            ax = axes[(layer + 1) * len(panels) + column]
            values = trace[name][:, 0].T  # (H, T) of the first sequence
            if name == "cell":
                bound = float(np.abs(values).max()) or 1.0
                style = {"cmap": "RdBu_r", "vmin": -bound, "vmax": bound}
            else:
                style = {"cmap": "viridis", "vmin": 0.0, "vmax": 1.0}
            image = ax.imshow(values, aspect="auto", interpolation="nearest", **style)
            fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
            ax.set_xticks(ticks)
            ax.set_ylabel(f"layer {layer + 1} unit", fontsize=8)
            ax.tick_params(labelsize=7)
            if layer == len(traces) - 1:
                ax.set_xlabel("step t (least significant digit first)", fontsize=8)
    return plotting.save(fig, path)


def plot_saturation(traces: list[dict], path: Path) -> Path:
    """Histogram of each gate's values, one curve per layer, saturated zones shaded."""
    fig, axes = plotting.figure(columns=len(GATES), width=3.8, height=3.0)
    colours = plotting.sequential_colours(len(traces))
    bins = np.linspace(0, 1, 41)
    for ax, name in zip(axes, GATES, strict=True):
        for layer, (trace, colour) in enumerate(zip(traces, colours, strict=True)):
            low, high = saturation(trace[name])
            ax.hist(trace[name].ravel(), bins=bins, histtype="step", density=True,
                    color=colour, lw=1.2,
                    label=f"layer {layer + 1}: {low + high:.0%} saturated")
        for left, right in ((0, LOW), (HIGH, 1)):
            ax.axvspan(left, right, color="gray", alpha=0.15)
        ax.set_yscale("log")
        ax.set_title(f"{name} gate", fontsize=10)
        ax.set_xlabel("gate value")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("density")
    return plotting.save(fig, path)


def run_gates(config: GatesConfig) -> DemoReport:
    """Train (or load) an addition LSTM, recompute its gates and show how saturated they are."""
    report = start(config.out, config.seed)
    model = get_model(config, report)
    digits = config.digits
    exact, _ = accuracy_by_length(model, [digits], config.sample_count, data_rng(config.seed, 2))
    report.say(f"whole-sum exact match on {digits}-digit additions: {exact[0]:.1%}")

    batch = make_batch(data_rng(config.seed, 5), config.sample_count, digits, model.base,
                       exact=True)
    traces = lstm_trace(model.recurrent.state_dict(), batch.inputs, model.num_layers)
    _, states = predict(model, batch)
    mismatch = float(np.abs(traces[-1]["hidden"] - states).max())
    if mismatch > 1e-4:
        raise RuntimeError(f"the NumPy recomputation differs from the layer by {mismatch:.2e}")
    report.say(f"NumPy recomputation of h_t matches the layer's output (max |Δ| {mismatch:.1e})")

    report.files.append(plot_heatmaps(traces, batch.carries, report.out_dir /
                                      "gate_heatmaps.png"))
    report.files.append(plot_saturation(traces, report.out_dir / "gate_saturation.png"))
    report.say("")
    report.say(f"share of gate values saturated (< {LOW} or > {HIGH}; low / high), "
               f"{config.sample_count} additions of {digits} digits:")
    report.say(f"  {'layer':<7}" + "".join(f"{name + ' gate':>22}" for name in GATES)
               + f"{'all gates':>12}")
    metrics = {}
    for layer, trace in enumerate(traces, start=1):
        shares = {name: saturation(trace[name]) for name in GATES}
        pooled = saturation(np.concatenate([trace[name].ravel() for name in GATES]))
        cells = "".join(f"{lo + hi:>10.1%} ({lo:4.0%}/{hi:4.0%})" for lo, hi in shares.values())
        report.say(f"  {layer:<7}{cells}{sum(pooled):>12.1%}")
        metrics[f"layer {layer}"] = {
            **{name: {"low": lo, "high": hi} for name, (lo, hi) in shares.items()},
            "all": sum(pooled),
            "mean_forget": float(trace["forget"].mean()),
        }
    report.metrics = {"exact_match": float(exact[0]), "recompute_max_abs_diff": mismatch,
                      "saturation": metrics}
    report.save_metrics()
    return report
