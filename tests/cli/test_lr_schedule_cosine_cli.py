"""``--lr-schedule cosine`` from the command line: refused without a time budget, and with
one the rate falls over the run (metrics.jsonl records each epoch's last rate)."""

from __future__ import annotations

import json
from pathlib import Path

from rnnlab.cli import main

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "lm" / "tiny.txt"
COMMON = ["train", "lm", "--train", str(TINY), "--level", "char", "--hidden-size", "8",
          "--layers", "1", "--batch-size", "4", "--bptt", "8", "--optimizer", "sgd",
          "--lr", "1", "--eval-batch-size", "1", "--no-progress", "--checkpoint-every", "0",
          "--lr-schedule", "cosine"]


def test_cosine_without_a_time_budget_is_a_one_line_error(tmp_path, capsys):
    assert main([*COMMON, "--epochs", "1", "--out", str(tmp_path / "run")]) == 1
    error = capsys.readouterr().err.strip()
    assert error == ("rnnlab: error: the cosine lr schedule anneals over the time budget: "
                     "give --time-budget > 0")


def test_cosine_rate_falls_over_the_epochs(tmp_path):
    out = tmp_path / "run"
    assert main([*COMMON, "--epochs", "3", "--time-budget", "1", "--out", str(out)]) == 0
    rates = [json.loads(line)["lr"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rates and all(0.0 <= rate < 1.0 for rate in rates)
    assert rates == sorted(rates, reverse=True)
