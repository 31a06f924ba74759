"""The flags every ``rnnlab train …`` command shares, and flags → task config.

Each command passes its own loop defaults (a tagger trains 18 epochs with a plateau
schedule, a language model follows Zaremba's SGD recipe, …); the flags and their meaning are
the same everywhere. A flag's ``dest`` is the name of the config field it sets, so
:func:`config_from_args` builds any task config from the parsed flags, and on ``--resume``
:func:`resume_config` can name the flag that would change a saved setting.

``--resume`` continues a run with the config in its ``run.json``; the loop flags of
:data:`~rnnlab.training.run_folder.LOOP_OVERRIDES` (``--epochs``, ``--time-budget``,
``--patience``, ``--checkpoint-every``, ``--no-progress``) may be given again and are
honoured; any other flag given with a value that differs from the saved one is an error
naming the flag.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any, TypeVar

from rnnlab.cli.values import (
    below_one,
    non_negative,
    non_negative_int,
    positive,
    positive_int,
)
from rnnlab.training.run_folder import (
    LOOP_OVERRIDES,
    LoopOverrides,
    RunFolder,
    config_fields,
    config_sections,
    config_values,
    normalise_value,
)
from rnnlab.training.trainer import BUDGET_CLOCKS, LR_SCHEDULES, TrainerConfig

C = TypeVar("C")
_LOOP = TrainerConfig()
_GIVEN = "_given_flags"  # namespace attribute: {dest: option string the user typed}


def add_trainer_flags(
    parser: argparse.ArgumentParser,
    *,
    epochs: int = _LOOP.epochs,
    optimizer: str = _LOOP.optimizer,
    lr: float = _LOOP.lr,
    lr_schedule: str = _LOOP.lr_schedule,
    lr_decay_start: int = _LOOP.lr_decay_start,
    patience: int = _LOOP.patience,
    checkpoint_every: int = _LOOP.checkpoint_every,
    seed: int = _LOOP.seed,
) -> None:
    """Add the loop flags (``dest`` = :class:`TrainerConfig` field) and --resume /
    --overwrite, with the given defaults."""
    p = parser
    p.add_argument("--epochs", type=positive_int, default=epochs,
                   help="passes over the training data (may be raised on --resume)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default=optimizer,
                   help="update rule")
    p.add_argument("--lr", type=positive, default=lr, help="learning rate")
    p.add_argument("--weight-decay", type=non_negative, default=_LOOP.weight_decay,
                   help="L2 penalty added to the gradient (0: off)")
    p.add_argument("--lazy-embedding-updates", action="store_true",
                   help="Adam updates only the embedding rows each batch looks up (lazy "
                        "Adam: much faster with large vocabularies; a different optimiser)")
    p.add_argument("--average-decay", type=below_one, default=_LOOP.average_decay,
                   help="evaluate and keep an exponential moving average of the weights, "
                        "θ̄ ← dθ̄ + (1−d)θ after every update (e.g. 0.999; 0: off)")
    p.add_argument("--clip", dest="clip_norm", type=non_negative, default=_LOOP.clip_norm,
                   help="gradient-norm clip (0: off)")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=lr_schedule,
                   help="step: multiply by --lr-decay after each epoch from "
                        "--lr-decay-start on; plateau: when the dev metric stops improving; "
                        "cosine: anneal to 0 over --time-budget (lr·½(1+cos(π·t/budget)))")
    p.add_argument("--lr-decay", type=positive, default=_LOOP.lr_decay,
                   help="factor the learning rate is multiplied by at each decay")
    p.add_argument("--lr-decay-start", type=non_negative_int, default=lr_decay_start,
                   help="step schedule: decay after this epoch and every later one")
    p.add_argument("--patience", type=non_negative_int, default=patience,
                   help="stop after this many epochs without dev improvement (0: never)")
    p.add_argument("--time-budget", dest="time_budget_minutes", type=non_negative,
                   default=_LOOP.time_budget_minutes,
                   help="stop after this many minutes of training, summed over resumes "
                        "(0: no limit); the model at the stop is kept when no epoch has "
                        "ended or when it beats the best epoch's")
    p.add_argument("--budget-clock", choices=tuple(BUDGET_CLOCKS), default=_LOOP.budget_clock,
                   help="what --time-budget counts: wall-clock time of the training steps, "
                        "or the process's CPU time in them (all threads; runs compared on a "
                        "shared machine then get the same training whatever the load)")
    p.add_argument("--checkpoint-every", type=non_negative_int, default=checkpoint_every,
                   help="steps between checkpoints (0: at epoch ends only)")
    p.add_argument("--seed", type=non_negative_int, default=seed,
                   help="random seed of the weights, dropout and batch order")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out with its saved settings (loop flags "
                        "such as --epochs and --time-budget may be given again)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in a non-empty --out (its run files are removed)")


# ------------------------------------------------------------- flags the user gave
def _recording(action_class: type[argparse.Action]) -> type[argparse.Action]:
    class Recording(action_class):  # type: ignore[misc, valid-type]
        def __call__(self, parser, namespace, values, option_string=None):
            given = getattr(namespace, _GIVEN, None)
            if given is None:
                given = {}
                setattr(namespace, _GIVEN, given)
            given[self.dest] = option_string or self.dest
            super().__call__(parser, namespace, values, option_string)

    Recording.__name__ = f"Recording{action_class.__name__}"
    return Recording


_RECORDING: dict[type, type] = {}


def track_given_flags(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` remember which options the command line gave (see
    :func:`given_flags`); call it once every option is added."""
    for action in parser._actions:  # argparse has no public list of a parser's actions
        if not action.option_strings or action.dest == argparse.SUPPRESS:
            continue
        base = type(action)
        if base not in _RECORDING.values():
            action.__class__ = _RECORDING.setdefault(base, _recording(base))


