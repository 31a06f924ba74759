"""Language-model and conditional-generation benchmarks (LECTURE §2, §3.2).

Commands (each prints the Markdown it measured; figures go to ``benchmarks/figures/``):

* ``ptb-epoch-time`` — trains on the first ``--tokens`` PTB words with the Zaremba-small
  setup and extrapolates the time of one full epoch (929,589 words).
* ``ptb-report --run DIR`` — for a finished (or running) ``rnnlab train lm`` PTB run: test
  perplexity of its best model read as one stream (batch 1, Zaremba's protocol), training
  time, three samples, the learning curves.
* ``shakespeare-report --run DIR`` — the same for the char-level Tiny Shakespeare run.
* ``ptb-ablations --out DIR`` — "push lower within the same time": the Zaremba-small
  model with one change added at a time (weight tying; then locked dropout; then a plateau
  schedule), each trained under the same ``--time-budget`` (75 min); a table of best dev
  and test perplexity (batch 1, one stream) per variant, and their dev curves in one
  figure. Resumable: rerun the same command after an interruption.
* ``ptb-awd --out DIR --variants …`` — the AWD-LSTM recipe scaled to this machine
  (``AWD_FLAGS``: tied weights, locked dropout, weight drop on W_hh, recurrent dropout,
  cosine lr over a 75-minute budget) and its ablation, each option off in turn
  (``AWD_ABLATIONS``), every variant an ``rnnlab train lm`` run under the same
  ``--time-budget``; prints each variant's command, trains it (or resumes it, or skips it
  when finished), then tabulates best dev and test perplexity (batch 1, one stream).
  ``--print-only`` prints the commands without training.
* ``ptb-probe --steps N KEY=VALUE …`` — a quick check of a model option on PTB: trains
  the first N windows (20×35) of the training text from the same seed with SGD (lr 20,
  clip 0.25) and prints the median step time, the training perplexity of the last 50
  windows and the dev perplexity on the first 20,000 validation words; KEY=VALUE set
  ``LanguageModelOptions`` fields (e.g. ``weight_drop=0.3``) on the 2×200 tied model with
  locked dropout 0.3.
* ``names --out DIR`` — conditional name generation on data/names (18 languages): the same
  char-level LSTM trained unconditionally, with the language one-hot in the initial state,
  and in the initial state and every input; held-out NLL per character of each, and five
  samples per language from the best conditional model.

The exact training commands of the PTB and Shakespeare runs are ``PTB_COMMAND`` and
``SHAKESPEARE_COMMAND`` below (also written into benchmarks/RESULTS.md).

Small recurrent GEMMs slow down many-fold when OpenBLAS splits them over two threads on a
busy machine, so this script runs BLAS single-threaded unless OPENBLAS_NUM_THREADS is set.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("RNNLAB_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnnlab.data.paths import default_path  # noqa: E402
from rnnlab.data.text import read_words  # noqa: E402
from rnnlab.decoding import Sampler  # noqa: E402
from rnnlab.io.atomic import atomic_path, atomic_write_text  # noqa: E402
from rnnlab.models.conditional_generator import ConditionalGenerator  # noqa: E402
from rnnlab.models.language_model import LanguageModel  # noqa: E402
from rnnlab.tasks import generation  # noqa: E402
from rnnlab.tasks import language_modelling as lm  # noqa: E402
from rnnlab.tasks.generation import GenerationConfig, GeneratorData, GeneratorOptions  # noqa: E402
from rnnlab.tasks.language_modelling import (  # noqa: E402
    LanguageModelData,
    LanguageModellingConfig,
    LanguageModelOptions,
    StreamWindows,
)

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / "benchmarks" / "figures"

PTB_COMMAND = (
    "OPENBLAS_NUM_THREADS=1 nohup nice -n 5 .venv/bin/rnnlab train lm "
    "--train /work/shared/data/ptb/ptb.train.txt --valid /work/shared/data/ptb/ptb.valid.txt "
    "--test /work/shared/data/ptb/ptb.test.txt --level word --out runs/lm-ptb --cell lstm "
    "--layers 2 --hidden-size 200 --embedding-dim 200 --init-scale 0.1 --batch-size 20 "
    "--bptt 20 --epochs 13 --optimizer sgd --lr 20 --lr-schedule step --lr-decay 0.5 "
    "--lr-decay-start 4 --clip 0.25 > runs/lm-ptb.log 2>&1 &"
)
# Zaremba's loss is Σ_t mean_b NLL (summed over the 20 steps); ours is the mean over all
# tokens, 20× smaller. So Zaremba's lr 1 with the norm clipped to 5 is lr 20 with the norm
# clipped to 5 / 20 = 0.25 here: the same updates, lr·T·clip(g, 5/T) = lr·clip(T·g, 5).
SHAKESPEARE_COMMAND = (
    "OPENBLAS_NUM_THREADS=1 nohup nice -n 5 .venv/bin/rnnlab train lm "
    "--train /work/shared/data/tinyshakespeare/input.txt --valid-fraction 0.1 --level char "
    "--out runs/lm-shakespeare --cell lstm --layers 2 --hidden-size 512 --embedding-dim 64 "
    "--dropout 0.25 --batch-size 32 --bptt 100 --epochs 12 --optimizer adam --lr 0.002 "
    "--lr-schedule step --lr-decay 0.7 --lr-decay-start 5 --clip 5 --eval-batch-size 16 "
    "--eval-bptt 200 --time-budget 85 --checkpoint-every 100 > runs/lm-shakespeare.log 2>&1 &"
)
# The Zaremba-small recipe of PTB_COMMAND as a task config; each ablation changes it.
PTB_MODEL = LanguageModelOptions(cell="lstm", layers=2, hidden_size=200, embed_dim=200,
                                 init_scale=0.1)
PTB_LOOP = replace(lm.default_loop(), optimizer="sgd", lr=20.0, clip_norm=0.25, lr_decay=0.5,
                   progress=False)
STEP_13 = {"epochs": 13, "lr_schedule": "step", "lr_decay_start": 4}
REGULARISED = {"tie_weights": True, "dropout": 0.3, "dropout_kind": "locked"}
PTB_ABLATIONS = {  # variant: (model changes, loop changes)
    "baseline": ({}, STEP_13),
    "tied": ({"tie_weights": True}, STEP_13),
    "tied+dropout": (REGULARISED, {"epochs": 30, "lr_schedule": "step", "lr_decay_start": 6}),
    "tied+dropout+plateau": (REGULARISED, {"epochs": 30, "lr_schedule": "plateau"}),
}
# The AWD-LSTM recipe (Merity et al. 2018) scaled to 75 minutes on this machine's CPUs:
# ``rnnlab train lm`` flags after --train/--dev/--test/--level/--out.
AWD_FLAGS = {
    "--cell": "lstm", "--layers": "2", "--hidden-size": "300", "--embed-dim": "300",
    "--tie-weights": None, "--dropout": "0.3", "--dropout-kind": "locked",
    "--weight-drop": "0.2", "--recurrent-dropout": "0.05", "--init-scale": "0.1",
    "--batch-size": "20", "--bptt": "35", "--epochs": "100", "--optimizer": "sgd",
    "--lr": "20", "--clip": "0.25", "--lr-schedule": "cosine", "--time-budget": "75",
    "--checkpoint-every": "100", "--no-progress": None,
}
AWD_ABLATIONS = {  # variant: flags changed (None: the flag removed)
    "awd": {},
    "no-weight-drop": {"--weight-drop": "0"},
    "no-recurrent-dropout": {"--recurrent-dropout": "0"},
    "untied": {"--tie-weights": None},
    "no-locked-dropout": {"--dropout": "0"},
}
NAMES_MODES = ("none", "init", "init+input")
NAMES_MODEL = GeneratorOptions(cell="lstm", layers=1, hidden_size=128, embed_dim=32)
NAMES_LOOP = replace(generation.default_loop(), epochs=15, optimizer="adam", lr=0.002, seed=0,
                     progress=False)


def ptb_data(**changes) -> LanguageModelData:
    """The PTB train and valid files at word level."""
    return LanguageModelData(train=str(default_path("ptb", "train")), level="word",
                             dev=str(default_path("ptb", "valid")), **changes)


def train_or_resume(task, run: Path, config) -> None:
    """Train ``config`` into ``run``, or resume the run there after an interruption."""
    resume = (run / "checkpoint").exists()
    print(f"{'resuming' if resume else 'training'} {run}", flush=True)
    task.train(run, config, resume=resume, overwrite=not resume)


def history(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def copy_curves(run: Path, name: str) -> Path:
    FIGURES.mkdir(parents=True, exist_ok=True)
    target = FIGURES / f"{name}.png"
    shutil.copyfile(run / "learning_curves.png", target)
    return target


def ptb_epoch_time(args: argparse.Namespace) -> None:
    config = LanguageModellingConfig(
        ptb_data(train_limit=args.tokens), windows=StreamWindows(batch_size=20, bptt=20),
        loop=replace(lm.default_loop(), epochs=1, progress=False, checkpoint_every=0))
    with tempfile.TemporaryDirectory() as tmp:
        lm.train(tmp, config)
        seconds = history(Path(tmp))[0]["seconds"]
    words = len(read_words(config.data.train))
    print(f"| PTB slice | {args.tokens} words | {seconds:.1f} s | "
          f"{seconds / args.tokens * 1e3:.2f} ms/word | one epoch ≈ "
          f"{seconds * words / args.tokens / 60:.1f} min, 13 epochs ≈ "
          f"{13 * seconds * words / args.tokens / 3600:.2f} h |")


def lm_report(run: Path, name: str, test_file: Path | None, prime: str, length: int) -> None:
    rows = history(run)
    model = LanguageModel.load(run / "model")
    print(f"epochs run: {len(rows)}; training time {sum(r['seconds'] for r in rows) / 60:.1f} min")
    for r in rows:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in r.items() if k != "epoch")
        print(f"- epoch {r['epoch']}: {shown}")
    if test_file is not None:
        test_tokens = read_words(test_file)
        started = time.perf_counter()
        score = lm.evaluate(model, test_tokens, batch_size=1, bptt=100)
        print(f"test (batch 1, one stream): loss {score.nll:.4f}, perplexity "
              f"{score.perplexity:.2f} over {score.tokens} words "
              f"({time.perf_counter() - started:.0f} s)")
    sampler = Sampler(temperature=0.8, top_k=40 if model.config.level == "word" else 0)
    for i, text in enumerate(model.generate(prime, length, sampler, seed=0, num_samples=3)):
        print(f"\nsample {i + 1} (seed 0, temperature 0.8):\n{text}")
    print(f"\ncurves: {copy_curves(run, name).relative_to(REPO)}")


def ptb_report(args: argparse.Namespace) -> None:
    lm_report(Path(args.run), "lm-ptb", default_path("ptb", "test"), "the company said", 40)


def shakespeare_report(args: argparse.Namespace) -> None:
    lm_report(Path(args.run), "lm-shakespeare", None, "ROMEO:\n", 300)


def ptb_ablations(args: argparse.Namespace) -> None:
    """Train each variant (or resume it), then tabulate and plot all of them."""
    out = Path(args.out)
    test_tokens = read_words(default_path("ptb", "test"))
    rows = []
    for name in args.variants:
        run = out / name
        if not (run / lm.RESULTS_FILE).is_file():
            model_changes, loop_changes = PTB_ABLATIONS[name]
            config = LanguageModellingConfig(
                ptb_data(), model=replace(PTB_MODEL, **model_changes),
                windows=StreamWindows(batch_size=20, bptt=20),
                loop=replace(PTB_LOOP, time_budget_minutes=args.time_budget, **loop_changes))
            train_or_resume(lm, run, config)
        test = lm.evaluate(LanguageModel.load(run / "model"), test_tokens)
        epochs = history(run)
        best = min(epochs, key=lambda r: r["dev_perplexity"])
        rows.append((name, best["dev_perplexity"], test.perplexity, len(epochs),
                     best["epoch"], sum(r["seconds"] for r in epochs) / 60, epochs))
        print(f"{name}: best dev {best['dev_perplexity']:.2f}, test {test.perplexity:.2f}",
              flush=True)
    lines = ["| variant | best dev ppl | test ppl (batch 1) | epochs (best) | train min |",
             "|---|---:|---:|---|---:|"]
    lines += [f"| {name} | {dev:.2f} | {test:.2f} | {n} ({best}) | {minutes:.0f} |"
              for name, dev, test, n, best, minutes, _ in rows]
    table = "\n".join(lines)
    atomic_write_text(out / "summary.md", table + "\n")
    print(table)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, *_, epochs in rows:
        axes.plot([r["epoch"] for r in epochs], [r["dev_perplexity"] for r in epochs],
                  marker="o", label=name)
    axes.set(xlabel="epoch", ylabel="dev perplexity", ylim=(None, 180),
             title=f"PTB, 2×200 LSTM, ≤ {args.time_budget:g} min of training each")
    axes.grid(alpha=0.3)
    axes.legend()
    FIGURES.mkdir(parents=True, exist_ok=True)
    with atomic_path(FIGURES / "lm-ptb-ablations.png") as tmp:
        figure.savefig(tmp, dpi=120, bbox_inches="tight")
    print(f"curves: {(FIGURES / 'lm-ptb-ablations.png').relative_to(REPO)}")


def awd_argv(variant: str, run: Path, time_budget: float, budget_clock: str = "wall"
             ) -> list[str]:
    """The ``rnnlab train lm`` arguments of one AWD variant, training into ``run``."""
    flags = {**AWD_FLAGS, "--time-budget": f"{time_budget:g}", "--budget-clock": budget_clock}
    for flag, value in AWD_ABLATIONS[variant].items():
        if value is None:
            flags.pop(flag)
        else:
            flags[flag] = value
    argv = ["train", "lm", "--train", str(default_path("ptb", "train")),
            "--dev", str(default_path("ptb", "valid")), "--level", "word", "--out", str(run)]
    for flag, value in flags.items():
        argv += [flag] if value is None else [flag, value]
    return argv


def ptb_awd(args: argparse.Namespace) -> None:
    """Train (or resume) each AWD variant in turn, then tabulate the finished ones."""
    from rnnlab.cli import main as rnnlab_main

    out = Path(args.out)
    for name in args.variants:
        run = out / name
        argv = awd_argv(name, run, args.time_budget, args.budget_clock)
        resume = (run / "checkpoint").exists()
        command = ["rnnlab", *(["train", "lm", "--out", str(run), "--resume", "--no-progress"]
                               if resume else argv)]
        print(f"{name}: {' '.join(command)}", flush=True)
        if args.print_only or (run / lm.RESULTS_FILE).is_file():
            continue
        status = rnnlab_main(command[1:])
        if status:
            raise SystemExit(f"{name}: rnnlab exited with status {status}")
    test_tokens = read_words(default_path("ptb", "test"))
    lines = ["| variant | best dev ppl (epoch) | test ppl (batch 1) | epochs | train min |",
             "|---|---:|---:|---|---:|"]
    for name in args.variants:
        run = out / name
        if args.print_only or not (run / lm.RESULTS_FILE).is_file():
            continue
        test = lm.evaluate(LanguageModel.load(run / "model"), test_tokens)
        state = json.loads((run / "checkpoint" / "state.json").read_text())["loop"]
        epochs = history(run)
        best = ("stop" if state["best_epoch"] == 0 else state["best_epoch"])
        lines.append(f"| {name} | {math.exp(state['best']):.2f} ({best}) | "
                     f"{test.perplexity:.2f} | {len(epochs)} + part | "
                     f"{state['train_seconds'] / 60:.1f} |")
        print(f"{name}: test {test.perplexity:.2f}", flush=True)
    if len(lines) > 2:
        table = "\n".join(lines)
        atomic_write_text(out / "summary.md", table + "\n")
        print(table)


PROBE_MODEL = LanguageModelOptions(cell="lstm", layers=2, hidden_size=200, tie_weights=True,
                                   dropout=0.3, dropout_kind="locked")


def ptb_probe(args: argparse.Namespace) -> None:
    """Train the first ``--steps`` windows with one option changed; print what it gave."""
    from rnnlab import random as rnd
    from rnnlab.data.text import tbptt_batches
    from rnnlab.optim import SGD, clip_grad_norm

    changes = {}
    for item in args.options:
        key, value = item.split("=", 1)
        changes[key] = json.loads(value)
    rnd.seed(0)
    streams = lm.prepare(ptb_data())
    model = LanguageModel(replace(PROBE_MODEL, **changes).model_config(len(streams.vocab),
                                                                       "word"), streams.vocab)
    optimizer = SGD(model.parameters(), lr=args.lr)
    times, losses = [], []
    model.train()
    for batch in list(tbptt_batches(streams.train, 20, 35))[:args.steps]:
        started = time.perf_counter()
        optimizer.zero_grad()
        loss = model.loss(batch)
        loss.backward()
        clip_grad_norm(model.parameters(), 0.25)
        optimizer.step()
        times.append(time.perf_counter() - started)
        losses.append(float(loss.data))
    dev = model.score_stream(streams.dev[:20000], 10, 35)
    shown = " ".join(args.options) or "(none)"
    print(f"| {shown} | {args.steps} | {sorted(times)[len(times) // 2]:.3f} | "
          f"{math.exp(sum(losses[-50:]) / len(losses[-50:])):.1f} | {dev.perplexity:.1f} |")


def names(args: argparse.Namespace) -> None:
    out = Path(args.out)
    data = GeneratorData([str(default_path("names"))], level="char", dev_fraction=0.1,
                         split_seed=0)
    results = {}
    for mode in NAMES_MODES:
        run = out / mode.replace("+", "-")
        if not (run / generation.RESULTS_FILE).exists():
            config = GenerationConfig(data, model=replace(NAMES_MODEL, condition_mode=mode),
                                      loop=NAMES_LOOP, batch_size=32)
            train_or_resume(generation, run, config)
        results[mode] = json.loads((run / "results.json").read_text())["held_out"]
        results[mode]["minutes"] = sum(r["seconds"] for r in history(run)) / 60
    print("| model | held-out NLL (nats/char) | bits/char | perplexity | train min |")
    print("|---|---:|---:|---:|---:|")
    for mode, r in results.items():
        print(f"| {mode} | {r['loss']:.4f} | {r['bits_per_token']:.4f} | "
              f"{r['perplexity']:.3f} | {r['minutes']:.1f} |")
    plot_names_curves(out)
    best = min(("init", "init+input"), key=lambda m: results[m]["loss"])
    model = ConditionalGenerator.load(out / best.replace("+", "-") / "model")
    sampler = Sampler(temperature=0.8)
    print(f"\nsamples from the {best} model (temperature 0.8, seed = language index):")
    print("| language | 5 samples |\n|---|---|")
    for index, label in enumerate(model.config.labels):
        vectors = [model.condition_vector(label)] * 5
        print(f"| {label} | {', '.join(model.generate(vectors, 20, sampler, seed=index))} |")


def plot_names_curves(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for mode in NAMES_MODES:
        rows = history(out / mode.replace("+", "-"))
        [line] = ax.plot([r["epoch"] for r in rows], [r["dev_loss"] for r in rows], marker="o",
                         label=f"{mode}: held-out")
        ax.plot([r["epoch"] for r in rows], [r["train_loss"] for r in rows], linestyle="--",
                color=line.get_color(), alpha=0.6, label=f"{mode}: train")
    ax.set_xlabel("epoch")
    ax.set_ylabel("NLL (nats / char)")
    ax.set_title("names: conditional vs unconditional generator")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    with atomic_path(FIGURES / "lm-names.png") as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)
    print(f"\ncurves: {(FIGURES / 'lm-names.png').relative_to(REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("ptb-epoch-time")
    p.add_argument("--tokens", type=int, default=40000)
    p.set_defaults(handler=ptb_epoch_time)
    p = commands.add_parser("ptb-report")
    p.add_argument("--run", default="runs/lm-ptb")
    p.set_defaults(handler=ptb_report)
    p = commands.add_parser("shakespeare-report")
    p.add_argument("--run", default="runs/lm-shakespeare")
    p.set_defaults(handler=shakespeare_report)
    p = commands.add_parser("ptb-ablations")
    p.add_argument("--out", default="runs/lm-ptb-ablations")
    p.add_argument("--variants", nargs="+", choices=list(PTB_ABLATIONS),
                   default=list(PTB_ABLATIONS))
    p.add_argument("--time-budget", type=float, default=75.0,
                   help="minutes of training per variant")
    p.set_defaults(handler=ptb_ablations)
    p = commands.add_parser("ptb-awd")
    p.add_argument("--out", default="runs/ptb-awd-ablations")
    p.add_argument("--variants", nargs="+", choices=list(AWD_ABLATIONS),
                   default=list(AWD_ABLATIONS))
    p.add_argument("--time-budget", type=float, default=75.0,
                   help="minutes of training per variant")
    p.add_argument("--budget-clock", choices=("wall", "cpu"), default="wall",
                   help="what the budget counts (rnnlab train --budget-clock): cpu keeps "
                        "variants run side by side on a loaded machine comparable")
    p.add_argument("--print-only", action="store_true", help="print the commands only")
    p.set_defaults(handler=ptb_awd)
    p = commands.add_parser("ptb-probe")
    p.add_argument("options", nargs="*", help="KEY=VALUE changes of the probe model")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--lr", type=float, default=20.0)
    p.set_defaults(handler=ptb_probe)
    p = commands.add_parser("names")
    p.add_argument("--out", default="runs/lm-names")
    p.set_defaults(handler=names)
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
