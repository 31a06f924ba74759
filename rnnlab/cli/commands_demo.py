"""``rnnlab demo NAME``: the lecture's experiments (see :mod:`rnnlab.demos`).

Every demo takes ``--seed`` (default 0), ``--out DIR`` (default ``runs/demo-NAME``) and
``--no-progress``; it prints a summary and writes its figures and ``metrics.json`` to DIR.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rnnlab.cli import CommandGroups
from rnnlab.demos.addition import AdditionConfig, run_addition
from rnnlab.demos.agreement import OBJECTIVES, AgreementConfig, run_agreement
from rnnlab.demos.common import DemoReport
from rnnlab.demos.gates import GatesConfig, run_gates
from rnnlab.demos.gradients import GradientsConfig, run_gradients
from rnnlab.demos.tagging import TaggingDemoConfig, run_tagging_demo
from rnnlab.recurrent.factory import CELL_NAMES


def _add_demo(
    groups: CommandGroups, name: str, help_text: str,
    run: Callable[[argparse.Namespace], DemoReport],
) -> argparse.ArgumentParser:
    parser = groups.demo.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default=f"runs/demo-{name}",
                        help=f"folder for figures and numbers (default runs/demo-{name})")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")

    def handler(args: argparse.Namespace) -> int:
        print(run(args).text())
        return 0

    parser.set_defaults(handler=handler)
    return parser


def _addition(args: argparse.Namespace) -> DemoReport:
    return run_addition(AdditionConfig(
        base=args.base, cell=args.cell, compare=args.compare, hidden_size=args.hidden_size,
        num_layers=args.layers, train_digits=args.train_digits, test_digits=args.test_digits,
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed, out=args.out,
        progress=args.progress,
    ))


def _gradients(args: argparse.Namespace) -> DemoReport:
    return run_gradients(GradientsConfig(
        hidden_size=args.hidden_size, length=args.length, train_length=args.train_length,
        train_steps=args.steps, explode_gain=args.gain, explode_steps=args.explode_steps,
        clip_norm=args.clip, seed=args.seed, out=args.out, progress=args.progress,
    ))


def _agreement(args: argparse.Namespace) -> DemoReport:
    return run_agreement(AgreementConfig(
        objective=args.objective, cells=tuple(args.cells.split(",")),
        hidden_size=args.hidden_size,
        train_distance=args.train_distance, test_distance=args.test_distance, steps=args.steps,
        seed=args.seed, out=args.out, progress=args.progress,
    ))


def _gates(args: argparse.Namespace) -> DemoReport:
    return run_gates(GatesConfig(
        model=args.model, base=args.base, hidden_size=args.hidden_size, num_layers=args.layers,
        steps=args.steps, digits=args.digits, seed=args.seed, out=args.out,
        progress=args.progress,
    ))


def _register_tagging(groups: CommandGroups) -> None:
    help_text = "LECTURE §3.1: tag a few sentences with the shipped English POS tagger"
    parser = groups.demo.add_parser("tagger", help=help_text, description=help_text)
    parser.add_argument("--model", default=None, help="model directory (default: shipped)")
    parser.add_argument("sentences", nargs="*", help="sentences to tag (default: built-in)")

    def handler(args: argparse.Namespace) -> int:
        config = TaggingDemoConfig(model=args.model)
        if args.sentences:
            config.sentences = args.sentences
        print(run_tagging_demo(config))
        return 0

    parser.set_defaults(handler=handler)


def register(groups: CommandGroups) -> None:
    _register_tagging(groups)
    add = AdditionConfig()
    p = _add_demo(groups, "addition", "LECTURE §1: learn to add digit by digit, the carry in "
                  "the hidden state", _addition)
    p.add_argument("--base", type=int, default=add.base, help="2 (default) or 10")
    p.add_argument("--cell", choices=CELL_NAMES, default=add.cell, help="default rnn")
    p.add_argument("--compare", action="store_true", help="train RNN, GRU and LSTM and compare")
    p.add_argument("--hidden-size", type=int, default=add.hidden_size)
    p.add_argument("--layers", type=int, default=add.num_layers)
    p.add_argument("--train-digits", type=int, default=add.train_digits,
                   help=f"longest training number (default {add.train_digits})")
    p.add_argument("--test-digits", type=int, default=add.test_digits,
                   help=f"longest test number (default {add.test_digits})")
    p.add_argument("--steps", type=int, default=add.steps, help="training steps")
    p.add_argument("--batch-size", type=int, default=add.batch_size)
    p.add_argument("--lr", type=float, default=add.lr)

    grad = GradientsConfig()
    p = _add_demo(groups, "gradients", "LECTURE §5: ‖∂L/∂h_t‖ against distance for RNN, GRU "
                  "and LSTM; exploding gradients and clipping", _gradients)
    p.add_argument("--hidden-size", type=int, default=grad.hidden_size)
    p.add_argument("--length", type=int, default=grad.length,
                   help=f"steps of the measured sequences (default {grad.length})")
    p.add_argument("--train-length", type=int, default=grad.train_length)
    p.add_argument("--steps", type=int, default=grad.train_steps, help="training steps")
    p.add_argument("--gain", type=float, default=grad.explode_gain,
                   help="recurrent weight scale of the exploding-gradient run")
    p.add_argument("--explode-steps", type=int, default=grad.explode_steps)
    p.add_argument("--clip", type=float, default=grad.clip_norm, help="gradient-norm bound")

    agr = AgreementConfig()
    p = _add_demo(groups, "agreement", "LECTURE §5: was/were after a clause — accuracy "
                  "against distance and attractors for RNN, GRU and LSTM", _agreement)
    p.add_argument("--objective", choices=OBJECTIVES, default=agr.objective,
                   help="lm: word-by-word language model (default); classify: was/were "
                   "classifier on the last state")
    p.add_argument("--cells", default=",".join(agr.cells),
                   help="comma-separated cells to train (default rnn,gru,lstm)")
    p.add_argument("--hidden-size", type=int, default=agr.hidden_size)
    p.add_argument("--train-distance", type=int, default=agr.train_distance,
                   help=f"longest training clause in words (default {agr.train_distance})")
    p.add_argument("--test-distance", type=int, default=agr.test_distance)
    p.add_argument("--steps", type=int, default=agr.steps, help="training steps per cell")

    gat = GatesConfig()
    p = _add_demo(groups, "gates", "LECTURE §6: input, forget and output gates and the cell "
                  "state of a trained LSTM; how saturated the gates are", _gates)
    p.add_argument("--model", default=None,
                   help="an LSTM model directory written by `rnnlab demo addition --cell lstm` "
                   "(e.g. runs/demo-addition/model-lstm); default: train one here")
    p.add_argument("--base", type=int, default=gat.base, help="when training here")
    p.add_argument("--hidden-size", type=int, default=gat.hidden_size, help="when training here")
    p.add_argument("--layers", type=int, default=gat.num_layers, help="when training here")
    p.add_argument("--steps", type=int, default=gat.steps, help="when training here")
    p.add_argument("--digits", type=int, default=gat.digits,
                   help=f"digits per number in the sequences examined (default {gat.digits})")
