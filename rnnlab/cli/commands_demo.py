"""``rnnlab demo NAME``: the lecture's experiments (see :mod:`rnnlab.demos`).

Every demo takes ``--seed``, ``--out DIR`` (default ``runs/demo-NAME``) and
``--no-progress``; it prints a summary and writes its figures and ``metrics.json`` to DIR.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from rnnlab.cli.flags import add_model_flag
from rnnlab.cli.values import integer, non_negative_int, positive, positive_int, run_folder

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.demos.common import DemoReport

Builder = Callable[[argparse.ArgumentParser], None]


def _add_demo(groups: CommandGroups, name: str, help_text: str,
              run: Callable[[argparse.Namespace], DemoReport], build: Builder) -> None:
    """Declare ``rnnlab demo NAME`` with the flags every demo has and those of ``build``."""
    def build_all(parser: CommandParser) -> None:
        parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed")
        parser.add_argument("--out", metavar="DIR", type=run_folder, default=f"runs/demo-{name}",
                            help="folder for figures and numbers")
        parser.add_argument("--no-progress", dest="progress", action="store_false",
                            help="hide the progress bar")
        build(parser)
        parser.set_defaults(handler=handler)

    def handler(args: argparse.Namespace) -> int:
        print(run(args).text())
        return 0

    groups.demo.add_parser(name, help=help_text, description=help_text, build=build_all)


# ------------------------------------------------------------------- addition
def _addition(args: argparse.Namespace) -> DemoReport:
    from rnnlab.demos.addition import AdditionConfig, run_addition

    return run_addition(AdditionConfig(
        base=args.base, cell=args.cell, compare=args.compare, hidden_size=args.hidden_size,
        num_layers=args.layers, train_digits=args.train_digits, test_digits=args.test_digits,
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed, out=args.out,
        progress=args.progress,
    ))


def _addition_flags(p: argparse.ArgumentParser) -> None:
    from rnnlab.demos.addition import AdditionConfig
    from rnnlab.recurrent.factory import CELL_NAMES

    add = AdditionConfig()
    p.add_argument("--base", type=integer(2), default=add.base,
                   help="number base of the digits, e.g. 2 or 10")
    p.add_argument("--cell", choices=CELL_NAMES, default=add.cell, help="recurrent cell")
    p.add_argument("--compare", action="store_true", help="train RNN, GRU and LSTM and compare")
    p.add_argument("--hidden-size", type=positive_int, default=add.hidden_size,
                   help="hidden size of each layer")
    p.add_argument("--layers", type=positive_int, default=add.num_layers,
                   help="number of stacked recurrent layers")
    p.add_argument("--train-digits", type=positive_int, default=add.train_digits,
                   help="longest training number (digits)")
    p.add_argument("--test-digits", type=positive_int, default=add.test_digits,
                   help="longest test number (digits)")
    p.add_argument("--steps", type=positive_int, default=add.steps, help="training steps")
    p.add_argument("--batch-size", type=positive_int, default=add.batch_size,
                   help="additions per training step")
    p.add_argument("--lr", type=positive, default=add.lr, help="learning rate")


# ------------------------------------------------------------------ gradients
def _gradients(args: argparse.Namespace) -> DemoReport:
    from rnnlab.demos.gradients import GradientsConfig, run_gradients

    return run_gradients(GradientsConfig(
        hidden_size=args.hidden_size, length=args.length, train_length=args.train_length,
        train_steps=args.steps, explode_gain=args.gain, explode_steps=args.explode_steps,
        clip_norm=args.clip, seed=args.seed, out=args.out, progress=args.progress,
    ))


def _gradients_flags(p: argparse.ArgumentParser) -> None:
    from rnnlab.demos.gradients import GradientsConfig

    grad = GradientsConfig()
    p.add_argument("--hidden-size", type=positive_int, default=grad.hidden_size,
                   help="hidden size of each cell")
    p.add_argument("--length", type=positive_int, default=grad.length,
                   help="steps of the measured sequences")
    p.add_argument("--train-length", type=positive_int, default=grad.train_length,
                   help="steps of the training sequences")
    p.add_argument("--steps", type=positive_int, default=grad.train_steps,
                   help="training steps")
    p.add_argument("--gain", type=positive, default=grad.explode_gain,
                   help="recurrent weight scale of the exploding-gradient run")
    p.add_argument("--explode-steps", type=positive_int, default=grad.explode_steps,
                   help="training steps of the exploding-gradient run")
    p.add_argument("--clip", type=positive, default=grad.clip_norm,
                   help="gradient-norm bound of the clipped run")


# ------------------------------------------------------------------ agreement
def _agreement(args: argparse.Namespace) -> DemoReport:
    from rnnlab.demos.agreement import AgreementConfig, run_agreement

    return run_agreement(AgreementConfig(
        objective=args.objective, cells=tuple(args.cells.split(",")),
        hidden_size=args.hidden_size,
        train_distance=args.train_distance, test_distance=args.test_distance, steps=args.steps,
        seed=args.seed, out=args.out, progress=args.progress,
    ))


def _agreement_flags(p: argparse.ArgumentParser) -> None:
    from rnnlab.demos.agreement import OBJECTIVES, AgreementConfig

    agr = AgreementConfig()
    p.add_argument("--objective", choices=OBJECTIVES, default=agr.objective,
                   help="lm: word-by-word language model; classify: was/were classifier on "
                        "the last state")
    p.add_argument("--cells", default=",".join(agr.cells),
                   help="comma-separated cells to train")
    p.add_argument("--hidden-size", type=positive_int, default=agr.hidden_size,
                   help="hidden size of each cell")
    p.add_argument("--train-distance", type=positive_int, default=agr.train_distance,
                   help="longest training clause (words)")
    p.add_argument("--test-distance", type=positive_int, default=agr.test_distance,
                   help="longest test clause (words)")
    p.add_argument("--steps", type=positive_int, default=agr.steps,
                   help="training steps per cell")


# ---------------------------------------------------------------------- gates
def _gates(args: argparse.Namespace) -> DemoReport:
    from rnnlab.demos.gates import GatesConfig, run_gates

    return run_gates(GatesConfig(
        model=args.model, base=args.base, hidden_size=args.hidden_size, num_layers=args.layers,
        steps=args.steps, digits=args.digits, seed=args.seed, out=args.out,
        progress=args.progress,
    ))


def _gates_flags(p: argparse.ArgumentParser) -> None:
    from rnnlab.demos.gates import GatesConfig

    gat = GatesConfig()
    p.add_argument("--model", metavar="PATH", default=None,
                   help="an LSTM model folder written by `rnnlab demo addition --cell lstm` "
                        "(e.g. runs/demo-addition/model-lstm); none given: train one here")
    p.add_argument("--base", type=integer(2), default=gat.base,
                   help="number base, when training here")
    p.add_argument("--hidden-size", type=positive_int, default=gat.hidden_size,
                   help="hidden size, when training here")
    p.add_argument("--layers", type=positive_int, default=gat.num_layers,
                   help="number of layers, when training here")
    p.add_argument("--steps", type=positive_int, default=gat.steps,
                   help="training steps, when training here")
    p.add_argument("--digits", type=positive_int, default=gat.digits,
                   help="digits per number in the sequences examined")


# -------------------------------------------------------------------- tagging
def _build_tagging(parser: CommandParser) -> None:
    add_model_flag(parser, "a part-of-speech tagger", shipped="the shipped English model")
    parser.add_argument("sentences", nargs="*",
                        help="sentences to tag (none given: a few built-in ones)")

    def handler(args: argparse.Namespace) -> int:
        from rnnlab.demos.tagging import TaggingDemoConfig, run_tagging_demo

        config = TaggingDemoConfig(model=args.model)
        if args.sentences:
            config.sentences = args.sentences
        print(run_tagging_demo(config))
        return 0

    parser.set_defaults(handler=handler)


# ------------------------------------------------------------------ raw text
def _build_pipeline(parser: CommandParser) -> None:
    parser.add_argument("--tokenizer", metavar="PATH", default=None,
                        help="tokenizer model or run folder (none given: the shipped one)")
    add_model_flag(parser, "a part-of-speech tagger", shipped="the shipped English model")
    parser.add_argument("text", nargs="?", default=None,
                        help="raw text to annotate (none given: a built-in paragraph)")

    def handler(args: argparse.Namespace) -> int:
        from rnnlab.demos.raw_text import TEXT, run_pipeline_demo

        print(run_pipeline_demo(args.text or TEXT, args.tokenizer, args.model))
        return 0

    parser.set_defaults(handler=handler)


def register(groups: CommandGroups) -> None:
    help_text = "LECTURE §3.1: tag a few sentences with the shipped English POS tagger"
    groups.demo.add_parser("tagger", help=help_text, description=help_text,
                           build=_build_tagging)
    help_text = "raw text to CoNLL-U: the shipped English pipeline on a short paragraph"
    groups.demo.add_parser("pipeline", help=help_text, description=help_text,
                           build=_build_pipeline)
    _add_demo(groups, "addition", "LECTURE §1: learn to add digit by digit, the carry in "
              "the hidden state", _addition, _addition_flags)
    _add_demo(groups, "gradients", "LECTURE §5: ‖∂L/∂h_t‖ against distance for RNN, GRU "
              "and LSTM; exploding gradients and clipping", _gradients, _gradients_flags)
    _add_demo(groups, "agreement", "LECTURE §5: was/were after a clause — accuracy "
              "against distance and attractors for RNN, GRU and LSTM", _agreement,
              _agreement_flags)
    _add_demo(groups, "gates", "LECTURE §6: input, forget and output gates and the cell "
              "state of a trained LSTM; how saturated the gates are", _gates, _gates_flags)
