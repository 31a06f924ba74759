"""Learning-curve figures (PNG) from a trainer's metrics history."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnnlab.io.atomic import atomic_path  # noqa: E402


def plot_learning_curves(history: list[dict], path: str | Path, title: str = "") -> Path:
    """One panel per metric (train loss, dev metrics) against the epoch; saved as PNG."""
    path = Path(path)
    keys = sorted({k for row in history for k in row if k not in ("epoch", "lr", "seconds")})
    if not history or not keys:
        raise ValueError("nothing to plot: the history is empty")
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        points = [(row["epoch"], row[key]) for row in history if key in row]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)
    return path
