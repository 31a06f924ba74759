"""``rnnlab train lemmatizer``, ``rnnlab lemmatize`` and ``rnnlab eval lemmatizer``.

``rnnlab lemmatize`` fills the LEMMA column of CoNLL-U from its FORM, UPOS and FEATS
columns (every other byte kept); without ``--model`` the shipped English model (UD
English EWT) is used. Training and scoring are :mod:`rnnlab.tasks.lemmatization`; this
module holds the flags and the printing.
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
    add_sentence_limit_flag,
    add_training_data_flags,
)
from rnnlab.cli.values import below_one, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.models.lemmatizer import Lemmatizer

MONITOR = {"monitor": "lemma_accuracy", "monitor_mode": "max"}
SHIPPED = "the shipped English model (UD English EWT)"


def load_lemmatizer(path: str | None) -> Lemmatizer:
    """The shipped English model (``path`` None), or the lemmatizer in a model or run
    folder."""
    from rnnlab.models import open_model_dir
    from rnnlab.models.lemmatizer import Lemmatizer

    return Lemmatizer.load() if path is None else open_model_dir(path, kind="lemmatizer")


# ------------------------------------------------------------------ handlers
def run_train(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import lemmatization as task

    run = run_training(args, task, task.LemmatizationConfig, ("train", "dev"), **MONITOR)
    result = run.result
    print(f"{run.took}; dev lemma accuracy {100 * result.dev['lemma_accuracy']:.2f}% "
          f"({result.outcome.saved_from}); model in {run.model_dir}")
    return 0


def run_lemmatize(args: argparse.Namespace) -> int:
    from rnnlab.tasks import lemmatization as task

    refuse_overwriting_inputs(args.output, "--output", [("--input", args.input)])
    model = load_lemmatizer(args.model)
    text, source = read_input(args.input, keep_bom=True)
    write_output(task.lemmatize_conllu(model, text, source), args.output)
    return 0


def format_report(result: dict) -> str:
    """A human-readable evaluation summary."""
    return "\n".join([
        f"{result['sentences']} sentences, {result['words']} words with a gold lemma "
        f"({result['words_per_second']:.0f} words/s)",
        f"lemma accuracy {100 * result['lemma_accuracy']:.2f}%",
        f"  seen forms:   {result['seen_words']} words, "
        f"{100 * result['seen_accuracy']:.2f}%",
        f"  unseen forms: {result['unseen_words']} words, "
        f"{100 * result['unseen_accuracy']:.2f}%",
        f"UPOS: {result['upos_from']}",
    ])


def run_eval(args: argparse.Namespace) -> int:
    from rnnlab.tasks import lemmatization as task

    model = load_lemmatizer(args.model)
    sentences = task.read_lemmatized(args.data)
    upos = None
    if args.tagger is not None:
        from rnnlab.models import open_model_dir

        tagger = open_model_dir(args.tagger, kind="pos_tagger")
        upos, _ = tagger.predict([s.words for s in sentences], progress=False)
    result = task.evaluate(model, sentences, upos)
    result["upos_from"] = "gold" if args.tagger is None else f"tagger {args.tagger}"
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


# -------------------------------------------------------------------- parsers
def _build_train(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
    from rnnlab.tasks import lemmatization as task

    defaults = task.LemmatizationConfig()
    model, loop = defaults.model, defaults.loop
    add_training_data_flags(p, train="training CoNLL-U file with lemmas",
                            dev_use="its lemma accuracy picks the best epoch")
    add_run_folder_flag(p)
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="distinct training words per batch")
    p.add_argument("--char-dim", type=positive_int, default=model.char_dim,
                   help="character (and tag token) embedding size")
    p.add_argument("--hidden-size", "--hidden", dest="hidden", type=positive_int,
                   default=model.hidden,
                   help="encoder BiLSTM size per direction (the decoder has twice this)")
    p.add_argument("--layers", type=positive_int, default=model.layers,
                   help="number of stacked encoder and decoder LSTM layers")
    p.add_argument("--dropout", type=below_one, default=model.dropout,
                   help="dropout on embeddings, between layers and before the outputs")
    p.add_argument("--min-freq", dest="min_char_freq", type=positive_int,
                   default=model.min_char_freq,
                   help="characters seen fewer times share the <unk> embedding")
    p.add_argument("--max-word-chars", type=positive_int, default=model.max_word_chars,
                   help="longer unseen words keep their form as lemma")
    p.add_argument("--max-extra-chars", type=positive_int, default=model.max_extra_chars,
                   help="a generated lemma has at most this many characters more than "
                        "its form")
    p.add_argument("--use-feats", action="store_true",
                   help="give the network each word's FEATS as well as its UPOS")
    add_sentence_limit_flag(p)
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      patience=loop.patience)
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def _build_lemmatize(p: CommandParser) -> None:
    add_model_flag(p, shipped=SHIPPED)
    add_input_flag(p, "CoNLL-U file with UPOS (and FEATS)")
    add_output_flag(p, "CoNLL-U file to write")
    p.set_defaults(handler=run_lemmatize)


def _build_eval(p: CommandParser) -> None:
    add_model_flag(p, shipped=SHIPPED)
    p.add_argument("--data", metavar="FILE", required=True,
                   help="gold CoNLL-U file with lemmas")
    p.add_argument("--tagger", metavar="PATH", default=None,
                   help="a tagger (model or run folder) whose UPOS replaces the gold UPOS "
                        "(none given: gold UPOS)")
    add_json_flag(p, "the full result")
    p.set_defaults(handler=run_eval)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "lemmatizer", help="train a lemmatizer on CoNLL-U files",
        description="Train a lemmatizer: a dictionary of the training words, and a "
        "character encoder-decoder with attention and an edit classifier (identity, "
        "lower-case, generate) for the words the dictionary lacks.",
        build=_build_train)
    groups.top.add_parser(
        "lemmatize", help="fill the LEMMA column of tagged CoNLL-U",
        description="Lemmatize CoNLL-U from its FORM, UPOS and FEATS columns; every other "
        "byte is kept.",
        build=_build_lemmatize)
    groups.eval.add_parser(
        "lemmatizer", help="score a lemmatizer on a gold CoNLL-U file",
        description="Lemma accuracy over all words, on words whose form training saw and "
        "on the rest; with gold UPOS or a tagger's.",
        build=_build_eval)
