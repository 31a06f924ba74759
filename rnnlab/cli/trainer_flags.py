"""The training-loop flags every ``rnnlab train …`` command shares, and the
:class:`~rnnlab.training.trainer.TrainerConfig` they make.

Each command passes its own defaults (a tagger trains 18 epochs with a plateau schedule,
a language model follows Zaremba's SGD recipe, …); the flags and their meaning are the
same everywhere.
"""

from __future__ import annotations

import argparse
from typing import Any

from rnnlab.training.trainer import TrainerConfig

_LOOP = TrainerConfig()


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
    """Add --epochs, --optimizer, --lr, --weight-decay, --lazy-embedding-updates,
    --average-decay, --clip, --lr-schedule, --lr-decay, --lr-decay-start, --patience,
    --time-budget, --checkpoint-every, --seed, --resume and --no-progress, with the given
    defaults."""
    p = parser
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default=optimizer)
    p.add_argument("--lr", type=float, default=lr, help="learning rate")
    p.add_argument("--weight-decay", type=float, default=_LOOP.weight_decay,
                   help="L2 penalty added to the gradient (0: off)")
    p.add_argument("--lazy-embedding-updates", action="store_true",
                   help="Adam updates only the embedding rows each batch looks up (lazy "
                        "Adam: much faster with large vocabularies; a different optimiser)")
    p.add_argument("--average-decay", type=float, default=0.0,
                   help="evaluate and keep an exponential moving average of the weights, "
                        "θ̄ ← dθ̄ + (1−d)θ after every update (e.g. 0.999; 0: off)")
    p.add_argument("--clip", type=float, default=_LOOP.clip_norm,
                   help="gradient-norm clip (0: off)")
    p.add_argument("--lr-schedule", choices=("none", "step", "plateau"), default=lr_schedule,
                   help="step: multiply by --lr-decay after each epoch from "
                        "--lr-decay-start on; plateau: when the dev metric stops improving")
    p.add_argument("--lr-decay", type=float, default=_LOOP.lr_decay)
    p.add_argument("--lr-decay-start", type=int, default=lr_decay_start,
                   help="step schedule: decay after this epoch and every later one")
    p.add_argument("--patience", type=int, default=patience,
                   help="stop after this many epochs without dev improvement (0: never)")
    p.add_argument("--time-budget", type=float, default=0.0,
                   help="stop after this many minutes of training, summed over resumes "
                        "(0: no limit); the best model so far is kept")
    p.add_argument("--checkpoint-every", type=int, default=checkpoint_every,
                   help="steps between checkpoints (0: at epoch ends only)")
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted or finished run in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def trainer_config_from_args(args: argparse.Namespace, **fixed: Any) -> TrainerConfig:
    """The loop configuration of the flags above; ``fixed`` sets what a command decides
    itself (``monitor``, ``monitor_mode``). Arguments saved by an earlier version without
    a flag fall back to its default."""
    return TrainerConfig(
        epochs=args.epochs,
        optimizer=getattr(args, "optimizer", _LOOP.optimizer),
        lr=args.lr,
        weight_decay=getattr(args, "weight_decay", _LOOP.weight_decay),
        clip_norm=args.clip,
        lr_schedule=args.lr_schedule,
        lr_decay=args.lr_decay,
        lr_decay_start=getattr(args, "lr_decay_start", _LOOP.lr_decay_start),
        patience=args.patience,
        time_budget_minutes=getattr(args, "time_budget", 0.0),
        lazy_embedding_updates=getattr(args, "lazy_embedding_updates", False),
        average_decay=getattr(args, "average_decay", 0.0),
        checkpoint_every=getattr(args, "checkpoint_every", _LOOP.checkpoint_every),
        seed=args.seed,
        progress=not args.no_progress,
        **fixed,
    )
