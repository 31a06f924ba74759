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
import sys
import time
from pathlib import Path

from rnnlab.cli.trainer_flags import (
    add_trainer_flags,
    config_from_args,
    loop_overrides,
    require_flags,
    resume_config,
    track_given_flags,
)
from rnnlab.data._files import read_utf8
from rnnlab.data.errors import DataFormatError
from rnnlab.data.running_text import running_text
from rnnlab.data.ud_document import parse_ud, read_ud
from rnnlab.evaluation.conll18 import METRICS, evaluate, format_table
from rnnlab.models import open_model_dir
from rnnlab.models.tokenizer import Tokenizer
from rnnlab.tasks import tokenization as task

STDIN = "<stdin>"
MONITOR = {"monitor": task.MONITOR, "monitor_mode": "max"}


def load_tokenizer(path: str) -> Tokenizer:
    """The tokenizer in a model folder or a training run's folder."""
    return open_model_dir(path, kind="tokenizer")


def read_text(path: str | None) -> tuple[str, str]:
    """``(text, source name)`` of a UTF-8 file, or of standard input when ``path`` is None."""
    if path is not None:
        return read_utf8(path), path
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), STDIN
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(STDIN, line, f"invalid UTF-8 byte sequence ({exc.reason})") from None


def write_text(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        Path(path).write_bytes(text.encode("utf-8"))


# ------------------------------------------------------------------ handlers
def run_train(args: argparse.Namespace) -> int:
    if args.resume:
        config = resume_config(args, task.TASK, task.TokenizationConfig, ("train", "dev"),
                               **MONITOR)
    else:
        require_flags(args, "train", "dev")
        config = config_from_args(task.TokenizationConfig, args, **MONITOR)
    wall, cpu = time.perf_counter(), time.process_time()
    result = task.train(args.out, config, resume=args.resume, overwrite=args.overwrite,
                        overrides=loop_overrides(args))
    outcome = result.outcome
    when = (f"epoch {outcome.best_epoch}" if outcome.best_epoch else
            f"the time-budget stop in epoch {outcome.budget_stop['epoch']}")
    shown = ", ".join(f"{name} {100 * result.dev[f'{name.lower()}_f1']:.2f}"
                      for name in ("Tokens", "Sentences", "Words"))
    print(f"training took {time.perf_counter() - wall:.0f} s wall-clock, "
          f"{time.process_time() - cpu:.0f} s CPU; dev F1: {shown} ({when}); model in "
          f"{Path(args.out) / 'model'}")
    return 0


def run_tokenize(args: argparse.Namespace) -> int:
    model = load_tokenizer(args.model)
    text, _ = read_text(args.input)
    write_text(task.tokenize_to_conllu(model, text, args.batch_size), args.output)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    gold = read_ud(args.gold)
    if args.system is not None:
        if args.model is not None or args.text is not None:
            raise ValueError("--system is scored as it is: give --model/--text without it")
        system, source = read_ud(args.system), args.system
    else:
        if args.model is None:
            raise ValueError("give --system (a CoNLL-U file to score) or --model (a "
                             "tokenizer to run on --text, or on the gold file's text)")
        text = running_text(gold) if args.text is None else read_text(args.text)[0]
        output = task.tokenize_to_conllu(load_tokenizer(args.model), text, args.batch_size)
        if args.output is not None:
            write_text(output, args.output)
        system, source = parse_ud(output, "<tokenizer output>"), "the tokenizer's output"
    scores = evaluate(gold, system, args.gold, source)
    if args.json:
        print(json.dumps({name: scores[name].to_dict() for name in METRICS}, indent=2))
    else:
        print(format_table(scores))
    return 0


# -------------------------------------------------------------------- parsers
def register(groups) -> None:
    defaults = task.TokenizationConfig()
    model, loop = defaults.model, defaults.loop
    p = groups.train.add_parser(
        "tokenizer", help="train a tokenizer and sentence splitter on CoNLL-U files",
        description="Train a character-level BiLSTM that labels token ends, sentence ends "
        "and multiword tokens, from the treebank's own text (# text, SpaceAfter=No, "
        "multiword ranges, paragraphs). The dev file's running text is tokenized after "
        "every epoch; the mean F1 of Tokens, Sentences and Words picks the best epoch.",
    )
    p.add_argument("--train", default=None, help="training CoNLL-U file")
    p.add_argument("--dev", "--valid", dest="dev", default=None,
                   help="dev CoNLL-U file (its running text is tokenized and scored)")
    p.add_argument("--out", required=True,
                   help="run folder (run.json, model/, checkpoint/, metrics.jsonl)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help="paragraph pieces per batch")
    p.add_argument("--train-window", type=int, default=defaults.train_window,
                   help="characters per training piece (longer paragraphs are cut at a "
                        "random place each epoch)")
    p.add_argument("--newline-rate", type=float, default=defaults.newline_rate,
                   help="fraction of training spaces turned into newlines")
    p.add_argument("--char-dim", type=int, default=model.char_dim,
                   help="character embedding size")
    p.add_argument("--class-dim", type=int, default=model.class_dim,
                   help="character-class embedding size")
    p.add_argument("--hidden-size", "--hidden", dest="hidden", type=int, default=model.hidden,
                   help="BiLSTM size per direction")
    p.add_argument("--layers", type=int, default=model.layers,
                   help="number of stacked BiLSTM layers")
    p.add_argument("--dropout", type=float, default=model.dropout,
                   help="dropout between layers and before the output layer")
    p.add_argument("--char-dropout", type=float, default=model.char_dropout,
                   help="probability of replacing a training character by <unk>")
    p.add_argument("--min-freq", dest="min_char_freq", type=int, default=model.min_char_freq,
                   help="characters seen fewer times share the <unk> embedding")
    p.add_argument("--window", type=int, default=model.window,
                   help="characters read at once when tokenizing (longer paragraphs are "
                        "read in overlapping windows)")
    p.add_argument("--overlap", type=int, default=model.overlap,
                   help="characters of context on each side of a window's kept part")
    p.add_argument("--train-limit", dest="train_limit", type=int, default=None,
                   help="use only the first N training sentences")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      patience=loop.patience)
    p.set_defaults(handler=run_train)
    track_given_flags(p)

    p = groups.top.add_parser(
        "tokenize", help="split raw text into sentences and tokens (CoNLL-U out)",
        description="Tokenize raw text with a trained tokenizer: paragraphs at blank lines, "
        "sentences, tokens with SpaceAfter=No and multiword tokens with their words.",
    )
    p.add_argument("--model", required=True,
                   help="a tokenizer's model folder, or its training run folder")
    p.add_argument("--input", default=None, help="UTF-8 text file (none given: standard "
                                                 "input)")
    p.add_argument("--output", default=None,
                   help="CoNLL-U file to write (none given: standard output)")
    p.add_argument("--batch-size", type=int, default=32, help="text windows labelled at once")
    p.set_defaults(handler=run_tokenize)

    p = groups.eval.add_parser(
        "pipeline", help="CoNLL 2018 shared task scores of a system against gold CoNLL-U",
        description="Tokens, Sentences, Words, UPOS, XPOS, UFeats, AllTags and Lemmas "
        "(precision, recall, F1, accuracy on aligned words) as the CoNLL 2018 shared task "
        "scores them. Score --system, or run --model on --text (none given: the gold "
        "file's running text, paragraphs separated by blank lines) and score its output.",
    )
    p.add_argument("--gold", required=True, help="gold CoNLL-U file")
    p.add_argument("--system", default=None, help="system CoNLL-U file to score")
    p.add_argument("--model", default=None,
                   help="a tokenizer (model or run folder) to run instead of --system")
    p.add_argument("--text", default=None,
                   help="raw text for --model (none given: the gold file's running text)")
    p.add_argument("--output", default=None,
                   help="also write the CoNLL-U that --model produced here")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--batch-size", type=int, default=32, help="text windows labelled at once")
    p.set_defaults(handler=run_eval)
