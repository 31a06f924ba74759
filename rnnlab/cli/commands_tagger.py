"""``rnnlab train tagger``, ``rnnlab tag`` and ``rnnlab eval tagger`` (LECTURE §3.1, §11).

``rnnlab tag`` reads CoNLL-U (every byte kept except the UPOS/XPOS columns, which get the
predictions) or raw text, which goes through the whole pipeline (:mod:`rnnlab.pipeline`:
tokenizer and sentence splitter, tagger, lemmatizer) into CoNLL-U; ``--tokenizer lines``
reads raw text the older way instead, one sentence per line, tokenised with
``rnnlab.data.tokenize.tokenize_english``. Without ``--model`` the shipped English model
(UD English EWT) is used; a training run folder works too. Training
and scoring are :mod:`rnnlab.tasks.tagging`; this module holds the flags and the printing.
A model with a FEATS head fills the FEATS column as well.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlab.cli.errors import CommandError
from rnnlab.cli.files import (
    read_input,
    refuse_overwriting_inputs,
    require_some,
    text_lines,
    write_output,
)
from rnnlab.cli.flags import (
    add_input_flag,
    add_json_flag,
    add_model_flag,
    add_output_flag,
    add_run_folder_flag,
    add_sentence_limit_flag,
    add_training_data_flags,
)
from rnnlab.cli.values import below_one, non_negative_int, positive, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.models.tagger import Tagger

MONITOR = {"monitor": "upos_accuracy", "monitor_mode": "max"}
SHIPPED = "the shipped English model (UD English EWT)"
LINES = "lines"  # --tokenizer lines: one sentence per line, regex tokens


def load_tagger(path: str | None) -> Tagger:
    """The shipped English model (``path`` None), or the tagger in a model or run folder."""
    from rnnlab.models import open_model_dir
    from rnnlab.models.tagger import Tagger

    return Tagger.load() if path is None else open_model_dir(path, kind="pos_tagger")


def input_format(path: str | None, fmt: str | None) -> str:
    """``fmt`` if given, else conllu for *.conllu / *.conll files and text for anything else."""
    if fmt is not None:
        return fmt
    return "conllu" if path and Path(path).suffix.lower() in (".conllu", ".conll") else "text"


def tag_conllu(model: Tagger, text: str, source: str, batch_size: int) -> str:
    """The CoNLL-U ``text`` with UPOS (and XPOS, FEATS, when the model predicts them) filled
    in."""
    from rnnlab.data.conllu_io import format_conllu, parse_conllu

    sentences = parse_conllu(text, source=source)
    require_some(sentences, source, "sentences to tag")
    tags = model.predict_tags([s.words for s in sentences], batch_size)
    return format_conllu(sentences, tags.upos, tags.xpos, tags.feats)


def tag_raw_text(model: Tagger, text: str, source: str, args: argparse.Namespace) -> str:
    """CoNLL-U of raw ``text`` from the pipeline (:mod:`rnnlab.pipeline`) around ``model``,
    with the tokenizer and lemmatizer ``args`` name (none given: the shipped ones)."""
    from rnnlab.data.text_files import BOM
    from rnnlab.pipeline import Pipeline

    pipeline = Pipeline(tokenizer=args.tokenizer, tagger=model, lemmatizer=args.lemmatizer,
                        batch_size=args.batch_size)
    document = pipeline(text.removeprefix(BOM))
    require_some(document.sentences, source, "sentences to tag")
    return document.to_conllu()


def tag_text(model: Tagger, lines: list[str], source: str, batch_size: int) -> str:
    """CoNLL-U for plain text, one sentence per non-blank line (``# sent_id`` = line number)."""
    from rnnlab.data.tokenize import tokenize_english
    from rnnlab.models.tagger import NO_TAG

    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1)
                if line.strip()]
    require_some(numbered, source, "sentences to tag")
    tokens = [tokenize_english(line) for _, line in numbered]
    tags = model.predict_tags(tokens, batch_size)
    upos, xpos, feats = tags.upos, tags.xpos, tags.feats
    out = []
    for i, (number, line) in enumerate(numbered):
        out.append(f"# sent_id = {number}\n# text = {line}\n")
        for j, word in enumerate(tokens[i]):
            x = NO_TAG if xpos is None else xpos[i][j]
            f = NO_TAG if feats is None else feats[i][j]
            out.append(f"{j + 1}\t{word}\t_\t{upos[i][j]}\t{x}\t{f}\t_\t_\t_\t_\n")
        out.append("\n")
    return "".join(out)


