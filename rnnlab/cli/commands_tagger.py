"""``rnnlab train tagger``, ``rnnlab tag`` and ``rnnlab eval tagger`` (LECTURE §3.1, §11).

``rnnlab tag`` reads CoNLL-U (every byte kept except the UPOS/XPOS columns, which get the
predictions) or plain text (one sentence per line, tokenised with
``rnnlab.data.tokenize.tokenize_english``; the output is CoNLL-U). Without ``--model`` the
shipped English model (UD English EWT) is used; a training run folder works too. Training
and scoring are :mod:`rnnlab.tasks.tagging`; this module holds the flags and the printing.
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
from rnnlab.data._files import BOM, read_utf8, split_lines
from rnnlab.data.conllu_io import format_conllu, parse_conllu
from rnnlab.data.errors import DataFormatError
from rnnlab.data.tokenize import tokenize_english
from rnnlab.models import open_model_dir
from rnnlab.models.tagger import NO_TAG, Tagger
from rnnlab.tasks import tagging as task

STDIN = "<stdin>"
MONITOR = {"monitor": "upos_accuracy", "monitor_mode": "max"}


def load_tagger(path: str | None) -> Tagger:
    """The shipped English model (``path`` None), or the tagger in a model or run folder."""
    return Tagger.load() if path is None else open_model_dir(path, kind="pos_tagger")


def read_input(path: str | None) -> tuple[str, str]:
    """``(text, source name)`` of a UTF-8 file, or of standard input when ``path`` is None."""
    if path is not None:
        return read_utf8(path, keep_bom=True), path
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8"), STDIN
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(STDIN, line, f"invalid UTF-8 byte sequence ({exc.reason})") from None


def input_format(path: str | None, fmt: str | None) -> str:
    """``fmt`` if given, else conllu for *.conllu / *.conll files and text for anything else."""
    if fmt is not None:
        return fmt
    return "conllu" if path and Path(path).suffix.lower() in (".conllu", ".conll") else "text"


def tag_conllu(model: Tagger, text: str, source: str, batch_size: int) -> str:
    """The CoNLL-U ``text`` with UPOS (and XPOS, when the model predicts it) filled in."""
    sentences = parse_conllu(text, source=source)
    upos, xpos = model.predict([s.words for s in sentences], batch_size)
    return format_conllu(sentences, upos, xpos)


def tag_text(model: Tagger, text: str, batch_size: int) -> str:
    """CoNLL-U for plain text, one sentence per non-blank line (``# sent_id`` = line number)."""
    lines = [(number, line.strip()) for number, line in
             enumerate(split_lines(text.removeprefix(BOM)), start=1) if line.strip()]
    tokens = [tokenize_english(line) for _, line in lines]
    upos, xpos = model.predict(tokens, batch_size)
    out = []
    for i, (number, line) in enumerate(lines):
        out.append(f"# sent_id = {number}\n# text = {line}\n")
        for j, word in enumerate(tokens[i]):
            x = NO_TAG if xpos is None else xpos[i][j]
            out.append(f"{j + 1}\t{word}\t_\t{upos[i][j]}\t{x}\t_\t_\t_\t_\t_\n")
        out.append("\n")
    return "".join(out)


def write_output(text: str, path: str | None) -> None:
    data = text.encode("utf-8")
    if path is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(path).write_bytes(data)


# ------------------------------------------------------------------ handlers
def run_train(args: argparse.Namespace) -> int:
    if args.resume:
        config = resume_config(args, task.TASK, task.TaggingConfig, ("train", "dev"), **MONITOR)
    else:
        require_flags(args, "train", "dev")
        config = config_from_args(task.TaggingConfig, args, **MONITOR)
    wall, cpu = time.perf_counter(), time.process_time()
    result = task.train(args.out, config, resume=args.resume, overwrite=args.overwrite,
                        overrides=loop_overrides(args))
    outcome = result.outcome
    when = (f"epoch {outcome.best_epoch}" if outcome.best_epoch else
            f"the time-budget stop in epoch {outcome.budget_stop['epoch']}")
    print(f"training took {time.perf_counter() - wall:.0f} s wall-clock, "
          f"{time.process_time() - cpu:.0f} s CPU; dev UPOS accuracy "
          f"{100 * result.dev['upos_accuracy']:.2f}% ({when}); model in "
          f"{Path(args.out) / 'model'}")
    return 0


def run_tag(args: argparse.Namespace) -> int:
    model = load_tagger(args.model)
    text, source = read_input(args.input)
    if input_format(args.input, args.format) == "conllu":
        tagged = tag_conllu(model, text, source, args.batch_size)
    else:
        tagged = tag_text(model, text, args.batch_size)
    write_output(tagged, args.output)
    return 0


def format_report(result: dict) -> str:
    """A human-readable evaluation summary."""
    lines = [f"{result['sentences']} sentences, {result['tokens']} words "
             f"({result['tokens_per_second']:.0f} words/s)",
             f"UPOS accuracy {100 * result['upos_accuracy']:.2f}%"]
    if "xpos_accuracy" in result:
        lines.append(f"XPOS accuracy {100 * result['xpos_accuracy']:.2f}%")
    unseen = (f"unseen words: {result['unseen_tokens']}, "
              f"UPOS {100 * result['unseen_upos_accuracy']:.2f}%")
    if "unseen_xpos_accuracy" in result:
        unseen += f", XPOS {100 * result['unseen_xpos_accuracy']:.2f}%"
    lines += [unseen, "", f"{'UPOS':<8}{'prec':>8}{'recall':>8}{'F1':>8}{'support':>9}"]
    for tag, s in result["upos"]["per_tag"].items():
        lines.append(f"{tag:<8}{100 * s['precision']:8.2f}{100 * s['recall']:8.2f}"
                     f"{100 * s['f1']:8.2f}{s['support']:9d}")
    lines += ["", "most frequent UPOS confusions (gold -> predicted: count)"]
    lines += [f"  {c['gold']} -> {c['predicted']}: {c['count']}"
              for c in result["upos"]["confusions"]]
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    model = load_tagger(args.model)
    result = task.evaluate(model, task.read_gold_conllu(args.data), args.batch_size)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


# -------------------------------------------------------------------- parsers
def _add_model_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None,
                        help="a model folder, or a training run folder (its model/); "
                             "none given: the shipped English model")


