"""Figures for the demos: matplotlib figures drawn by the Agg canvas (no display, no pyplot,
the global backend untouched), small PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rnnlab.io.atomic import atomic_path

CELL_COLOURS = {
    "rnn": "tab:blue", "rnn-tanh": "tab:blue", "rnn-sigmoid": "tab:purple",
    "gru": "tab:green", "lstm": "tab:red",
}
DPI = 90


def figure(columns: int = 1, rows: int = 1, width: float = 4.6, height: float = 3.4,
           height_ratios: list[float] | None = None) -> tuple[Figure, list]:
    """A figure with ``rows × columns`` panels, returned as a flat list of axes (row by row).

    ``height_ratios`` sets the rows' relative heights (the figure height scales with them).
    """
    ratios = height_ratios or [1.0] * rows
    fig = Figure(figsize=(width * columns, height * sum(ratios)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, columns, squeeze=False, gridspec_kw={"height_ratios": ratios})
    return fig, [ax for row in axes for ax in row]


def save(fig: Figure, path: str | Path) -> Path:
    """Lay out, write the PNG (90 dpi keeps each file well under 200 KB) and close."""
    path = Path(path)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=DPI)
    return path


def colour(name: str) -> str:
    """The colour a cell type gets in every figure, so figures read alike."""
    return CELL_COLOURS.get(name, "tab:gray")


def sequential_colours(count: int) -> list:
    """``count`` colours from light to dark, for curves ordered by a parameter."""
    return [colormaps["viridis"](x) for x in np.linspace(0.0, 0.85, count)]
