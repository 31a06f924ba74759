"""Translation benchmarks on Multi30k (LECTURE §3.4, §11): encoder–decoder with and without
attention, greedy and beam search.

Commands (each prints the Markdown it measured):

* ``epoch-time`` — builds the vocabularies from all of train (so the softmax has its real
  size), trains ``--batches`` length-bucketed batches of the chosen model and extrapolates
  the time of one full epoch.
* ``table --runs DIR [DIR ...]`` — for each training output directory: test BLEU of its best
  model (sacrebleu on detokenised output, cased and lowercased) with greedy search and with
  beam search, decoding time, and the training time read from its metrics.jsonl.
* ``figure --run DIR`` — the attention heatmap of one test sentence, in benchmarks/figures/.
* ``commands`` — the training commands of the table (``COMMANDS`` below).

The training commands are also in benchmarks/RESULTS.md.
Small recurrent GEMMs slow down many-fold when OpenBLAS splits them over two threads on a
busy machine, so this script runs BLAS single-threaded unless OPENBLAS_NUM_THREADS is set.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("RNNLAB_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.data.batching import bucket_batches  # noqa: E402
from rnnlab.data.parallel import read_parallel  # noqa: E402
from rnnlab.models import open_model_dir  # noqa: E402
from rnnlab.models.seq2seq import (  # noqa: E402
    Seq2Seq,
    Seq2SeqConfig,
    build_vocabularies,
    make_batch,
)
from rnnlab.optim import Adam, clip_grad_norm  # noqa: E402
from rnnlab.tasks import translation  # noqa: E402

DATA = Path("/work/shared/data/multi30k")
FIGURES = Path(__file__).resolve().parents[1] / "figures"
_RECIPE = (
    "--embedding-size 256 --hidden 128 --decoder-hidden 256 --layers 1 --dropout 0.3 "
    "--batch-size 64 --lr 1e-3 --epochs 8 --checkpoint-every 100 --seed 1"
)


def _command(source: str, target: str, out: str, extra: str = "") -> str:
    d = DATA
    return (
        f"OPENBLAS_NUM_THREADS=1 nohup nice -n 5 .venv/bin/rnnlab train seq2seq "
        f"--src-train {d}/train.{source} --tgt-train {d}/train.{target} "
        f"--src-valid {d}/val.{source} --tgt-valid {d}/val.{target} --out runs/{out} "
        f"{_RECIPE}{extra} > runs/{out}.log 2>&1 &"
    )


COMMANDS = {
    "seq2seq-de-en": _command("de", "en", "seq2seq-de-en"),
    "seq2seq-de-en-noattn": _command("de", "en", "seq2seq-de-en-noattn", " --no-attention"),
    "seq2seq-en-de": _command("en", "de", "seq2seq-en-de"),
}


# --------------------------------------------------------------- epoch time
def epoch_time(args: argparse.Namespace) -> None:
    pairs = read_parallel(DATA / f"train.{args.source}", DATA / f"train.{args.target}")
    source_vocab, target_vocab = build_vocabularies(pairs, "source", min_freq=2)
    config = Seq2SeqConfig(
        len(source_vocab), len(target_vocab), embedding_size=args.embed_dim,
        hidden_size=args.hidden_size, decoder_hidden_size=args.decoder_hidden_size,
        num_layers=args.layers, attention=not args.no_attention,
    )
    rnnlab.seed(0)
    model = Seq2Seq(config, source_vocab, target_vocab)
    examples = [model.encode_pair(s, t) for s, t in pairs]
    groups = bucket_batches(
        [len(s) for s, _ in examples], args.batch_size, rng=np.random.default_rng(0)
    )
    optimizer = Adam(model.parameters(), lr=1e-3)
    seconds = []
    for group in groups[: args.batches + 1]:
        batch = make_batch([examples[i] for i in group], model.bos_id, model.eos_id)
        start = time.perf_counter()
        optimizer.zero_grad()
        model.loss(batch).backward()
        clip_grad_norm(model.parameters(), 5.0)
        optimizer.step()
        seconds.append(time.perf_counter() - start)
    per_batch = float(np.median(seconds[1:]))  # the first batch warms up the kernels
    print(
        f"| {args.source}→{args.target} | {'no attention' if args.no_attention else 'attention'} "
        f"| emb {args.embed_dim}, enc 2×{args.hidden_size}, dec {config.decoder_hidden_size}, "
        f"{args.layers} layer(s) | {model.num_parameters():,} | {args.batch_size} "
        f"| {per_batch:.2f} s | {per_batch * len(groups) / 60:.1f} min ({len(groups)} batches) |"
    )


# -------------------------------------------------------------------- table
def _training_minutes(run: Path) -> tuple[float, int]:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    return sum(r["seconds"] for r in rows) / 60, len(rows)


def table(args: argparse.Namespace) -> None:
    source_lines = (DATA / f"test_2016_flickr.{args.source}").read_text("utf-8").splitlines()
    references = (DATA / f"test_2016_flickr.{args.target}").read_text("utf-8").splitlines()
    print("| run | attention | search | BLEU (cased) | BLEU (lowercased) | decoding | "
          "training |")
    print("|---|---|---|---:|---:|---:|---:|")
    for run in map(Path, args.runs):
        model = open_model_dir(run, kind="seq2seq")
        minutes, epochs = _training_minutes(run)
        for beam in (1, args.beam):
            report = translation.evaluate(model, source_lines, references,
                                          translation.DecodingOptions(beam=beam, batch_size=64))
            search = "greedy" if beam == 1 else f"beam {beam}"
            print(
                f"| {run.name} | {'yes' if model.config.attention else 'no'} | {search} "
                f"| {report.bleu:.2f} | {report.bleu_lc:.2f} | {report.decode_seconds:.0f} s "
                f"| {minutes:.0f} min, {epochs} epochs |"
            )
    print(f"\nsacrebleu signature (cased): {report.signature}")


def figure(args: argparse.Namespace) -> None:
    model = open_model_dir(args.run, kind="seq2seq")
    sources = (DATA / f"test_2016_flickr.{args.source}").read_text("utf-8").splitlines()
    [output] = translation.translate(model, [sources[args.line - 1]],
                                     translation.DecodingOptions(beam=args.beam))
    path = FIGURES / f"seq2seq_attention_{Path(args.run).name}.png"
    translation.plot_attention(output, path)
    print(f"{sources[args.line - 1]}\n→ {output.text}\nattention drawn in {path}")


def print_commands(args: argparse.Namespace) -> None:
    for name, command in COMMANDS.items():
        print(f"# {name}\n{command}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True)
    p = subparsers.add_parser("epoch-time")
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--embed-dim", "--embedding-size", dest="embed_dim", type=int, default=256)
    p.add_argument("--hidden-size", "--hidden", dest="hidden_size", type=int, default=128)
    p.add_argument("--decoder-hidden-size", "--decoder-hidden", dest="decoder_hidden_size",
                   type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--no-attention", action="store_true")
    p.set_defaults(handler=epoch_time)
    p = subparsers.add_parser("table")
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--beam", type=int, default=5)
    p.set_defaults(handler=table)
    p = subparsers.add_parser("figure")
    p.add_argument("--run", required=True)
    p.add_argument("--line", type=int, default=1, help="1-based line of the test set")
    p.add_argument("--beam", type=int, default=5)
    p.set_defaults(handler=figure)
    p = subparsers.add_parser("commands", help="print the training commands of the table")
    p.set_defaults(handler=print_commands)
    for sub in subparsers.choices.values():
        sub.add_argument("--source", default="de")
        sub.add_argument("--target", default="en")
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