# ------------------------------------------------------------------ handlers
def run_train(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import tagging as task

    run = run_training(args, task, task.TaggingConfig, ("train", "dev"), **MONITOR)
    result = run.result
    print(f"{run.took}; dev UPOS accuracy {100 * result.dev['upos_accuracy']:.2f}% "
          f"({result.outcome.saved_from}); model in {run.model_dir}")
    return 0


def run_tag(args: argparse.Namespace) -> int:
    refuse_overwriting_inputs(args.output, "--output", [("--input", args.input)])
    conllu = input_format(args.input, args.format) == "conllu"
    if conllu and (args.tokenizer is not None or args.lemmatizer is not None):
        raise CommandError("--tokenizer and --lemmatizer read raw text; CoNLL-U input keeps "
                           "its tokens and gets UPOS and XPOS only")
    if args.tokenizer == LINES and args.lemmatizer is not None:
        raise CommandError("--lemmatizer needs the pipeline's tokenizer, not --tokenizer lines")
    model = load_tagger(args.model)
    text, source = read_input(args.input, keep_bom=True)
    if conllu:
        tagged = tag_conllu(model, text, source, args.batch_size)
    elif args.tokenizer == LINES:
        tagged = tag_text(model, text_lines(text), source, args.batch_size)
    else:
        tagged = tag_raw_text(model, text, source, args)
    write_output(tagged, args.output)
    return 0


def format_report(result: dict) -> str:
    """A human-readable evaluation summary."""
    lines = [f"{result['sentences']} sentences, {result['tokens']} words "
             f"({result['tokens_per_second']:.0f} words/s)",
             f"UPOS accuracy {100 * result['upos_accuracy']:.2f}%"]
    if "xpos_accuracy" in result:
        lines.append(f"XPOS accuracy {100 * result['xpos_accuracy']:.2f}%")
    if "ufeats_accuracy" in result:
        lines.append(f"UFeats accuracy {100 * result['ufeats_accuracy']:.2f}%")
    if "alltags_accuracy" in result:
        lines.append(f"AllTags accuracy {100 * result['alltags_accuracy']:.2f}%")
    unseen = (f"unseen words: {result['unseen_tokens']}, "
              f"UPOS {100 * result['unseen_upos_accuracy']:.2f}%")
    if "unseen_xpos_accuracy" in result:
        unseen += f", XPOS {100 * result['unseen_xpos_accuracy']:.2f}%"
    if "unseen_ufeats_accuracy" in result:
        unseen += f", UFeats {100 * result['unseen_ufeats_accuracy']:.2f}%"
    lines += [unseen, "", f"{'UPOS':<8}{'prec':>8}{'recall':>8}{'F1':>8}{'support':>9}"]
    for tag, s in result["upos"]["per_tag"].items():
        lines.append(f"{tag:<8}{100 * s['precision']:8.2f}{100 * s['recall']:8.2f}"
                     f"{100 * s['f1']:8.2f}{s['support']:9d}")
    lines += ["", "most frequent UPOS confusions (gold -> predicted: count)"]
    lines += [f"  {c['gold']} -> {c['predicted']}: {c['count']}"
              for c in result["upos"]["confusions"]]
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    from rnnlab.tasks import tagging as task

    model = load_tagger(args.model)
    result = task.evaluate(model, task.read_gold_conllu(args.data), args.batch_size)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


# -------------------------------------------------------------------- parsers
def _build_train(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
    from rnnlab.tasks import tagging as task

    defaults = task.TaggingConfig()
    model, loop = defaults.model, defaults.loop
    add_training_data_flags(p, dev_use="its UPOS accuracy picks the best epoch")
    add_run_folder_flag(p)
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="sentences per batch")
    p.add_argument("--embed-dim", "--word-dim", dest="word_dim", type=positive_int,
                   default=model.word_dim, help="word embedding size")
    p.add_argument("--char-dim", type=positive_int, default=model.char_dim,
                   help="character embedding size")
    p.add_argument("--char-hidden-size", "--char-hidden", dest="char_hidden",
                   type=positive_int, default=model.char_hidden,
                   help="character BiLSTM size per direction")
    p.add_argument("--hidden-size", "--hidden", dest="hidden", type=positive_int,
                   default=model.hidden, help="word BiLSTM size per direction")
    p.add_argument("--layers", type=positive_int, default=model.layers,
                   help="number of stacked word BiLSTM layers")
    p.add_argument("--dropout", type=below_one, default=model.dropout,
                   help="dropout on the word representations and between layers")
    p.add_argument("--word-dropout", type=below_one, default=model.word_dropout,
                   help="probability of replacing a training word by <unk>")
    p.add_argument("--min-freq", dest="min_word_freq", type=non_negative_int,
                   default=model.min_word_freq,
                   help="words seen fewer times share the <unk> embedding")
    p.add_argument("--max-word-chars", type=positive_int, default=model.max_word_chars,
                   help="characters of a word the character BiLSTM reads")
    p.add_argument("--word-init-std", type=positive, default=model.word_init_std,
                   help="standard deviation of the initial word vectors")
    p.add_argument("--crf", action="store_true", help="linear-chain CRF head for UPOS")
    p.add_argument("--no-feats", dest="feats", action="store_false", default=model.feats,
                   help="learn no FEATS head (without this flag one is learnt when the "
                        "training file has features)")
    p.add_argument("--feats-weight", type=positive, default=model.feats_weight,
                   help="weight of the FEATS loss beside the UPOS and XPOS losses")
    add_sentence_limit_flag(p)
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      patience=loop.patience)
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def _build_tag(p: CommandParser) -> None:
    add_model_flag(p, shipped=SHIPPED)
    add_input_flag(p, "CoNLL-U or raw-text file")
    add_output_flag(p, "CoNLL-U file to write")
    p.add_argument("--format", choices=("conllu", "text"), default=None,
                   help="input format (none given: conllu for *.conllu/*.conll, else text)")
    p.add_argument("--tokenizer", metavar="PATH", default=None,
                   help="raw text: the tokenizer (model or run folder), or 'lines' for one "
                        "sentence per line split by rules (none given: the shipped English "
                        "tokenizer)")
    p.add_argument("--lemmatizer", metavar="PATH", default=None,
                   help="raw text: the lemmatizer (model or run folder; none given: the "
                        "shipped one, where the package has one)")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="sentences tagged at once")
    p.set_defaults(handler=run_tag)


