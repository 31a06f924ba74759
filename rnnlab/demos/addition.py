"""LECTURE §1: addition as one "add two digits" unit unrolled in time, the carry in h(t).

The model is the lecture's unit (LECTURE §2) with a softmax over the base's digits::

    h(t) = cell(x(t), h(t−1))        x(t) = [onehot(a_t), onehot(b_t)]
    y(t) = softmax(W_o h(t) + b_o)   the digit s_t of a + b, least significant first

trained with cross-entropy (LECTURE §4) on numbers of up to ``train_digits`` digits and
tested on numbers of up to ``test_digits`` digits: since every step does the same job, a
unit that has learnt to carry adds numbers of any length. The hidden states, projected on
their first two principal components and coloured by the carry, show where the carry lives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rnnlab
from rnnlab.demos import plotting
from rnnlab.demos.addition_data import AdditionBatch, digits_to_text, make_batch
from rnnlab.demos.common import DemoReport, data_rng, start, steps_bar
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.io import load_model_dir, save_model_dir
from rnnlab.nn import Linear
from rnnlab.optim import Adam
from rnnlab.recurrent.factory import CELL_NAMES, check_cell, make_recurrent

BASE_NAMES = {2: "binary", 10: "decimal"}


@dataclass
class AdditionConfig:
    """Settings of ``rnnlab demo addition`` (defaults: the < 1 minute run of ``make demo``)."""

    base: int = 2
    cell: str = "rnn"
    compare: bool = False  # train RNN, GRU and LSTM on the same data instead of ``cell``
    hidden_size: int = 16
    num_layers: int = 1
    train_digits: int = 8
    test_digits: int = 64
    steps: int = 1500
    batch_size: int = 64
    lr: float = 0.01
    test_count: int = 200  # test additions per number length
    seed: int = 0
    out: str = "runs/demo-addition"
    progress: bool = True


class AdditionModel(Module):
    """The addition unit: a recurrent layer stack and a per-step softmax head."""

    def __init__(self, cell: str, base: int, hidden_size: int, num_layers: int = 1) -> None:
        super().__init__()
        self.cell, self.base = cell, base
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.recurrent = make_recurrent(cell, 2 * base, hidden_size, num_layers)
        self.head = Linear(hidden_size, base)

    def forward(self, inputs: np.ndarray) -> tuple[Tensor, Tensor]:
        """(T, B, 2·base) → digit scores (T, B, base) and top-layer states h(t) (T, B, H)."""
        states, _ = self.recurrent(inputs)
        return self.head(states), states

    def config(self) -> dict:
        return {"task": "addition", "cell": self.cell, "base": self.base,
                "hidden_size": self.hidden_size, "num_layers": self.num_layers}

    def save(self, directory: str | Path) -> Path:
        return save_model_dir(directory, self.state_dict(), self.config())


def load_addition_model(directory: str | Path) -> AdditionModel:
    """A model directory written by ``rnnlab demo addition`` (``model-<cell>/``)."""
    state, config = load_model_dir(directory)
    if config.get("task") != "addition":
        raise ValueError(f"{directory}: not an addition model (config task is "
                         f"{config.get('task')!r})")
    model = AdditionModel(config["cell"], config["base"], config["hidden_size"],
                          config["num_layers"])
    model.load_state_dict(state)
    return model


def train_addition(model: AdditionModel, config: AdditionConfig) -> list[float]:
    """Adam on the per-digit cross-entropy; returns the loss of every step."""
    rng = data_rng(config.seed, 1)
    optimizer = Adam(model.parameters(), lr=config.lr)
    losses = []
    with steps_bar(config.steps, f"addition {model.cell}", config.progress) as bar:
        for _ in range(config.steps):
            batch = make_batch(rng, config.batch_size, config.train_digits, config.base)
            logits, _ = model(batch.inputs)
            loss = ops.cross_entropy(logits, batch.targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
            bar.update()
    return losses


def predict(model: AdditionModel, batch: AdditionBatch) -> tuple[np.ndarray, np.ndarray]:
    """Predicted digits (T, B) and the top-layer hidden states (T, B, H)."""
    with no_grad():
        logits, states = model(batch.inputs)
    return logits.data.argmax(axis=-1), states.data


def accuracy_by_length(
    model: AdditionModel, lengths: list[int], count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-sum exact match and per-digit accuracy for numbers of exactly n digits, per n."""
    exact, per_digit = [], []
    for n in lengths:
        batch = make_batch(rng, count, n, model.base, exact=True)
        correct = predict(model, batch)[0] == batch.targets
        exact.append(correct.all(axis=0).mean())
        per_digit.append(correct.mean())
    return np.array(exact), np.array(per_digit)


