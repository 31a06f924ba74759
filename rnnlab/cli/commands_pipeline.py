"""``rnnlab train tokenizer``, ``rnnlab tokenize`` and ``rnnlab eval pipeline``.

Raw text in, CoNLL-U out (issue 18): the character-level tokenizer and sentence splitter
(:mod:`rnnlab.tasks.tokenization`) and the CoNLL 2018 shared task's scores
(:mod:`rnnlab.evaluation.conll18`). ``rnnlab eval pipeline`` scores a system file against
a gold one, or tokenizes raw text with a model first — the gold file's own running text
(:mod:`rnnlab.data.running_text`) unless ``--text`` gives another.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rnnlab.cli.files import read_input, refuse_overwriting_inputs, write_output
from rnnlab.cli.flags import (
    add_input_flag,
    add_json_flag,
    add_model_flag,
    add_output_flag,
    add_run_folder_flag,
    add_training_data_flags,
)
from rnnlab.cli.values import below_one, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.models.tokenizer import Tokenizer

MONITOR = {"monitor_mode": "max"}


def load_tokenizer(path: str | None) -> Tokenizer:
    """The tokenizer in a model folder or a training run's folder (None: the shipped
    English tokenizer)."""
    from rnnlab.models import open_model_dir
    from rnnlab.pipeline.pipeline import SHIPPED_TOKENIZER

    return open_model_dir(SHIPPED_TOKENIZER if path is None else path, kind="tokenizer")


# ------------------------------------------------------------------ handlers
def run_train(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import tokenization as task

    run = run_training(args, task, task.TokenizationConfig, ("train", "dev"),
                       monitor=task.MONITOR, **MONITOR)
    result = run.result
    shown = ", ".join(f"{name} {100 * result.dev[f'{name.lower()}_f1']:.2f}"
                      for name in ("Tokens", "Sentences", "Words"))
    print(f"{run.took}; dev F1: {shown} ({result.outcome.saved_from}); model in "
          f"{run.model_dir}")
    return 0


def run_tokenize(args: argparse.Namespace) -> int:
    from rnnlab.tasks import tokenization as task

    refuse_overwriting_inputs(args.output, "--output", [("--input", args.input)])
    model = load_tokenizer(args.model)
    text, _ = read_input(args.input)
    write_output(task.tokenize_to_conllu(model, text, args.batch_size), args.output)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from rnnlab.data.running_text import running_text
    from rnnlab.data.ud_document import parse_ud, read_ud
    from rnnlab.evaluation.conll18 import METRICS, evaluate, format_table
    from rnnlab.tasks import tokenization as task

    refuse_overwriting_inputs(args.output, "--output",
                              [("--gold", args.gold), ("--text", args.text)])
    gold = read_ud(args.gold)
    if args.system is not None:
        if args.model is not None or args.text is not None:
            raise ValueError("--system is scored as it is: give --model/--text without it")
        system, source = read_ud(args.system), args.system
    else:
        if args.model is None:
            raise ValueError("give --system (a CoNLL-U file to score) or --model (a "
                             "tokenizer to run on --text, or on the gold file's text)")
        text = running_text(gold) if args.text is None else read_input(args.text)[0]
        output = task.tokenize_to_conllu(load_tokenizer(args.model), text, args.batch_size)
        if args.output is not None:
            write_output(output, args.output)
        system, source = parse_ud(output, "<tokenizer output>"), "the tokenizer's output"
    scores = evaluate(gold, system, args.gold, source)
    if args.json:
        print(json.dumps({name: scores[name].to_dict() for name in METRICS}, indent=2))
    else:
        print(format_table(scores))
    return 0


# -------------------------------------------------------------------- parsers
def _build_train(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
    from rnnlab.tasks import tokenization as task

    defaults = task.TokenizationConfig()
    model, loop = defaults.model, defaults.loop
    add_training_data_flags(p, dev_use="its running text is tokenized and scored after "
                                       "every epoch")
    add_run_folder_flag(p)
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="paragraph pieces per batch")
    p.add_argument("--train-window", type=positive_int, default=defaults.train_window,
                   help="characters per training piece (longer paragraphs are cut at a "
                        "random place each epoch)")
    p.add_argument("--newline-rate", type=below_one, default=defaults.newline_rate,
                   help="fraction of training spaces turned into newlines")
    p.add_argument("--char-dim", type=positive_int, default=model.char_dim,
                   help="character embedding size")
    p.add_argument("--class-dim", type=positive_int, default=model.class_dim,
                   help="character-class embedding size")
    p.add_argument("--hidden-size", "--hidden", dest="hidden", type=positive_int,
                   default=model.hidden, help="BiLSTM size per direction")
    p.add_argument("--layers", type=positive_int, default=model.layers,
                   help="number of stacked BiLSTM layers")
    p.add_argument("--dropout", type=below_one, default=model.dropout,
                   help="dropout between layers and before the output layer")
    p.add_argument("--char-dropout", type=below_one, default=model.char_dropout,
                   help="probability of replacing a training character by <unk>")
    p.add_argument("--min-freq", dest="min_char_freq", type=positive_int,
                   default=model.min_char_freq,
                   help="characters seen fewer times share the <unk> embedding")
    p.add_argument("--window", type=positive_int, default=model.window,
                   help="characters read at once when tokenizing (longer paragraphs are "
                        "read in overlapping windows)")
    p.add_argument("--overlap", type=positive_int, default=model.overlap,
                   help="characters of context on each side of a window's kept part")
    p.add_argument("--train-limit", dest="train_limit", type=positive_int, default=None,
                   help="use only the first N training sentences (none given: all)")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      patience=loop.patience)
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def _build_tokenize(p: CommandParser) -> None:
    add_model_flag(p, "the tokenizer", shipped="the English tokenizer (UD EWT)")
    add_input_flag(p, "UTF-8 text file")
    add_output_flag(p, "CoNLL-U file to write")
    p.add_argument("--batch-size", type=positive_int, default=32,
                   help="text windows labelled at once")
    p.set_defaults(handler=run_tokenize)


def _build_eval(p: CommandParser) -> None:
    p.add_argument("--gold", metavar="FILE", required=True, help="gold CoNLL-U file")
    p.add_argument("--system", metavar="FILE", default=None,
                   help="system CoNLL-U file to score (none given: run --model)")
    p.add_argument("--model", metavar="PATH", default=None,
                   help="a tokenizer (model or run folder) to run instead of --system "
                        "(none given: score --system)")
    p.add_argument("--text", metavar="FILE", default=None,
                   help="raw text for --model (none given: the gold file's running text)")
    add_output_flag(p, "the CoNLL-U that --model produced", stdout=False)
    add_json_flag(p, "the scores")
    p.add_argument("--batch-size", type=positive_int, default=32,
                   help="text windows labelled at once")
    p.set_defaults(handler=run_eval)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "tokenizer", help="train a tokenizer and sentence splitter on CoNLL-U files",
        description="Train a character-level BiLSTM that labels token ends, sentence ends "
        "and multiword tokens, from the treebank's own text (# text, SpaceAfter=No, "
        "multiword ranges, paragraphs). The dev file's running text is tokenized after "
        "every epoch; the mean F1 of Tokens, Sentences and Words picks the best epoch.",
        build=_build_train)
    groups.top.add_parser(
        "tokenize", help="split raw text into sentences and tokens (CoNLL-U out)",
        description="Tokenize raw text with a trained tokenizer: paragraphs at blank lines, "
        "sentences, tokens with SpaceAfter=No and multiword tokens with their words.",
        build=_build_tokenize)
    groups.eval.add_parser(
        "pipeline", help="CoNLL 2018 shared task scores of a system against gold CoNLL-U",
        description="Tokens, Sentences, Words, UPOS, XPOS, UFeats, AllTags and Lemmas "
        "(precision, recall, F1, accuracy on aligned words) as the CoNLL 2018 shared task "
        "scores them. Score --system, or run --model on --text (none given: the gold "
        "file's running text, paragraphs separated by blank lines) and score its output.",
        build=_build_eval)
