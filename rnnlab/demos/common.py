"""What every demo shares: seeds, output folders, progress bars."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

import rnnlab
from rnnlab.io import save_json


@dataclass
class DemoReport:
    """What a demo prints (``lines``), the numbers behind them and the files it wrote."""

    out_dir: Path
    lines: list[str] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def say(self, line: str = "") -> None:
        self.lines.append(line)

    def save_metrics(self) -> Path:
        """Write the numbers to ``metrics.json`` in the output folder."""
        path = self.out_dir / "metrics.json"
        save_json(path, self.metrics)
        self.files.append(path)
        return path

    def text(self) -> str:
        written = [f"  {path}" for path in self.files]
        return "\n".join([*self.lines, f"files written to {self.out_dir}:", *written])


def seed_banner(seed: int) -> str:
    """The line every demo prints first, so a reader knows how to get other draws."""
    return f"seed {seed}; rerun with --seed N"


def start(out: str | Path, seed: int) -> DemoReport:
    """Seed rnnlab's generator, create the output folder and open the report."""
    rnnlab.seed(seed)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = DemoReport(out_dir=out_dir)
    report.say(seed_banner(seed))
    return report


def data_rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator per purpose (training data, test data, …) from one seed."""
    return np.random.default_rng([seed, stream])


def steps_bar(total: int, description: str, enabled: bool = True) -> tqdm:
    """A tqdm bar over training steps: it shows the rate (steps/s) and the ETA."""
    return tqdm(total=total, desc=description, unit="step", disable=not enabled,
                dynamic_ncols=True, leave=False)

