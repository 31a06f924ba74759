"""``rnnlab train seq2seq``, ``rnnlab translate`` and ``rnnlab eval seq2seq``: flags and
printing; the task itself is :mod:`rnnlab.tasks.translation`.
"""

from __future__ import annotations

import argparse
import json
import sys
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
)
from rnnlab.cli.values import (
    below_one,
    non_negative,
    non_negative_int,
    positive,
    positive_int,
)

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.tasks.translation import DecodingOptions

REQUIRED = ("src_train", "tgt_train", "src_dev", "tgt_dev")


# --------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import translation as task

    result = run_training(args, task, task.TranslationConfig, REQUIRED).result
    outcome, monitor = result.outcome, result.config.loop.monitor
    if outcome.best_epoch:
        print(f"best dev {monitor} {outcome.best:.4f} at epoch {outcome.best_epoch}; "
              f"model saved in {outcome.run_dir / 'model'}")
    else:
        stop = outcome.budget_stop
        print(f"dev {monitor} {stop[f'dev_{monitor}']:.4f} at the time-budget stop in epoch "
              f"{stop['epoch']}; model saved in {outcome.run_dir / 'model'}")
    return 0


# ------------------------------------------------------------ translate, eval
def _decoding(args: argparse.Namespace) -> DecodingOptions:
    from rnnlab.tasks.translation import DecodingOptions

    return DecodingOptions(
        beam=args.beam, length_penalty=args.length_penalty,
        max_length_ratio=args.max_length_ratio, max_length_extra=args.max_length_extra,
        batch_size=args.batch_size, replace_unk=not args.no_unk_replace,
    )


def run_translate(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir
    from rnnlab.tasks import translation as task

    refuse_overwriting_inputs(args.output, "--output", [("--input", args.input)])
    model = open_model_dir(args.model, kind="seq2seq")
    lines = [line.strip() for line in text_lines(read_input(args.input)[0])]
    require_some([line for line in lines if line], args.input, "sentences to translate")
    translations = task.translate(model, lines, _decoding(args))
    write_output("".join(t.text + "\n" for t in translations), args.output)
    if args.show_attention:
        if not translations:
            raise ValueError("--show-attention: there is no input sentence to draw")
        task.plot_attention(translations[0], args.show_attention)
        print(f"attention of sentence 1 drawn in {args.show_attention}", file=sys.stderr)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir
    from rnnlab.tasks import translation as task

    refuse_overwriting_inputs(args.output, "--output", [("--src", args.src), ("--ref", args.ref)])
    model = open_model_dir(args.model, kind="seq2seq")
    sources, references = task.read_lines(args.src), task.read_lines(args.ref)
    require_some([line for line in sources if line], args.src, "sentences to translate")
    require_some([line for line in references if line], args.ref, "reference translations")
    if len(sources) != len(references):
        raise CommandError(f"--src {args.src} has {len(sources)} lines but --ref {args.ref} "
                           f"has {len(references)}; the two must be line-aligned")
    report = task.evaluate(model, sources, references, _decoding(args))
    if args.output:
        write_output("".join(h + "\n" for h in report.hypotheses), args.output)
    if args.json:
        result = {**report.as_dict(), "beam": args.beam, "length_penalty": args.length_penalty,
                  "attention": model.config.attention, "model": str(args.model)}
        print(json.dumps(result, indent=2))
    else:
        print(
            f"BLEU {report.bleu:.2f} (cased), {report.bleu_lc:.2f} (lowercased) on "
            f"{len(sources)} sentences, beam {args.beam}, {report.decode_seconds:.1f} s"
        )
    return 0


# ------------------------------------------------------------------ parsers
def _add_decoding_options(p: CommandParser) -> None:
    from rnnlab.tasks.translation import DecodingOptions

    d = DecodingOptions()
    add_model_flag(p)
    p.add_argument("--beam", type=positive_int, default=d.beam, help="beam size; 1 = greedy")
    p.add_argument("--length-penalty", type=non_negative, default=d.length_penalty,
                   help="α in score / length^α for ranking beam hypotheses")
    p.add_argument("--max-length-ratio", type=positive, default=d.max_length_ratio,
                   help="at most ratio · source length + extra output tokens")
    p.add_argument("--max-length-extra", type=non_negative_int, default=d.max_length_extra,
                   help="see --max-length-ratio")
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                   help="sentences decoded together")
    p.add_argument("--no-unk-replace", action="store_true",
                   help="keep <unk> instead of copying the most-attended source word")


