"""The steps every ``rnnlab train <task>`` handler shares: flags → config → the task's
``train`` in ``--out``, timed.

A handler names its task module (:mod:`rnnlab.tasks`), the task's config class, the flags
a new run needs and the config values the command decides (e.g. the monitored dev metric);
:func:`run_training` does the rest and hands back the task's result for the handler's own
report lines. The config comes from the flags for a new run, or on ``--resume`` from the
run folder's ``run.json`` (:func:`~rnnlab.cli.trainer_flags.resume_config`, which refuses a
given flag that contradicts it); the task then writes ``--out`` (and, when the run fails
before its first checkpoint, leaves it as it found it).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rnnlab.cli.trainer_flags import (
    config_from_args,
    loop_overrides,
    require_flags,
    resume_config,
)
from rnnlab.training.run_folder import LoopOverrides
from rnnlab.training.trainer import BEST_DIR


class TrainingTask(Protocol):
    """A task module: the task name its run folders record, and its ``train``."""

    TASK: str

    def train(self, run_dir: str | Path, config: Any = None, *, resume: bool = False,
              overwrite: bool = False, overrides: LoopOverrides | None = None) -> Any: ...


@dataclass(frozen=True)
class TrainingRun:
    """A finished ``train`` call: the task's result and the time it took."""

    result: Any  # what the task's train returned (its outcome, dev scores, …)
    model_dir: Path  # where the best model is: OUT/model
    wall_seconds: float
    cpu_seconds: float

    @property
    def took(self) -> str:
        """``training took 12 s wall-clock, 20 s CPU``, for a report line."""
        return (f"training took {self.wall_seconds:.0f} s wall-clock, "
                f"{self.cpu_seconds:.0f} s CPU")


def run_training(args: argparse.Namespace, task: TrainingTask, config_class: type,
                 required: tuple[str, ...], **fixed: Any) -> TrainingRun:
    """Train ``task`` in ``args.out`` as the parsed flags say, and time the training.

    A new run takes its config from the flags (``fixed`` wins over them) and needs the
    flags ``required`` names (their ``dest``); ``--resume`` continues the saved run, with
    the loop flags given again as overrides. The clocks run around the task's ``train``
    only, not the config's making.

    Raises:
        ValueError: a ``required`` flag is missing for a new run, or a flag given with
            ``--resume`` contradicts the saved config (naming the flag); and whatever the
            task raises (bad data, a non-empty ``--out`` without ``--resume`` or
            ``--overwrite``, …).
    """
    if args.resume:
        config = resume_config(args, task.TASK, config_class, required, **fixed)
    else:
        require_flags(args, *required)
        config = config_from_args(config_class, args, **fixed)
    wall, cpu = time.perf_counter(), time.process_time()
    result = task.train(args.out, config, resume=args.resume, overwrite=args.overwrite,
                        overrides=loop_overrides(args))
    return TrainingRun(result, Path(args.out) / BEST_DIR, time.perf_counter() - wall,
                       time.process_time() - cpu)