def given_flags(args: argparse.Namespace) -> dict[str, str]:
    """``{dest: flag as typed}`` of the options given on the command line (needs
    :func:`track_given_flags`)."""
    return dict(getattr(args, _GIVEN, {}))


def loop_overrides(args: argparse.Namespace) -> LoopOverrides:
    """The loop flags that only extend or limit a run, where given."""
    given = given_flags(args)
    return LoopOverrides(**{name: getattr(args, name) for name in LOOP_OVERRIDES
                            if name in given})


# ------------------------------------------------------------------ flags → config
def config_from_args(cls: type[C], args: argparse.Namespace, **fixed: Any) -> C:
    """The task config ``cls`` of the parsed flags: each leaf field from the flag whose
    ``dest`` is its name (its default where no flag sets it), ``fixed`` where the command
    decides (e.g. ``monitor``)."""
    sections = config_sections(cls)
    kwargs = {}
    for f in fields(cls):
        if f.name in sections:
            kwargs[f.name] = config_from_args(sections[f.name], args, **fixed)
        elif f.name in fixed:
            kwargs[f.name] = fixed[f.name]
        elif hasattr(args, f.name):
            kwargs[f.name] = getattr(args, f.name)
    return cls(**kwargs)


def missing_flags(args: argparse.Namespace, *dests: str) -> list[str]:
    """``--flag`` of each of ``dests`` that has no value."""
    return [f"--{d.replace('_', '-')}" for d in dests if getattr(args, d, None) is None]


def require_flags(args: argparse.Namespace, *dests: str) -> None:
    """A new run needs these flags (``--resume`` takes them from the run folder)."""
    missing = missing_flags(args, *dests)
    if missing:
        raise ValueError(f"{' and '.join(missing)} required (unless --resume)")


def resume_config(
    args: argparse.Namespace, task: str, cls: type[C], required: tuple[str, ...], **fixed: Any
) -> C | None:
    """What a ``--resume`` hands the task: None when the run folder's ``run.json`` has the
    config (after checking that no given flag contradicts it), or, for a run saved without
    one, the config of the flags when they are all there.

    Raises:
        ValueError: a given flag differs from the saved setting (naming the flag).
    """
    saved = RunFolder(args.out).saved_config(task, cls)
    if saved is None:
        return None if missing_flags(args, *required) else config_from_args(cls, args, **fixed)
    settings, values = config_fields(cls), config_values(saved)
    conflicts = []
    for dest, flag in given_flags(args).items():
        if dest in LOOP_OVERRIDES or dest not in settings:
            continue
        value = normalise_value(settings[dest], getattr(args, dest))
        if value != values[dest]:
            conflicts.append(f"{flag} {value!r} differs from the run's {values[dest]!r}")
    if conflicts:
        raise ValueError(f"--resume continues {args.out} with its saved settings: "
                         f"{'; '.join(conflicts)} (drop the flag, or start a new run)")
    return None

