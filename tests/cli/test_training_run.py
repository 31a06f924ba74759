""":func:`rnnlab.cli.training_run.run_training` with a stand-in task: what it hands the
task's ``train`` for a new run and for ``--resume``, that a new run without its required
flags never reaches the task, and the report pieces it returns."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
from rnnlab.cli.training_run import TrainingRun, run_training
from rnnlab.training import TrainerConfig
from rnnlab.training.run_folder import LoopOverrides


@dataclass
class Data:
    train: str | None = None
    size: int = 3


@dataclass
class Config:
    data: Data = field(default_factory=Data)
    loop: TrainerConfig = field(default_factory=TrainerConfig)


class StandInTask:
    """Records each ``train`` call and returns a marker."""

    TASK = "stand_in"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def train(self, run_dir: str | Path, config: Any = None, *, resume: bool = False,
              overwrite: bool = False, overrides: LoopOverrides | None = None) -> str:
        self.calls.append((run_dir, config, resume, overwrite, overrides))
        return "result"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--train", default=None)
    parser.add_argument("--size", type=int, default=3)
    add_trainer_flags(parser)
    track_given_flags(parser)
    return parser.parse_args(list(argv))


def test_a_new_run_gets_the_config_of_the_flags_with_the_fixed_values(tmp_path):
    task = StandInTask()
    args = parse("--out", str(tmp_path), "--train", "t.txt", "--size", "5", "--epochs", "4",
                 "--overwrite")
    run = run_training(args, task, Config, ("train",), monitor="accuracy", monitor_mode="max")
    assert isinstance(run, TrainingRun) and run.result == "result"
    [(run_dir, config, resume, overwrite, overrides)] = task.calls
    assert run_dir == str(tmp_path) and not resume and overwrite
    assert config.data == Data("t.txt", 5)
    assert (config.loop.epochs, config.loop.monitor, config.loop.monitor_mode) == \
        (4, "accuracy", "max")
    assert overrides == LoopOverrides(epochs=4)
    assert run.model_dir == tmp_path / "model"
    assert run.wall_seconds >= 0 and run.cpu_seconds >= 0


def test_a_new_run_without_its_required_flags_never_reaches_the_task(tmp_path):
    task = StandInTask()
    with pytest.raises(ValueError, match=r"^--train required \(unless --resume\)$"):
        run_training(parse("--out", str(tmp_path)), task, Config, ("train",))
    assert task.calls == []


def test_resume_hands_the_task_no_config_and_the_loop_flags_as_overrides(tmp_path):
    task = StandInTask()
    args = parse("--out", str(tmp_path), "--resume", "--epochs", "9", "--no-progress")
    run_training(args, task, Config, ("train",))
    assert task.calls == [(str(tmp_path), None, True, False,
                           LoopOverrides(epochs=9, progress=False))]


def test_took_is_the_report_line_of_the_two_clocks():
    run = TrainingRun("result", Path("out/model"), wall_seconds=12.4, cpu_seconds=19.6)
    assert run.took == "training took 12 s wall-clock, 20 s CPU"