def register(groups) -> None:
    defaults = task.TaggingConfig()
    model, loop = defaults.model, defaults.loop
    p = groups.train.add_parser(
        "tagger", help="train a part-of-speech tagger on CoNLL-U files",
        description="Train a word+character BiLSTM part-of-speech tagger (UPOS, and XPOS "
        "when the data has it). Defaults are the recipe of the shipped English model.",
    )
    p.add_argument("--train", default=None, help="training CoNLL-U file")
    p.add_argument("--dev", "--valid", dest="dev", default=None,
                   help="dev CoNLL-U file (UPOS accuracy picks the best epoch)")
    p.add_argument("--out", required=True,
                   help="run folder (run.json, model/, checkpoint/, metrics.jsonl)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help="sentences per batch")
    p.add_argument("--embed-dim", "--word-dim", dest="word_dim", type=int,
                   default=model.word_dim, help="word embedding size")
    p.add_argument("--char-dim", type=int, default=model.char_dim,
                   help="character embedding size")
    p.add_argument("--char-hidden-size", "--char-hidden", dest="char_hidden", type=int,
                   default=model.char_hidden, help="character BiLSTM size per direction")
    p.add_argument("--hidden-size", "--hidden", dest="hidden", type=int, default=model.hidden,
                   help="word BiLSTM size per direction")
    p.add_argument("--layers", type=int, default=model.layers,
                   help="number of stacked word BiLSTM layers")
    p.add_argument("--dropout", type=float, default=model.dropout,
                   help="dropout on the word representations and between layers")
    p.add_argument("--word-dropout", type=float, default=model.word_dropout,
                   help="probability of replacing a training word by <unk>")
    p.add_argument("--min-freq", dest="min_word_freq", type=int, default=model.min_word_freq,
                   help="words seen fewer times share the <unk> embedding")
    p.add_argument("--max-word-chars", type=int, default=model.max_word_chars,
                   help="characters of a word the character BiLSTM reads")
    p.add_argument("--word-init-std", type=float, default=model.word_init_std,
                   help="standard deviation of the initial word vectors")
    p.add_argument("--crf", action="store_true", help="linear-chain CRF head for UPOS")
    p.add_argument("--train-limit", "--max-train-sentences", dest="train_limit", type=int,
                   default=None, help="use only the first N training sentences")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      patience=loop.patience)
    p.set_defaults(handler=run_train)
    track_given_flags(p)

    p = groups.top.add_parser(
        "tag", help="tag CoNLL-U or plain text with a part-of-speech tagger",
        description="Tag words with UPOS and XPOS. CoNLL-U input keeps every other byte; "
        "plain text (one sentence per line) is tokenised and written as CoNLL-U.",
    )
    _add_model_flag(p)
    p.add_argument("--input", default=None, help="input file (none given: standard input)")
    p.add_argument("--output", default=None, help="output file (none given: standard output)")
    p.add_argument("--format", choices=("conllu", "text"), default=None,
                   help="input format; none given: conllu for *.conllu/*.conll, else text")
    p.add_argument("--batch-size", type=int, default=64, help="sentences tagged at once")
    p.set_defaults(handler=run_tag)

    p = groups.eval.add_parser(
        "tagger", help="score a tagger on a gold CoNLL-U file",
        description="UPOS/XPOS accuracy, per-tag precision/recall/F1, frequent confusions "
        "and accuracy on words unseen in training.",
    )
    _add_model_flag(p)
    p.add_argument("--data", required=True, help="gold CoNLL-U file")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--batch-size", type=int, default=64, help="sentences tagged at once")
    p.set_defaults(handler=run_eval)
