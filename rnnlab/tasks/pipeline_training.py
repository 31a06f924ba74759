"""Train the whole raw-text pipeline in order: tokenizer, tagger, lemmatizer (issue 18).

:func:`train_pipeline` trains each part on the same training and dev CoNLL-U files with
its own task (:mod:`rnnlab.tasks.tokenization`, :mod:`rnnlab.tasks.tagging`,
:mod:`rnnlab.tasks.lemmatization`) and its default recipe, into ``OUT/tokenizer``,
``OUT/tagger`` and ``OUT/lemmatizer`` — three ordinary run folders, each a model folder's
parent that ``--model`` accepts. Every part has a time budget (minutes of training;
:data:`DEFAULT_BUDGETS` unless given) and may get a cap on its epochs.

With ``resume``, each part goes on from where it stands (:func:`part_status`): a finished
part (its last checkpoint says the loop ended: epochs done, early stop or time budget) is
skipped, an unfinished one resumes from its checkpoint, a missing one starts. Without
``resume``, a part folder that holds anything is an error naming ``--resume`` and
``--overwrite`` (the run-folder rule); ``overwrite`` retrains every part.

Before any part trains, the two files are read the way each part that starts now reads
them (:func:`check_data`): a file the tagger cannot use (a word without a gold UPOS) or the
lemmatizer cannot (no lemmas) stops the pipeline before the tokenizer trains, and each
part's own run folder is undone when it fails before its first checkpoint
(:meth:`~rnnlab.training.run_folder.RunFolder.session`), so the corrected command simply
runs again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnlab.io.folder_swap import find_complete_folder, folder_problem
from rnnlab.io.serialization import load_json
from rnnlab.training.run_folder import LoopOverrides
from rnnlab.training.trainer import BEST_DIR, CHECKPOINT_DIR, CHECKPOINT_FILES

PARTS = ("tokenizer", "tagger", "lemmatizer")
DEFAULT_BUDGETS = {"tokenizer": 50.0, "tagger": 45.0, "lemmatizer": 20.0}
"""Minutes of training of each part in a new run: issue 18's 2 hours for the three."""
NEW, UNFINISHED, FINISHED = "new", "unfinished", "finished"


def part_status(run_dir: str | Path) -> str:
    """Where the run folder of one part stands: NEW (missing or empty), FINISHED (a model
    saved and the last checkpoint's loop ended) or UNFINISHED (anything else, which a
    resume continues or explains)."""
    path = Path(run_dir)
    if not path.is_dir() or not any(path.iterdir()):
        return NEW
    if folder_problem(path / BEST_DIR) is not None:
        return UNFINISHED
    try:
        checkpoint = find_complete_folder(path / CHECKPOINT_DIR, CHECKPOINT_FILES)
        loop = load_json(checkpoint / "state.json")["loop"]
    except (OSError, ValueError, KeyError, TypeError):
        return UNFINISHED
    return FINISHED if isinstance(loop, dict) and loop.get("finished") is True else UNFINISHED


@dataclass(frozen=True)
class PartPlan:
    """How one part trains: its time budget in minutes (0: none; None: the part's
    :data:`DEFAULT_BUDGETS` entry for a new run, the run's own budget on resume), its most
    epochs (None: the part's default) and whether it shows progress bars (None: the
    default)."""

    time_budget_minutes: float | None = None
    epochs: int | None = None
    progress: bool | None = None

    def overrides(self, new_run_of: str | None = None) -> LoopOverrides:
        """These settings as the loop overrides of a part's run; ``new_run_of`` names the
        part when its run starts now (an unset budget is then its default)."""
        budget = self.time_budget_minutes
        if budget is None and new_run_of is not None:
            budget = DEFAULT_BUDGETS[new_run_of]
        return LoopOverrides(epochs=self.epochs, progress=self.progress,
                             time_budget_minutes=budget)


@dataclass(frozen=True)
class PartOutcome:
    """What happened to one part: ``status`` before the call, whether it trained now, and
    its dev scores (empty when skipped)."""

    part: str
    status: str
    trained: bool
    dev: dict[str, float]


def _task(part: str) -> tuple[Any, Callable[[str, str], Any]]:
    """The task module of ``part`` and a function making its config from the two files."""
    if part == "tokenizer":
        from rnnlab.tasks import tokenization as task

        return task, lambda train, dev: task.TokenizationConfig(
            data=task.TokenizationData(train=train, dev=dev))
    if part == "tagger":
        from rnnlab.tasks import tagging as task

        return task, lambda train, dev: task.TaggingConfig(
            data=task.TaggingData(train=train, dev=dev))
    from rnnlab.tasks import lemmatization as task

    return task, lambda train, dev: task.LemmatizationConfig(
        data=task.LemmatizationData(train=train, dev=dev))


def check_data(parts: list[str], train: str, dev: str) -> None:
    """Read ``train`` and ``dev`` as each of ``parts`` does when it starts (its task's
    ``prepare``), keeping nothing.

    Raises:
        DataFormatError, FileNotFoundError, ValueError: a file that one of the parts cannot
            train on, as that part's task says it.
    """
    for part in parts:
        task, make_config = _task(part)
        task.prepare(make_config(train, dev).data)


def train_pipeline(
    out: str | Path,
    train: str | None,
    dev: str | None,
    *,
    plans: dict[str, PartPlan] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    verbose: bool = True,
) -> list[PartOutcome]:
    """Train the tokenizer, the tagger and the lemmatizer into ``out/<part>`` in order
    (module docstring); ``plans`` gives a part its budget and epochs.

    Raises:
        ValueError: ``resume`` with ``overwrite``; no ``train``/``dev`` where a part must
            start; a part folder in the way (without ``resume``/``overwrite``); the
            run-folder and data errors of the parts' tasks.
    """
    if resume and overwrite:
        raise ValueError("--resume and --overwrite exclude each other")
    plans = plans or {}
    unknown = set(plans) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown pipeline parts {sorted(unknown)} (parts: {', '.join(PARTS)})")
    out = Path(out)
    statuses = {part: part_status(out / part) for part in PARTS}
    starting = [part for part in PARTS if not resume or statuses[part] == NEW]
    if starting and (train is None or dev is None):
        raise ValueError(f"the {starting[0]} must be trained: give --train and --dev")
    if starting:
        check_data(starting, train, dev)
    outcomes = []
    for part in PARTS:
        run_dir = out / part
        status = statuses[part]
        if resume and status == FINISHED:
            if verbose:
                print(f"{part}: finished in {run_dir}, skipped", flush=True)
            outcomes.append(PartOutcome(part, status, False, {}))
            continue
        task, make_config = _task(part)
        plan = plans.get(part, PartPlan())
        if verbose:
            print(f"{part}: {'resuming' if status == UNFINISHED and resume else 'training'} "
                  f"in {run_dir}", flush=True)
        if resume and status == UNFINISHED:
            result = task.train(run_dir, None, resume=True, overrides=plan.overrides())
        else:
            config = make_config(train, dev)
            config = dataclasses.replace(config, loop=plan.overrides(part).apply(config.loop))
            result = task.train(run_dir, config, overwrite=overwrite)
        if verbose:
            shown = ", ".join(f"{name} {value:.4f}" for name, value in result.dev.items())
            print(f"{part}: dev {shown}; model in {run_dir / BEST_DIR}", flush=True)
        outcomes.append(PartOutcome(part, status, True, dict(result.dev)))
    return outcomes
