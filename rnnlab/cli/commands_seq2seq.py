"""``rnnlab train seq2seq``, ``rnnlab translate`` and ``rnnlab eval seq2seq``.

Encoder–decoder translation (LECTURE §3.4, §11) on line-aligned parallel text, one
sentence per line (e.g. Multi30k). Vocabularies are built once from the training pairs and
saved with the model; BLEU is sacrebleu's on detokenised output, cased and lowercased.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import sacrebleu

from rnnlab import random as rnd
from rnnlab.cli.trainer_flags import add_trainer_flags, trainer_config_from_args
from rnnlab.data._files import read_utf8, split_lines
from rnnlab.data.batching import bucket_batches
from rnnlab.data.parallel import read_parallel
from rnnlab.data.vocab import Vocab
from rnnlab.io.serialization import load_json, save_json
from rnnlab.models.seq2seq import (
    LOWERCASE_MODES,
    ParallelBatch,
    Seq2Seq,
    Seq2SeqConfig,
    Translation,
    build_vocabularies,
    make_batch,
)
from rnnlab.recurrent.factory import CELL_NAMES
from rnnlab.training.trainer import BEST_DIR, Trainer

DEFAULT_MODEL = "runs/seq2seq-de-en"
SETUP_FILES = ("model_config", "source_vocab", "target_vocab")


# ------------------------------------------------------------------- helpers
def resolve_model_dir(path: str | Path) -> Path:
    """A model directory, or a training output directory holding one in ``model/``."""
    path = Path(path)
    return path / BEST_DIR if (path / BEST_DIR / "config.json").is_file() else path


def bleu_scores(hypotheses: list[str], references: list[str]) -> dict[str, float | str]:
    """Corpus BLEU (sacrebleu, 13a tokenisation) on detokenised text, cased and lowercased."""
    cased, lowered = sacrebleu.BLEU(), sacrebleu.BLEU(lowercase=True)
    return {
        "bleu": cased.corpus_score(hypotheses, [references]).score,
        "bleu_lc": lowered.corpus_score(hypotheses, [references]).score,
        "signature": str(cased.get_signature()),
    }


def read_lines(path: str | Path) -> list[str]:
    return [line.strip() for line in split_lines(read_utf8(path))]


def translate_lines(
    model: Seq2Seq, lines: list[str], args: argparse.Namespace
) -> list[Translation]:
    return model.translate(
        lines,
        beam_size=args.beam,
        length_penalty=args.length_penalty,
        max_length_ratio=args.max_length_ratio,
        max_length_extra=args.max_length_extra,
        batch_size=args.batch_size,
        replace_unk=not args.no_unk_replace,
    )


def plot_attention(translation: Translation, path: str | Path) -> None:
    """A heatmap of a_t(s): one row per output word, one column per source word."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if translation.attention is None:
        raise ValueError("--show-attention needs a model with attention")
    weights = translation.attention
    rows, cols = weights.shape
    fig, ax = plt.subplots(figsize=(1.0 + 0.45 * max(cols, 4), 1.0 + 0.4 * max(rows, 4)))
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), translation.source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(rows), translation.tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------- train
def _setup(
    args: argparse.Namespace, pairs: list[tuple[str, str]]
) -> tuple[Seq2SeqConfig, Vocab, Vocab]:
    """Model config and vocabularies: built from the data, or read back on --resume so a
    resumed run uses exactly the vocabularies its checkpoint was trained with."""
    out = Path(args.out)
    if args.resume and all((out / f"{name}.json").is_file() for name in SETUP_FILES):
        print(f"--resume: model size and vocabularies read back from {out}")
        return (
            Seq2SeqConfig(**load_json(out / "model_config.json")),
            Vocab.from_dict(load_json(out / "source_vocab.json")),
            Vocab.from_dict(load_json(out / "target_vocab.json")),
        )
    source_vocab, target_vocab = build_vocabularies(
        pairs, args.lowercase, min_freq=args.min_freq, max_size=args.max_vocab
    )
    config = Seq2SeqConfig(
        source_vocab_size=len(source_vocab),
        target_vocab_size=len(target_vocab),
        embedding_size=args.embedding_size,
        hidden_size=args.hidden,
        decoder_hidden_size=args.decoder_hidden,
        num_layers=args.layers,
        cell=args.cell,
        dropout=args.dropout,
        attention=not args.no_attention,
        lowercase=args.lowercase,
    )
    out.mkdir(parents=True, exist_ok=True)
    save_json(out / "model_config.json", asdict(config))
    save_json(out / "source_vocab.json", source_vocab.to_dict())
    save_json(out / "target_vocab.json", target_vocab.to_dict())
    return config, source_vocab, target_vocab


