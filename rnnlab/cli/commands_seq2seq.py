"""``rnnlab train seq2seq``, ``rnnlab translate`` and ``rnnlab eval seq2seq``: flags and
printing; the task itself is :mod:`rnnlab.tasks.translation`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rnnlab.cli import CommandGroups
from rnnlab.cli.trainer_flags import (
    add_trainer_flags,
    config_from_args,
    loop_overrides,
    require_flags,
    resume_config,
    track_given_flags,
)
from rnnlab.models import open_model_dir
from rnnlab.models.seq2seq import LOWERCASE_MODES
from rnnlab.recurrent.factory import CELL_NAMES
from rnnlab.tasks import translation as task

REQUIRED = ("src_train", "tgt_train", "src_dev", "tgt_dev")


# --------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    if args.resume:
        config = resume_config(args, task.TASK, task.TranslationConfig, REQUIRED)
    else:
        require_flags(args, *REQUIRED)
        config = config_from_args(task.TranslationConfig, args)
    result = task.train(args.out, config, resume=args.resume, overwrite=args.overwrite,
                        overrides=loop_overrides(args))
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
def _decoding(args: argparse.Namespace) -> task.DecodingOptions:
    return task.DecodingOptions(
        beam=args.beam, length_penalty=args.length_penalty,
        max_length_ratio=args.max_length_ratio, max_length_extra=args.max_length_extra,
        batch_size=args.batch_size, replace_unk=not args.no_unk_replace,
    )


def run_translate(args: argparse.Namespace) -> int:
    model = open_model_dir(args.model, kind="seq2seq")
    lines = task.read_lines(args.input) if args.input else [x.strip() for x in sys.stdin]
    translations = task.translate(model, lines, _decoding(args))
    text = "".join(t.text + "\n" for t in translations)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.show_attention:
        if not translations:
            raise ValueError("--show-attention: there is no input sentence to draw")
        task.plot_attention(translations[0], args.show_attention)
        print(f"attention of sentence 1 drawn in {args.show_attention}", file=sys.stderr)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    model = open_model_dir(args.model, kind="seq2seq")
    sources, references = task.read_lines(args.src), task.read_lines(args.ref)
    report = task.evaluate(model, sources, references, _decoding(args))
    if args.output:
        Path(args.output).write_text("".join(h + "\n" for h in report.hypotheses),
                                     encoding="utf-8")
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
def _add_decoding_options(p: argparse.ArgumentParser) -> None:
    d = task.DecodingOptions()
    p.add_argument("--model", required=True,
                   help="a model folder, or a training run folder (its model/)")
    p.add_argument("--beam", type=int, default=d.beam, help="beam size; 1 = greedy")
    p.add_argument("--length-penalty", type=float, default=d.length_penalty,
                   help="α in score / length^α for ranking beam hypotheses")
    p.add_argument("--max-length-ratio", type=float, default=d.max_length_ratio,
                   help="at most ratio · source length + extra output tokens")
    p.add_argument("--max-length-extra", type=int, default=d.max_length_extra,
                   help="see --max-length-ratio")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help="sentences decoded together")
    p.add_argument("--no-unk-replace", action="store_true",
                   help="keep <unk> instead of copying the most-attended source word")
    p.add_argument("--output", help="write the translations to this file")


def _register_train(groups: CommandGroups) -> None:
    defaults = task.TranslationConfig(task.ParallelData("", "", "", ""))
    data, options, loop = defaults.data, defaults.model, defaults.loop
    p = groups.train.add_parser(
        "seq2seq", help="train an encoder-decoder translation model with attention",
        description="Bidirectional encoder -> decoder with Luong attention, on line-aligned "
                    "parallel text (LECTURE §3.4, §11).",
    )
    p.add_argument("--src-train", default=None,
                   help="training sources, one per line (required unless --resume)")
    p.add_argument("--tgt-train", default=None,
                   help="training targets, line-aligned (required unless --resume)")
    p.add_argument("--src-dev", "--src-valid", dest="src_dev", default=None,
                   help="development sources (required unless --resume)")
    p.add_argument("--tgt-dev", "--tgt-valid", dest="tgt_dev", default=None,
                   help="development targets (required unless --resume)")
    p.add_argument("--out", required=True,
                   help="run folder (run.json, model/, checkpoint/, metrics.jsonl)")
    p.add_argument("--cell", choices=CELL_NAMES, default=options.cell,
                   help="recurrent cell of encoder and decoder")
    p.add_argument("--embed-dim", "--embedding-size", dest="embed_dim", type=int,
                   default=options.embed_dim, help="word embedding size (both sides)")
    p.add_argument("--hidden-size", "--hidden", dest="hidden_size", type=int,
                   default=options.hidden_size, help="encoder size per direction")
    p.add_argument("--decoder-hidden-size", "--decoder-hidden", dest="decoder_hidden_size",
                   type=int, default=options.decoder_hidden_size,
                   help="decoder size (0: 2 × --hidden-size)")
    p.add_argument("--layers", type=int, default=options.layers,
                   help="number of stacked recurrent layers")
    p.add_argument("--dropout", type=float, default=options.dropout,
                   help="dropout on embeddings, between layers and before the output layer")
    p.add_argument("--no-attention", dest="attention", action="store_false",
                   help="decoder sees the source only through its initial state")
    p.add_argument("--lowercase", choices=LOWERCASE_MODES, default=data.lowercase,
                   help="which side is lowercased before lookup")
    p.add_argument("--min-freq", type=int, default=data.min_freq,
                   help="rarer words become <unk>")
    p.add_argument("--max-vocab", type=int, default=data.max_vocab,
                   help="largest vocabulary size per side (none: no limit)")
    p.add_argument("--max-length", type=int, default=data.max_length,
                   help="drop training pairs with a side longer than this (tokens)")
    p.add_argument("--train-limit", type=int, default=data.train_limit,
                   help="use the first N training pairs (0: all)")
    p.add_argument("--dev-limit", "--valid-limit", dest="dev_limit", type=int,
                   default=data.dev_limit, help="use the first N dev pairs (0: all)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help="sentence pairs per batch")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr, lr_schedule=loop.lr_schedule,
                      checkpoint_every=loop.checkpoint_every, seed=loop.seed)
    p.add_argument("--monitor", choices=sorted(task.MONITORS), default=loop.monitor,
                   help="dev metric that picks the best model (bleu: decoding with "
                        "--dev-beam)")
    p.add_argument("--dev-beam", "--valid-beam", dest="dev_beam", type=int,
                   default=defaults.dev_beam, help="beam size for dev BLEU")
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def register(groups: CommandGroups) -> None:
    _register_train(groups)

    p = groups.top.add_parser(
        "translate", help="translate sentences (stdin to stdout, one per line)",
    )
    _add_decoding_options(p)
    p.add_argument("--input", help="read sentences from this file instead of stdin")
    p.add_argument("--show-attention", metavar="OUT.png",
                   help="draw the first sentence's attention weights as a PNG heatmap")
    p.set_defaults(handler=run_translate)

    p = groups.eval.add_parser(
        "seq2seq", help="BLEU of a translation model (sacrebleu, cased and lowercased)",
    )
    _add_decoding_options(p)
    p.add_argument("--src", required=True, help="source sentences, one per line")
    p.add_argument("--ref", required=True, help="reference translations, line-aligned")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(handler=run_eval)
