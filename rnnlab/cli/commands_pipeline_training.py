"""``rnnlab train pipeline``: the tokenizer, the tagger and the lemmatizer in order, each in
its own run folder under ``--out`` (:mod:`rnnlab.tasks.pipeline_training`)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from rnnlab.cli.flags import add_run_folder_flag, add_training_data_flags
from rnnlab.cli.values import non_negative, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser

PARTS = ("tokenizer", "tagger", "lemmatizer")  # rnnlab.tasks.pipeline_training.PARTS
BUDGETS = {"tokenizer": 50, "tagger": 45, "lemmatizer": 20}  # pipeline_training's defaults


def run_train(args: argparse.Namespace) -> int:
    from rnnlab.tasks.pipeline_training import PartPlan, train_pipeline

    plans = {part: PartPlan(time_budget_minutes=getattr(args, f"{part}_time_budget"),
                            epochs=args.epochs, progress=False if not args.progress else None)
             for part in PARTS}
    wall = time.perf_counter()
    outcomes = train_pipeline(args.out, args.train, args.dev, plans=plans,
                              resume=args.resume, overwrite=args.overwrite)
    trained = [o.part for o in outcomes if o.trained]
    print(f"pipeline in {args.out}: trained {', '.join(trained) or 'nothing'} in "
          f"{time.perf_counter() - wall:.0f} s wall-clock")
    return 0


def _build_train(p: CommandParser) -> None:
    add_training_data_flags(p, dev_use="each part picks its best epoch on it",
                            required="required unless --resume finds every part started")
    add_run_folder_flag(p, "folder of the three run folders (tokenizer/, tagger/, "
                           "lemmatizer/)")
    for part in PARTS:
        p.add_argument(f"--{part}-time-budget", dest=f"{part}_time_budget", type=non_negative,
                       default=None,
                       help=f"minutes of training for the {part}, 0 for no limit (none "
                            f"given: {BUDGETS[part]} for a new run, the run's own on "
                            "--resume)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="most epochs of every part (none given: each part's own number)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")
    p.add_argument("--resume", action="store_true",
                   help="skip the finished parts, resume an unfinished one, start the rest")
    p.add_argument("--overwrite", action="store_true",
                   help="retrain every part, replacing the run folders under --out")
    p.set_defaults(handler=run_train)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "pipeline", help="train the tokenizer, tagger and lemmatizer in order",
        description="Train the raw-text pipeline on one treebank: the tokenizer and "
        "sentence splitter, the tagger and the lemmatizer, each with its default recipe, "
        "into OUT/tokenizer, OUT/tagger and OUT/lemmatizer. With --resume, finished parts "
        "are skipped and an interrupted one continues from its checkpoint.",
        build=_build_train)