def _limited(pairs: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    return pairs[:limit] if limit > 0 else pairs


def run_train(args: argparse.Namespace) -> int:
    train_pairs = _limited(read_parallel(args.src_train, args.tgt_train), args.train_limit)
    valid_pairs = _limited(read_parallel(args.src_valid, args.tgt_valid), args.valid_limit)
    train_pairs = [(s, t) for s, t in train_pairs if s and t]
    if not train_pairs:
        raise ValueError(f"{args.src_train}: no non-empty training pairs")
    config, source_vocab, target_vocab = _setup(args, train_pairs)
    rnd.seed(args.seed)
    model = Seq2Seq(config, source_vocab, target_vocab)
    bos, eos = target_vocab.bos_id, target_vocab.eos_id
    examples = [model.encode_pair(s, t) for s, t in train_pairs]
    examples = [e for e in examples if max(len(e[0]), len(e[1])) <= args.max_length]
    valid_examples = [model.encode_pair(s, t) for s, t in valid_pairs if s and t]
    valid_batches = [
        make_batch([valid_examples[i] for i in batch], bos, eos)
        for batch in bucket_batches([len(s) for s, _ in valid_examples], 100, shuffle=False)
    ]
    source_lengths = [len(s) for s, _ in examples]
    print(
        f"train: {len(examples)} pairs, valid: {len(valid_pairs)}, vocab: source "
        f"{len(source_vocab)} / target {len(target_vocab)}, parameters: {model.num_parameters()}"
    )

    def batches_for_epoch(epoch: int, rng: np.random.Generator) -> list[ParallelBatch]:
        groups = bucket_batches(source_lengths, args.batch_size, shuffle=True, rng=rng)
        return [make_batch([examples[i] for i in g], bos, eos) for g in groups]

    def evaluate() -> dict[str, float]:
        total = sum(float(model.loss(b).data) * b.target_tokens for b in valid_batches)
        metrics = {"loss": total / max(sum(b.target_tokens for b in valid_batches), 1)}
        if args.monitor == "bleu":
            outputs = model.translate(
                [s for s, _ in valid_pairs], beam_size=args.valid_beam, batch_size=100
            )
            scores = bleu_scores([o.text for o in outputs], [t for _, t in valid_pairs])
            metrics.update(bleu=scores["bleu"], bleu_lc=scores["bleu_lc"])
        return metrics

    trainer_config = trainer_config_from_args(
        args, monitor=args.monitor, monitor_mode="max" if args.monitor == "bleu" else "min")
    trainer = Trainer(
        model,
        trainer_config,
        args.out,
        batches_for_epoch,
        evaluate=evaluate,
        batch_items=lambda batch: batch.target_tokens,
        item_name="tok",
    )
    trainer.fit(resume=args.resume)
    state = trainer.state
    print(
        f"best dev {args.monitor} {state.best:.4f} at epoch {state.best_epoch}; "
        f"model saved in {Path(args.out) / BEST_DIR}"
    )
    return 0


# ------------------------------------------------------------ translate, eval
def run_translate(args: argparse.Namespace) -> int:
    model = Seq2Seq.load(resolve_model_dir(args.model))
    lines = read_lines(args.input) if args.input else [x.strip() for x in sys.stdin]
    translations = translate_lines(model, lines, args)
    text = "".join(t.text + "\n" for t in translations)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.show_attention:
        if not translations:
            raise ValueError("--show-attention: there is no input sentence to draw")
        plot_attention(translations[0], args.show_attention)
        print(f"attention of sentence 1 drawn in {args.show_attention}", file=sys.stderr)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    model = Seq2Seq.load(resolve_model_dir(args.model))
    sources, references = read_lines(args.src), read_lines(args.ref)
    if len(sources) != len(references):
        raise ValueError(
            f"{args.src} has {len(sources)} lines but {args.ref} has {len(references)}"
        )
    start = time.perf_counter()
    translations = translate_lines(model, sources, args)
    seconds = time.perf_counter() - start
    hypotheses = [t.text for t in translations]
    if args.output:
        Path(args.output).write_text("".join(h + "\n" for h in hypotheses), encoding="utf-8")
    result = {
        **bleu_scores(hypotheses, references),
        "sentences": len(sources),
        "beam": args.beam,
        "length_penalty": args.length_penalty,
        "attention": model.config.attention,
        "decode_seconds": round(seconds, 2),
        "model": str(resolve_model_dir(args.model)),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"BLEU {result['bleu']:.2f} (cased), {result['bleu_lc']:.2f} (lowercased) on "
            f"{len(sources)} sentences, beam {args.beam}, {seconds:.1f} s"
        )
    return 0


# ------------------------------------------------------------------ parsers
def _add_decoding_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"model directory or training output directory (default {DEFAULT_MODEL})")
    p.add_argument("--beam", type=int, default=5, help="beam size; 1 = greedy (default 5)")
    p.add_argument("--length-penalty", type=float, default=1.0,
                   help="α in score / length^α for ranking beam hypotheses (default 1.0)")
    p.add_argument("--max-length-ratio", type=float, default=1.5,
                   help="at most ratio · source length + extra output tokens (default 1.5)")
    p.add_argument("--max-length-extra", type=int, default=10, help="see --max-length-ratio")
    p.add_argument("--batch-size", type=int, default=64, help="sentences decoded together")
    p.add_argument("--no-unk-replace", action="store_true",
                   help="keep <unk> instead of copying the most-attended source word")
    p.add_argument("--output", help="write the translations to this file")