def worked_example(model: AdditionModel, batch: AdditionBatch, index: int) -> list[str]:
    """a, b, the true sum and the model's, written MSB first and aligned; ^ marks errors."""
    predicted = predict(model, batch)[0][:, index]
    true = batch.targets[:, index]
    width = len(true)
    wrong = "".join("^" if p != t else " " for p, t in zip(predicted[::-1], true[::-1],
                                                               strict=True))
    verdict = "exact ✓" if not wrong.strip() else f"{wrong.count('^')} wrong digit(s) ✗"
    lines = [
        f"      a  {digits_to_text(batch.a[index][:-1], width)}",
        f"    + b  {digits_to_text(batch.b[index][:-1], width)}",
        f"   true  {digits_to_text(true, width)}",
        f"  model  {digits_to_text(predicted, width)}   {verdict}",
    ]
    if wrong.strip():
        lines.append(f"         {wrong}")
    return lines


def pca_2d(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project (N, H) points on their first two principal components.

    X̄ = X − mean(X);  X̄ = U S Vᵀ;  projection X̄ V[:, :2];  explained share S²/ΣS².
    """
    centred = points - points.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    share = singular**2 / max(float((singular**2).sum()), 1e-12)
    return centred @ vt[:2].T, share[:2]


def carry_readout_accuracy(states: np.ndarray, carries: np.ndarray) -> float:
    """How well a linear map reads the carry from h(t): least squares on half the steps,
    c ≈ [h, 1] w, thresholded at ½, scored on the other half."""
    features = np.concatenate([states, np.ones((len(states), 1), states.dtype)], axis=1)
    fit, held_out = slice(0, None, 2), slice(1, None, 2)
    w, *_ = np.linalg.lstsq(features[fit], carries[fit].astype(features.dtype), rcond=None)
    return float(((features[held_out] @ w > 0.5) == carries[held_out]).mean())


def plot_hidden_pca(states: np.ndarray, carries: np.ndarray, path: Path, title: str) -> Path:
    """h(t) of many additions on PCA axes, coloured by the carry, one trajectory drawn."""
    steps, count, hidden = states.shape
    projected, share = pca_2d(states.reshape(-1, hidden))
    flat_carries = carries.reshape(-1)
    fig, (ax,) = plotting.figure(width=5.2, height=4.4)
    for value, colour in ((0, "tab:blue"), (1, "tab:orange")):
        chosen = flat_carries == value
        ax.scatter(projected[chosen, 0], projected[chosen, 1], s=7, alpha=0.35, c=colour,
                   label=f"carry {value}", linewidths=0)
    path_xy = projected.reshape(steps, count, 2)[:, 0]
    ax.plot(path_xy[:, 0], path_xy[:, 1], color="black", lw=0.8, marker="o", ms=3,
            label="one addition, t = 0 … T−1")
    for t in (0, steps - 1):
        ax.annotate(f"t={t}", path_xy[t], fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"PC 1 ({share[0]:.0%} of variance)")
    ax.set_ylabel(f"PC 2 ({share[1]:.0%} of variance)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return plotting.save(fig, path)


def plot_accuracy(lengths: list[int], results: dict, train_digits: int, path: Path) -> Path:
    fig, axes = plotting.figure(columns=2)
    for ax, key, label in zip(axes, ("exact", "per_digit"),
                              ("whole sum exactly right", "digits right"), strict=True):
        for cell, result in results.items():
            ax.plot(lengths, result[key], marker=".", color=plotting.colour(cell), label=cell)
        ax.axvline(train_digits, color="gray", ls="--", lw=0.8)
        ax.text(train_digits, 0.02, " longest training number", fontsize=7, color="gray")
        ax.set_xscale("log", base=2)
        ticks = [2**k for k in range(int(np.log2(lengths[-1])) + 1)]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xlabel("digits per number")
        ax.set_ylabel(label)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return plotting.save(fig, path)


def plot_losses(results: dict, path: Path) -> Path:
    fig, (ax,) = plotting.figure()
    for cell, result in results.items():
        ax.plot(result["losses"], color=plotting.colour(cell), lw=0.8, label=cell)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy per digit")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return plotting.save(fig, path)


def test_lengths(config: AdditionConfig) -> list[int]:
    return list(range(1, config.test_digits + 1))


def run_one_cell(cell: str, config: AdditionConfig, report: DemoReport) -> dict:
    """Train one cell type, test it by length, print examples, plot its hidden states."""
    rnnlab.seed(config.seed)  # every cell starts from the same seed, whatever ran before
    model = AdditionModel(cell, config.base, config.hidden_size, config.num_layers)
    began = time.perf_counter()
    losses = train_addition(model, config)
    seconds = time.perf_counter() - began
    lengths = test_lengths(config)
    exact, per_digit = accuracy_by_length(model, lengths, config.test_count,
                                          data_rng(config.seed, 2))
    report.files.append(model.save(report.out_dir / f"model-{cell}"))

    examples = make_batch(data_rng(config.seed, 3), 200, config.train_digits, config.base,
                          exact=True)
    _, states = predict(model, examples)
    readout = carry_readout_accuracy(states.reshape(-1, config.hidden_size),
                                     examples.carries.reshape(-1))
    report.files.append(plot_hidden_pca(
        states, examples.carries, report.out_dir / f"hidden_state_pca_{cell}.png",
        f"{cell.upper()} h(t), {BASE_NAMES.get(config.base, f'base {config.base}')} addition",
    ))
    report.say(f"{cell.upper()}: trained {config.steps} steps in {seconds:.1f} s, "
               f"final loss {np.mean(losses[-50:]):.4f}; carry read linearly from h(t): "
               f"{readout:.1%} of held-out steps")
    for n in sorted({config.train_digits, min(2 * config.train_digits, config.test_digits),
                     config.test_digits}):
        batch = make_batch(data_rng(config.seed, 4 + n), 1, n, config.base, exact=True)
        inside = "inside" if n <= config.train_digits else "beyond"
        report.say(f"  {n}-digit example ({inside} the training range):")
        report.lines.extend(worked_example(model, batch, 0))
    return {"losses": losses, "exact": exact, "per_digit": per_digit, "seconds": seconds,
            "carry_readout": readout}


def run_addition(config: AdditionConfig) -> DemoReport:
    """Train (one cell, or RNN/GRU/LSTM with ``compare``), test up to ``test_digits``, plot."""
    check_cell(config.cell)
    if config.train_digits > config.test_digits:
        raise ValueError("test_digits must be at least train_digits")
    report = start(config.out, config.seed)
    name = BASE_NAMES.get(config.base, f"base-{config.base}")
    report.say(f"{name} addition, least significant digit first; trained on numbers of "
               f"<= {config.train_digits} digits, tested on 1 … {config.test_digits} digits")
    cells = CELL_NAMES if config.compare else (config.cell,)
    results = {cell: run_one_cell(cell, config, report) for cell in cells}

    lengths = test_lengths(config)
    shown = sorted({1, config.train_digits, 16, 32, config.test_digits} & set(lengths))
    report.say("")
    report.say("whole-sum exact match (per-digit accuracy) by number length, "
               f"{config.test_count} test additions per length:")
    report.say("  digits " + "".join(f"{n:>16d}" for n in shown))
    for cell, result in results.items():
        cells_text = "".join(
            f"{result['exact'][n - 1]:>8.1%} ({result['per_digit'][n - 1]:>5.1%})" for n in shown
        )
        report.say(f"  {cell:<6} {cells_text}")
    report.files.append(plot_accuracy(lengths, results, config.train_digits,
                                      report.out_dir / "accuracy_by_length.png"))
    report.files.append(plot_losses(results, report.out_dir / "training_loss.png"))
    report.metrics = {
        cell: {
            "final_loss": float(np.mean(r["losses"][-50:])),
            "train_seconds": r["seconds"],
            "carry_readout": r["carry_readout"],
            "exact": {n: float(r["exact"][n - 1]) for n in shown},
            "per_digit": {n: float(r["per_digit"][n - 1]) for n in shown},
        }
        for cell, r in results.items()
    }
    report.save_metrics()
    return report
