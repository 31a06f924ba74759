"""One run folder and one resume rule for every task.

A training run lives in one folder::

    OUT/run.json          task, full task config, data paths, versions, seed (written once)
    OUT/checkpoint/       the last complete checkpoint (see folder_swap)
    OUT/checkpoint.previous/  the one before it (the fallback should the last be damaged)
    OUT/model/            the best model so far (or the model at a time-budget stop)
    OUT/metrics.jsonl     one line per finished epoch
    OUT/learning_curves.png

The rules, the same for every task (:meth:`RunFolder.start`):

* a new run refuses a non-empty folder unless ``overwrite`` (which removes the run files
  listed above and the task's own, nothing else, once the data has been read);
* ``resume`` trains on with the config saved in ``run.json``; a config given with it must
  match the saved one except in the loop settings that only extend or limit a run
  (:data:`LOOP_OVERRIDES`: epochs, time budget, patience, checkpoint cadence, progress bar),
  which it sets; without a config they come from the last checkpoint (so an extension
  lasts across later resumes); :class:`LoopOverrides` changes them in either case;
* the run is seeded here, once, from the loop config's seed, before the task builds its
  model (the Trainer re-seeds the loop's streams from the same seed when it starts afresh);
* a task opens its run with :meth:`RunFolder.session`, which reads the data before it
  writes anything, and undoes a new run that fails before its first checkpoint: a missing
  or malformed file, a model that cannot be built, a loss that diverges in the first
  epoch leave ``OUT`` as they found it, so the corrected command simply runs again.

A task config is a dataclass with a ``loop: TrainerConfig`` field and any nested dataclass
sections; fields holding data paths carry ``metadata=DATA_PATH`` and are stored as absolute
paths, so a run resumes from any working directory.
"""

from __future__ import annotations

import dataclasses
import platform
import shutil
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rnnlab import __version__
from rnnlab import random as rnd
from rnnlab.io.atomic import leftover_of
from rnnlab.io.folder_swap import PREVIOUS_SUFFIX, TMP_INFIX, folder_problem
from rnnlab.io.serialization import load_json, save_json
from rnnlab.training.trainer import (
    BEST_DIR,
    CHECKPOINT_DIR,
    METRICS_FILE,
    Trainer,
    TrainerConfig,
)

RUN_FILE = "run.json"
RUN_FORMAT = 1
CURVES_FILE = "learning_curves.png"
# loop settings that only extend or limit a run: a resume may change them
LOOP_OVERRIDES = ("epochs", "time_budget_minutes", "patience", "checkpoint_every", "progress")
DATA_PATH = {"data_path": True}  # dataclass field metadata of a data-file path

C = TypeVar("C")
D = TypeVar("D")


@dataclass(frozen=True)
class LoopOverrides:
    """Loop settings given for this session of a run (None: keep the run's)."""

    epochs: int | None = None
    time_budget_minutes: float | None = None
    patience: int | None = None
    checkpoint_every: int | None = None
    progress: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def apply(self, loop: TrainerConfig) -> TrainerConfig:
        return dataclasses.replace(loop, **self.given())


