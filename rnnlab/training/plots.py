"""Learning-curve figures (PNG) from a trainer's metrics history.

matplotlib is imported when a figure is drawn, not with this module, and only through its
object API (:class:`matplotlib.figure.Figure` drawn by the Agg canvas): pyplot and its global
backend are never touched, so importing or using rnnlab leaves a user's matplotlib setup as
it was.
"""

from __future__ import annotations

from pathlib import Path

from rnnlab.io.atomic import atomic_path


def plot_learning_curves(history: list[dict], path: str | Path, title: str = "") -> Path:
    """One panel per metric (train loss, dev metrics) against the epoch; saved as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    keys = sorted({k for row in history for k in row if k not in ("epoch", "lr", "seconds")})
    if not history or not keys:
        raise ValueError("nothing to plot: the history is empty")
    fig = Figure(figsize=(4 * len(keys), 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(keys), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        points = [(row["epoch"], row[key]) for row in history if key in row]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return path