def register(groups) -> None:
    p = groups.train.add_parser(
        "seq2seq", help="train an encoder-decoder translation model with attention",
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--src-train", required=True, help="training sources, one per line")
    p.add_argument("--tgt-train", required=True, help="training targets, line-aligned")
    p.add_argument("--src-valid", required=True, help="validation sources")
    p.add_argument("--tgt-valid", required=True, help="validation targets")
    p.add_argument("--out", required=True, help="output directory (model/, checkpoint/, logs)")
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm")
    p.add_argument("--embedding-size", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256, help="encoder size per direction")
    p.add_argument("--decoder-hidden", type=int, default=0, help="0 = 2 × --hidden")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--no-attention", action="store_true",
                   help="decoder sees the source only through its initial state")
    p.add_argument("--lowercase", choices=LOWERCASE_MODES, default="source")
    p.add_argument("--min-freq", type=int, default=2, help="rarer words become <unk>")
    p.add_argument("--max-vocab", type=int, default=None)
    p.add_argument("--max-length", type=int, default=80,
                   help="drop training pairs with a side longer than this (tokens)")
    p.add_argument("--train-limit", type=int, default=0, help="use the first N pairs (0 = all)")
    p.add_argument("--valid-limit", type=int, default=0, help="use the first N pairs (0 = all)")
    p.add_argument("--batch-size", type=int, default=64)
    add_trainer_flags(p, epochs=10, lr=1e-3, lr_schedule="plateau", checkpoint_every=100,
                      seed=1)
    p.add_argument("--monitor", choices=("bleu", "loss"), default="bleu",
                   help="dev metric that picks the best model (bleu: greedy decoding)")
    p.add_argument("--valid-beam", type=int, default=1, help="beam size for dev BLEU")
    p.set_defaults(handler=run_train)

    p = groups.top.add_parser(
        "translate", help="translate sentences (stdin to stdout, one per line)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_decoding_options(p)
    p.add_argument("--input", help="read sentences from this file instead of stdin")
    p.add_argument("--show-attention", metavar="OUT.png",
                   help="draw the first sentence's attention weights as a PNG heatmap")
    p.set_defaults(handler=run_translate)

    p = groups.eval.add_parser(
        "seq2seq", help="BLEU of a translation model (sacrebleu, cased and lowercased)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_decoding_options(p)
    p.add_argument("--src", required=True, help="source sentences, one per line")
    p.add_argument("--ref", required=True, help="reference translations, line-aligned")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(handler=run_eval)