# ------------------------------------------------------------- configs as JSON
def config_sections(cls: type) -> dict[str, type]:
    """``{field: dataclass type}`` of the fields of ``cls`` that are dataclass sections."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)
            if isinstance(hints.get(f.name), type) and is_dataclass(hints[f.name])}


def config_from_dict(cls: type[C], values: dict[str, Any]) -> C:
    """Rebuild a (nested) config dataclass from :func:`dataclasses.asdict` output; keys
    missing from ``values`` take the field's default.

    Raises:
        ValueError: a key ``cls`` does not have.
    """
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no setting {', '.join(unknown)}")
    nested = config_sections(cls)
    kwargs = {name: config_from_dict(nested[name], value) if name in nested else value
              for name, value in values.items()}
    return cls(**kwargs)


def config_fields(cls: type) -> dict[str, dataclasses.Field]:
    """Every leaf field of a (nested) config class by name; names are unique across sections."""
    found: dict[str, dataclasses.Field] = {}
    nested = config_sections(cls)
    for f in fields(cls):
        inner = config_fields(nested[f.name]) if f.name in nested else {f.name: f}
        clash = set(found) & set(inner)
        if clash:
            raise TypeError(f"{cls.__name__}: setting {', '.join(sorted(clash))} appears twice")
        found.update(inner)
    return found


def config_values(config: Any) -> dict[str, Any]:
    """``{leaf field: value}`` of a (nested) config."""
    values: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        values.update(config_values(value) if is_dataclass(value) else {f.name: value})
    return values


def normalise_value(field: dataclasses.Field, value: Any) -> Any:
    """A data path as an absolute path string (a list of them as a list of those); any
    other value unchanged."""
    if field.metadata.get("data_path") and isinstance(value, list | tuple):
        return [str(Path(v).resolve()) for v in value]
    if field.metadata.get("data_path") and value is not None:
        return str(Path(value).resolve())
    return value


def _with_absolute_paths(config: C) -> C:
    changes = {}
    for f in fields(config):
        value = getattr(config, f.name)
        changes[f.name] = (_with_absolute_paths(value) if is_dataclass(value)
                           else normalise_value(f, value))
    return dataclasses.replace(config, **changes)


def differences(saved: Any, given: Any, ignore: tuple[str, ...] = LOOP_OVERRIDES) -> list[str]:
    """``name: saved -> given`` for each leaf setting (outside ``ignore``) that differs."""
    a, b = config_values(saved), config_values(given)
    return [f"{name}: {a[name]!r} -> {b[name]!r}" for name in a
            if name not in ignore and a[name] != b[name]]


def versions() -> dict[str, str]:
    return {"rnnlab": __version__, "numpy": np.__version__, "python": platform.python_version()}


# ------------------------------------------------------------------ the folder
class RunFolder:
    """The files of one training run and the rules for starting and resuming it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def run_file(self) -> Path:
        return self.path / RUN_FILE

    @property
    def model_dir(self) -> Path:
        return self.path / BEST_DIR

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / CHECKPOINT_DIR

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    def record(self) -> dict[str, Any] | None:
        """The saved ``run.json``, or None when the folder has none."""
        return load_json(self.run_file) if self.run_file.is_file() else None

    def saved_config(self, task: str, cls: type[C]) -> C | None:
        """The config saved for ``task``, or None when no run.json is there.

        Raises:
            ValueError: the folder holds a run of another task.
        """
        record = self.record()
        if record is None:
            return None
        if record.get("task") != task:
            raise ValueError(f"{self.path} holds a {record.get('task')!r} run, not {task!r}")
        return config_from_dict(cls, record["config"])

    def start(
        self,
        task: str,
        cls: type[C],
        config: C | None,
        *,
        resume: bool = False,
        overwrite: bool = False,
        overrides: LoopOverrides | None = None,
        task_files: tuple[str, ...] = (),
    ) -> C:
        """Apply the run-folder rules and seed the run; returns the config to train with.

        ``task_files`` names files of the task's own that ``overwrite`` removes too. (A task
        opens its run with :meth:`session`, which reads the data first and undoes a run
        that fails early.)

        Raises:
            ValueError: a new run into a non-empty folder without ``overwrite``; a resume
                whose config differs from the saved one (naming the settings); a resume of
                another task's run; no config for a new run.
            FileNotFoundError: ``resume`` where no run was started.
        """
        config, _, _ = self._open(task, cls, config, None, resume=resume, overwrite=overwrite,
                                  overrides=overrides, task_files=task_files)
        return config

    @contextmanager
    def session(
        self,
        task: str,
        cls: type[C],
        config: C | None,
        read: Callable[[C], D],
        *,
        resume: bool = False,
        overwrite: bool = False,
        overrides: LoopOverrides | None = None,
        task_files: tuple[str, ...] = (),
    ) -> Iterator[tuple[C, D]]:
        """:meth:`start` with the run's data read in it; yields ``(config, data)``.

        The rules are checked and the config settled first, then ``read(config)`` reads the
        data, and only then is anything written: a missing or malformed file leaves the
        folder as it was (``overwrite`` has removed nothing yet). A new run whose block
        then raises (or is interrupted) before the first checkpoint — no ``checkpoint/``,
        ``checkpoint.previous/`` or ``model/`` in the folder — is undone: its run files go
        (what ``overwrite`` would remove; nothing else), and the folder itself and the
        parents the run created, when empty, so the same command runs again without
        ``--overwrite``. A run that checkpointed keeps
        everything, for ``--resume``; a resumed run is never undone.

        Raises:
            the errors of :meth:`start`, those of ``read``, and those of the block.
        """
        config, data, undo = self._open(task, cls, config, read, resume=resume,
                                        overwrite=overwrite, overrides=overrides,
                                        task_files=task_files)
        try:
            yield config, data
        except BaseException:
            if undo is not None and not self._checkpointed():
                undo()
            raise

    def _open(
        self,
        task: str,
        cls: type[C],
        config: C | None,
        read: Callable[[C], Any] | None,
        *,
        resume: bool,
        overwrite: bool,
        overrides: LoopOverrides | None,
        task_files: tuple[str, ...],
    ) -> tuple[C, Any, Callable[[], None] | None]:
        """Settle the config, read the data, write a new run's record, seed; returns the
        config to train with, the data and the undoing of a new run (None on resume)."""
        if resume and overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        self._remove_leftovers(task_files)
        if resume:
            settled = self._resume_config(task, cls, config)
        else:
            if config is None:
                raise ValueError(f"a new {task} run needs a config")
            self._check_room(overwrite)
            settled = _with_absolute_paths(config)
        config = (settled if overrides is None else
                  dataclasses.replace(settled, loop=overrides.apply(settled.loop)))
        data = read(config) if read is not None else None
        undo = None
        if not resume:
            undo = self._begin(task, settled, task_files)
        rnd.seed(config.loop.seed)
        return config, data, undo

    def _resume_config(self, task: str, cls: type[C], given: C | None) -> C:
        saved = self.saved_config(task, cls)
        if saved is None:
            if not self.checkpoint_dir.exists():
                raise FileNotFoundError(f"--resume: {self.path} holds no run to resume "
                                        f"(no {RUN_FILE}, no {CHECKPOINT_DIR}/)")
            if given is None:
                raise ValueError(f"--resume: {self.path} has no {RUN_FILE} (a run started by "
                                 "an earlier rnnlab); repeat the run's flags to resume it")
            saved = _with_absolute_paths(given)  # adopt it: later resumes need no flags
            self._write_record(task, saved)
            given = None  # its loop settings are defaults, not choices: the checkpoint's win
        elif given is not None:
            changed = differences(saved, _with_absolute_paths(given))
            if changed:
                raise ValueError(f"--resume: the config differs from the run saved in "
                                 f"{self.path} ({'; '.join(changed)})")
        source = (dataclasses.asdict(given.loop) if given is not None
                  else self._checkpoint_loop())
        kept = {k: source[k] for k in LOOP_OVERRIDES if k in source}
        return dataclasses.replace(saved, loop=dataclasses.replace(saved.loop, **kept))

    def _checkpoint_loop(self) -> dict[str, Any]:
        """The loop config the last checkpoint was written with ({} if there is no complete
        one: the Trainer then says what is wrong)."""
        for folder in (self.checkpoint_dir,
                       self.path / f"{CHECKPOINT_DIR}{PREVIOUS_SUFFIX}"):
            if folder_problem(folder, ("state.json",), verify=False) is None:
                try:
                    loop = load_json(folder / "state.json").get("config", {})
                except (OSError, ValueError, AttributeError):
                    continue
                return loop if isinstance(loop, dict) else {}
        return {}

    def _remove_leftovers(self, task_files: tuple[str, ...]) -> None:
        """Remove the temporary files of run files that a killed write left behind."""
        if not self.path.is_dir():
            return
        names = {RUN_FILE, METRICS_FILE, CURVES_FILE, *task_files}
        for entry in self.path.iterdir():
            if leftover_of(entry.name) in names and entry.is_file():
                entry.unlink(missing_ok=True)

    def _check_room(self, overwrite: bool) -> None:
        """Refuse a new run where the folder is a file, or holds something (unless
        ``overwrite``)."""
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"--out {self.path} is a file, not a folder")
        if overwrite or not self.path.is_dir() or not any(self.path.iterdir()):
            return
        shown = ", ".join(sorted(p.name for p in self.path.iterdir())[:4])
        raise ValueError(
            f"--out {self.path} is not empty (it holds {shown}…): pass --resume to "
            "continue the run in it, --overwrite to replace it, or choose another --out"
        )

    def _begin(self, task: str, config: Any, task_files: tuple[str, ...]) -> Callable[[], None]:
        """Make room for a new run (the old run's files go), write its record; returns what
        undoes it."""
        created = self._first_missing()
        for entry in self._run_entries(task_files):
            _remove(entry)
        self._write_record(task, config)
        return partial(self._undo, task_files, created)

    def _run_entries(self, task_files: tuple[str, ...]) -> list[Path]:
        """The run's files and folders in the folder (what ``overwrite`` removes), their
        temporary and previous versions included; nothing else."""
        names = {RUN_FILE, METRICS_FILE, CURVES_FILE, *task_files}
        found = []
        for entry in self.path.iterdir() if self.path.is_dir() else ():
            base = entry.name.split(TMP_INFIX)[0].removesuffix(PREVIOUS_SUFFIX)
            if (entry.name in names or leftover_of(entry.name) in names
                    or base in (CHECKPOINT_DIR, BEST_DIR)):
                found.append(entry)
        return found

    def _first_missing(self) -> Path | None:
        """The outermost of the folder and its parents that does not exist (None: the
        folder exists)."""
        missing = None
        for folder in (self.path, *self.path.parents):
            if folder.exists():
                break
            missing = folder
        return missing

    def _checkpointed(self) -> bool:
        """Whether the run has saved a checkpoint or a model (what a resume or a user
        needs)."""
        return any((self.path / name).exists() for name in
                   (CHECKPOINT_DIR, f"{CHECKPOINT_DIR}{PREVIOUS_SUFFIX}", BEST_DIR))

    def _undo(self, task_files: tuple[str, ...], created: Path | None) -> None:
        """Remove the run's files again, and the folders down from ``created`` that the run
        made (each only when empty)."""
        for entry in self._run_entries(task_files):
            _remove(entry)
        if created is None:
            return
        for folder in (self.path, *self.path.parents):
            try:
                folder.rmdir()
            except OSError:
                return
            if folder == created:
                return

    def _write_record(self, task: str, config: Any) -> None:
        values = config_values(config)
        paths = {name: values[name] for name, f in config_fields(type(config)).items()
                 if f.metadata.get("data_path")}
        self.path.mkdir(parents=True, exist_ok=True)
        save_json(self.run_file, {
            "format": RUN_FORMAT,
            "task": task,
            "config": dataclasses.asdict(config),
            "data": paths,
            "seed": config.loop.seed,
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        })


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink(missing_ok=True)


# ----------------------------------------------------------------- the outcome
@dataclass
class TrainOutcome:
    """How a run's training went: what every task's ``train`` result carries."""

    run_dir: Path
    history: list[dict]
    best: float | None  # the monitored dev value of the best epoch
    best_epoch: int  # 0: the model saved is the one at the time-budget stop
    finished: bool
    stopped_early: bool
    budget_stop: dict | None  # dev metrics of the model saved at a time-budget stop

    @property
    def saved_from(self) -> str:
        """Which weights the saved model holds, for messages: ``"epoch 12"`` or ``"the
        time-budget stop in epoch 17"``."""
        if self.best_epoch or self.budget_stop is None:
            return f"epoch {self.best_epoch}"
        return f"the time-budget stop in epoch {self.budget_stop['epoch']}"

    @classmethod
    def of(cls, trainer: Trainer) -> TrainOutcome:
        state = trainer.state
        return cls(trainer.out_dir, list(state.history), state.best, state.best_epoch,
                   state.finished, state.stopped_early, state.budget_stop)