def _build_eval(p: CommandParser) -> None:
    add_model_flag(p, shipped=SHIPPED)
    p.add_argument("--data", metavar="FILE", required=True, help="gold CoNLL-U file")
    add_json_flag(p, "the full result")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="sentences tagged at once")
    p.set_defaults(handler=run_eval)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "tagger", help="train a part-of-speech tagger on CoNLL-U files",
        description="Train a word+character BiLSTM part-of-speech tagger (UPOS, and XPOS "
        "when the data has it). Defaults are the recipe of the shipped English model.",
        build=_build_train)
    groups.top.add_parser(
        "tag", help="tag CoNLL-U, or raw text through the whole pipeline",
        description="Tag words with UPOS and XPOS. CoNLL-U input keeps every other byte. "
        "Raw text is split into paragraphs (at blank lines), sentences, tokens and words, "
        "tagged and lemmatized, and written as CoNLL-U (# newdoc, # newpar, # sent_id, "
        "# text, multiword ranges, SpaceAfter=No, LEMMA, FEATS); --tokenizer lines reads "
        "one sentence per line instead.",
        build=_build_tag)
    groups.eval.add_parser(
        "tagger", help="score a tagger on a gold CoNLL-U file",
        description="UPOS/XPOS accuracy, per-tag precision/recall/F1, frequent confusions "
        "and accuracy on words unseen in training.",
        build=_build_eval)