def _build_train(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
    from rnnlab.models.seq2seq import LOWERCASE_MODES
    from rnnlab.recurrent.factory import CELL_NAMES
    from rnnlab.tasks import translation as task

    defaults = task.TranslationConfig(task.ParallelData("", "", "", ""))
    data, options, loop = defaults.data, defaults.model, defaults.loop
    p.add_argument("--src-train", metavar="FILE", default=None,
                   help="training sources, one per line (required unless --resume)")
    p.add_argument("--tgt-train", metavar="FILE", default=None,
                   help="training targets, line-aligned (required unless --resume)")
    p.add_argument("--src-dev", "--src-valid", metavar="FILE", dest="src_dev", default=None,
                   help="development sources (required unless --resume)")
    p.add_argument("--tgt-dev", "--tgt-valid", metavar="FILE", dest="tgt_dev", default=None,
                   help="development targets (required unless --resume)")
    add_run_folder_flag(p)
    p.add_argument("--cell", choices=CELL_NAMES, default=options.cell,
                   help="recurrent cell of encoder and decoder")
    p.add_argument("--embed-dim", "--embedding-size", dest="embed_dim", type=positive_int,
                   default=options.embed_dim, help="word embedding size (both sides)")
    p.add_argument("--hidden-size", "--hidden", dest="hidden_size", type=positive_int,
                   default=options.hidden_size, help="encoder size per direction")
    p.add_argument("--decoder-hidden-size", "--decoder-hidden", dest="decoder_hidden_size",
                   type=non_negative_int, default=options.decoder_hidden_size,
                   help="decoder size (0: 2 × --hidden-size)")
    p.add_argument("--layers", type=positive_int, default=options.layers,
                   help="number of stacked recurrent layers")
    p.add_argument("--dropout", type=below_one, default=options.dropout,
                   help="dropout on embeddings, between layers and before the output layer")
    p.add_argument("--no-attention", dest="attention", action="store_false",
                   help="decoder sees the source only through its initial state")
    p.add_argument("--lowercase", choices=LOWERCASE_MODES, default=data.lowercase,
                   help="which side is lowercased before lookup")
    p.add_argument("--min-freq", type=non_negative_int, default=data.min_freq,
                   help="rarer words become <unk>")
    p.add_argument("--max-vocab", type=positive_int, default=data.max_vocab,
                   help="largest vocabulary size per side (none given: no limit)")
    p.add_argument("--max-length", type=positive_int, default=data.max_length,
                   help="drop training pairs with a side longer than this (tokens)")
    p.add_argument("--train-limit", type=non_negative_int, default=data.train_limit,
                   help="train on the first N pairs only (0: all)")
    p.add_argument("--dev-limit", "--valid-limit", dest="dev_limit", type=non_negative_int,
                   default=data.dev_limit, help="use the first N dev pairs (0: all)")
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="sentence pairs per batch")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      checkpoint_every=loop.checkpoint_every, seed=loop.seed)
    p.add_argument("--monitor", choices=sorted(task.MONITORS), default=loop.monitor,
                   help="dev metric that picks the best model (bleu: decoding with "
                        "--dev-beam)")
    p.add_argument("--dev-beam", "--valid-beam", dest="dev_beam", type=positive_int,
                   default=defaults.dev_beam, help="beam size for dev BLEU")
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def _build_translate(p: CommandParser) -> None:
    _add_decoding_options(p)
    add_input_flag(p, "sentences to translate, one per line")
    add_output_flag(p, "file for the translations")
    p.add_argument("--show-attention", metavar="OUT.png", default=None,
                   help="draw the first sentence's attention weights as a PNG heatmap "
                        "(none given: not drawn)")
    p.set_defaults(handler=run_translate)


def _build_eval(p: CommandParser) -> None:
    _add_decoding_options(p)
    p.add_argument("--src", metavar="FILE", required=True,
                   help="source sentences, one per line")
    p.add_argument("--ref", metavar="FILE", required=True,
                   help="reference translations, line-aligned")
    add_output_flag(p, "file for the translations", stdout=False)
    add_json_flag(p, "the scores")
    p.set_defaults(handler=run_eval)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "seq2seq", help="train an encoder-decoder translation model with attention",
        description="Bidirectional encoder -> decoder with Luong attention, on line-aligned "
                    "parallel text (LECTURE §3.4, §11).",
        build=_build_train)
    groups.top.add_parser(
        "translate", help="translate sentences (stdin to stdout, one per line)",
        build=_build_translate)
    groups.eval.add_parser(
        "seq2seq", help="BLEU of a translation model (sacrebleu, cased and lowercased)",
        build=_build_eval)
