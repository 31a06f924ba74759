"""Stanford Sentiment Treebank benchmark of the sentence classifier (LECTURE §3.3).

Suites (each run is one child process training with :mod:`rnnlab.tasks.classification`,
then one evaluating its model on dev and test):

* ``sst2`` — binary SST, trained on every labelled phrase, one run per seed; reports test
  accuracy (root sentences) as mean ± standard deviation over the seeds.
* ``sst5`` — the same for the five fine-grained classes.
* ``compare`` — SST-2 dev accuracy of RNN vs GRU vs LSTM, uni- vs bidirectional, and the
  pooling choices (last, max, mean, attention), each varied from the main configuration;
  trained on root sentences only unless ``--compare-training phrases``.

Every run lives in ``OUT/<suite>/<variant>/seed<k>/`` (a run folder: ``run.json``,
``model/``, ``checkpoint/``, plus this script's logs); the script is safe to rerun: a run
with ``result.json`` is skipped, a run with a checkpoint is resumed, and a run folder whose
saved config differs from the current one is an error (use another ``--out``).
``--time-budget`` interrupts a run after that many wall-clock minutes (it checkpoints, and
its best model so far is evaluated; the result records that the budget stopped it).

    nice -n 5 .venv/bin/python benchmarks/tasks/sst.py --out runs/sst-benchmark            # all
    .venv/bin/python benchmarks/tasks/sst.py --out runs/sst-benchmark --summary-only       # tables
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rnnlab.data.paths import shared_data_dir
from rnnlab.io.atomic import atomic_path, atomic_write_text
from rnnlab.tasks import classification as task
from rnnlab.training.run_folder import RunFolder, config_from_dict, differences

REPO = Path(__file__).resolve().parents[2]
SUITES = ("sst2", "sst5", "compare")

# The main configuration: a one-layer bidirectional LSTM with max pooling over time.
MAIN = {
    "cell": "lstm", "layers": 1, "bidirectional": True, "hidden_size": 150, "embed_dim": 300,
    "pooling": "max", "dropout": 0.5, "word_dropout": 0.1, "batch_size": 64, "lr": 0.001,
}
# Comparison variants on SST-2 dev: each changes the main configuration in one respect.
VARIANTS = {
    "lstm-bi-max": {},
    "gru-bi-max": {"cell": "gru"},
    "rnn-bi-max": {"cell": "rnn"},
    "lstm-uni-max": {"bidirectional": False},
    "lstm-bi-last": {"pooling": "last"},
    "lstm-bi-mean": {"pooling": "mean"},
    "lstm-bi-attention": {"pooling": "attention"},
}
# Further configurations for the sst2/sst5 suites (``--main-variant``), not in the comparison:
# smaller embeddings (the RNTN paper found 25–35-d vectors best without pretraining).
TUNING = {
    "lstm-bi-mean-e100": {"pooling": "mean", "embed_dim": 100},
    "lstm-bi-max-e100": {"embed_dim": 100},
    "lstm-bi2-max-e100": {"embed_dim": 100, "layers": 2},
    # the same with the learning rate multiplied by 0.8 after every epoch from the 4th on
    # (dev accuracy swings by ~1.5 points between late epochs at a constant rate)
    "lstm-bi2-max-e100-decay": {"embed_dim": 100, "layers": 2, "lr_schedule": "step",
                                "lr_decay": 0.8, "lr_decay_start": 4},
    # + a character BiLSTM per word: 1,020 of the 1,821 test sentences have a word never seen
    # in training (benchmarks/tasks/sst_unseen.py), which word embeddings can only map to <unk>
    "lstm-bi2-max-e100-chars": {"embed_dim": 100, "layers": 2, "char_dim": 30,
                                "char_hidden_size": 50},
}


def run_config(options: dict, classes: int, data: Path, epochs: int, seed: int,
               phrases: bool) -> task.ClassificationConfig:
    """The task config of one run: ``options`` name fields of its model and loop sections
    (and ``batch_size``)."""
    sections = {"data": {"train": str(data / "train.txt"), "dev": str(data / "dev.txt"),
                         "format": "sst", "classes": classes, "phrases": phrases},
                "model": {}, "loop": {"epochs": epochs, "seed": seed, "progress": False,
                                      "monitor": "accuracy", "monitor_mode": "max"}}
    model_fields = set(task.ClassifierOptions.__dataclass_fields__)
    top = {}
    for key, value in options.items():
        if key == "batch_size":
            top[key] = value
        else:
            sections["model" if key in model_fields else "loop"][key] = value
    return config_from_dict(task.ClassificationConfig, {**sections, **top})


def _child(argv: list[str]) -> list[str]:
    """The command line of a child process running this script's ``--child`` mode."""
    return [sys.executable, str(Path(__file__).resolve()), "--child", *argv]


def _child_env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads), "RNNLAB_NUM_THREADS": str(threads)}


def train_in_child(run_dir: Path, config: task.ClassificationConfig, resume: bool, log: Path,
                   threads: int, budget_s: float | None) -> tuple[int, bool]:
    """Train (or resume) the run in a child process (output appended to ``log``).

    Returns its exit status and whether the time budget interrupted it (with SIGINT, so the
    trainer writes a checkpoint first).
    """
    argv = ["train", str(run_dir), json.dumps(dataclasses.asdict(config)),
            "resume" if resume else "new"]
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ train {run_dir}{' (resumed)' if resume else ''}\n")
        out.flush()
        child = subprocess.Popen(_child(argv), stdout=out, stderr=subprocess.STDOUT,
                                 cwd=REPO, env=_child_env(threads))
        try:
            return child.wait(timeout=budget_s), False
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)
            return child.wait(), True


def evaluate(run_dir: Path, data_file: Path, threads: int) -> dict:
    report = run_dir / f"eval-{data_file.stem}.json"
    log = run_dir / "eval.log"
    done = subprocess.run(_child(["eval", str(run_dir), str(data_file)]),
                          capture_output=True, text=True, cwd=REPO, env=_child_env(threads))
    atomic_write_text(log, done.stderr)
    if done.returncode:
        raise RuntimeError(f"eval of {run_dir} on {data_file} failed:\n{done.stderr}")
    atomic_write_text(report, done.stdout)
    return json.loads(done.stdout)


def child_main(argv: list[str]) -> int:
    """``--child train RUN_DIR CONFIG_JSON new|resume`` or ``--child eval RUN_DIR DATA``."""
    from rnnlab.models import open_model_dir

    if argv[0] == "train":
        run_dir, config = Path(argv[1]), config_from_dict(task.ClassificationConfig,
                                                          json.loads(argv[2]))
        resume = argv[3] == "resume"
        try:  # a new run replaces what a run killed before its first checkpoint left
            task.train(run_dir, config, resume=resume, overwrite=not resume)
        except KeyboardInterrupt:
            return 130
        return 0
    model = open_model_dir(argv[1], kind="sentence_classifier")
    data = task.read_for_model(model, argv[2], "sst")
    print(json.dumps(task.evaluate(model, data, argv[2]).to_dict(), indent=2))
    return 0


def _finished_epoch_seconds(run_dir: Path) -> float:
    """Training seconds of the epochs in ``metrics.jsonl`` (0 for a new run)."""
    metrics = run_dir / "metrics.jsonl"
    if not metrics.is_file():
        return 0.0
    return sum(json.loads(line)["seconds"] for line in
               metrics.read_text(encoding="utf-8").splitlines())


def run_one(run_dir: Path, config: task.ClassificationConfig, data: Path,
            args: argparse.Namespace) -> dict:
    """Train (or resume) one run and evaluate it; returns its result.json content."""
    result_path = run_dir / "result.json"
    if result_path.is_file():
        return json.loads(result_path.read_text(encoding="utf-8"))
    run_dir.mkdir(parents=True, exist_ok=True)
    saved = RunFolder(run_dir).saved_config(task.TASK, task.ClassificationConfig)
    resume = saved is not None and (run_dir / "checkpoint").is_dir()
    if resume and differences(saved, config):
        raise SystemExit(f"{run_dir} was started with another config "
                         f"({'; '.join(differences(saved, config))}); use another --out")
    timing_path = run_dir / "timing.json"
    timing = json.loads(timing_path.read_text()) if timing_path.is_file() else {
        "seconds": _finished_epoch_seconds(run_dir)}  # a run killed before it could write it
    budget_s = None if args.time_budget is None else args.time_budget * 60 - timing["seconds"]
    print(f"{'resuming' if resume else 'training'} {run_dir}", flush=True)
    start = time.perf_counter()
    status, stopped = train_in_child(run_dir, config, resume, run_dir / "train.log",
                                     args.threads,
                                     budget_s if budget_s is None else max(budget_s, 1))
    timing["seconds"] += time.perf_counter() - start
    atomic_write_text(timing_path, json.dumps(timing))
    if status != 0 and not stopped:
        raise RuntimeError(f"training {run_dir} failed (exit {status}); see its train.log")
    if not (run_dir / "metrics.jsonl").is_file():
        raise RuntimeError(f"{run_dir}: no epoch finished within the time budget")
    metrics = [json.loads(line) for line in
               (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    result = {
        "config": dataclasses.asdict(config),
        "train_seconds": round(timing["seconds"], 1),
        "epochs_run": len(metrics),
        "stopped_by_time_budget": stopped,
        "best_epoch": max(metrics, key=lambda row: row["dev_accuracy"])["epoch"],
        "dev": evaluate(run_dir, data / "dev.txt", args.threads),
        "test": evaluate(run_dir, data / "test.txt", args.threads),
    }
    for split in ("dev", "test"):  # keep the headline numbers, drop the long per-class lists
        result[split] = {k: result[split][k] for k in ("accuracy", "macro_f1", "examples")}
    atomic_write_text(result_path, json.dumps(result, indent=2))
    return result


def planned_runs(args: argparse.Namespace
                 ) -> list[tuple[str, str, int, task.ClassificationConfig, Path]]:
    """(suite, variant, seed, config, run_dir) for every run the chosen suites need."""
    runs = []
    data = Path(args.data)
    for suite in args.suites:
        if suite in ("sst2", "sst5"):
            classes, epochs = (2, args.sst2_epochs) if suite == "sst2" else (5, args.sst5_epochs)
            variants = {args.main_variant: {**VARIANTS, **TUNING}[args.main_variant]}
            seeds = args.seeds
            phrases = not args.no_phrases
        else:
            classes, epochs, variants, seeds = 2, args.compare_epochs, VARIANTS, args.compare_seeds
            phrases = args.compare_training == "phrases"
        for variant, change in variants.items():
            for seed in seeds:
                run_dir = Path(args.out) / suite / variant / f"seed{seed}"
                options = {**MAIN, **change}
                if args.lazy_embeddings:
                    options["lazy_embedding_updates"] = True
                if args.average_decay:
                    options["average_decay"] = args.average_decay
                config = run_config(options, classes, data, epochs, seed, phrases)
                runs.append((suite, variant, seed, config, run_dir))
    return runs


def ensemble_report(runs: list[tuple[str, str, int, task.ClassificationConfig, Path]],
                    data: Path) -> str:
    """Test accuracy of averaging the class probabilities of every finished seed of each
    sst2/sst5 configuration — what an ensemble of those models would score (not the
    single-model protocol the targets name; reported beside it)."""
    from rnnlab.data.sst import read_sst_trees, sst_examples
    from rnnlab.models.classifier import SentenceClassifier

    groups: dict[tuple[str, str], list[Path]] = {}
    for suite, variant, _, _, run_dir in runs:
        if suite in ("sst2", "sst5") and (run_dir / "result.json").is_file():
            groups.setdefault((suite, variant), []).append(run_dir)
    lines = []
    for (suite, variant), run_dirs in groups.items():
        test = sst_examples(read_sst_trees(data / "test.txt"),
                            "binary" if suite == "sst2" else "fine")
        gold = np.array([example.label for example in test])
        probs = [SentenceClassifier.load(run_dir / "model").predict_proba(
            [example.tokens for example in test]) for run_dir in run_dirs]
        singles = [float((p.argmax(axis=1) == gold).mean()) for p in probs]
        together = float((np.mean(probs, axis=0).argmax(axis=1) == gold).mean())
        single = ", ".join(f"{100 * a:.2f}" for a in singles)
        lines.append(f"{suite} {variant}: ensemble of {len(probs)} seeds {100 * together:.2f} % "
                     f"test accuracy (single models {single})")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{100 * mean:.2f} (1 seed)"
    return (f"{100 * mean:.2f} ± {100 * statistics.stdev(values):.2f} "
            f"(min {100 * min(values):.2f}, max {100 * max(values):.2f}, {len(values)} seeds)")


def summary(results: dict[tuple[str, str], list[dict]]) -> str:
    """Markdown tables: test accuracy of the main suites and the comparison on dev."""
    lines = []
    main_rows = [(s, v, rs) for (s, v), rs in results.items() if s in ("sst2", "sst5") and rs]
    if main_rows:
        lines += ["| task | test accuracy % | test macro-F1 % | dev accuracy % | "
                  "minutes per run | epochs (best) |", "|---|---|---|---|---|---|"]
        for suite, _, rs in main_rows:
            minutes = ", ".join(f"{r['train_seconds'] / 60:.0f}" for r in rs)
            epochs = ", ".join(f"{r['epochs_run']} ({r['best_epoch']})" for r in rs)
            lines.append(
                f"| {suite.upper()} | {_spread([r['test']['accuracy'] for r in rs])} | "
                f"{_spread([r['test']['macro_f1'] for r in rs])} | "
                f"{_spread([r['dev']['accuracy'] for r in rs])} | {minutes} | {epochs} |"
            )
    compare_rows = [(v, rs) for (s, v), rs in results.items() if s == "compare" and rs]
    if compare_rows:
        lines += ["", "| SST-2 variant | dev accuracy % | minutes per run | epochs (best) |",
                  "|---|---|---|---|"]
        for variant, rs in compare_rows:
            minutes = ", ".join(f"{r['train_seconds'] / 60:.0f}" for r in rs)
            epochs = ", ".join(f"{r['epochs_run']} ({r['best_epoch']})" for r in rs)
            lines.append(f"| {variant} | {_spread([r['dev']['accuracy'] for r in rs])} | "
                         f"{minutes} | {epochs} |")
    if any(r["stopped_by_time_budget"] for rs in results.values() for r in rs):
        lines += ["", "Some runs were stopped by --time-budget; their best epoch was evaluated."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/sst-benchmark")
    parser.add_argument("--data", default=None,
                        help="folder with SST train/dev/test.txt (default: the shared data)")
    parser.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--compare-seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--compare-training", choices=("sentences", "phrases"),
                        default="sentences",
                        help="what the comparison runs train on: root sentences only (the "
                             "default: the encoder alone must carry the sentiment to the "
                             "sentence vector, and a run costs ~1/4 of a phrase run)")
    parser.add_argument("--main-variant", choices=[*VARIANTS, *TUNING], default="lstm-bi-max",
                        help="the configuration the sst2/sst5 suites train (default: the "
                             "main one); its runs live under OUT/<suite>/<variant>/")
    parser.add_argument("--sst2-epochs", type=int, default=6)
    parser.add_argument("--sst5-epochs", type=int, default=6)
    parser.add_argument("--compare-epochs", type=int, default=6)
    parser.add_argument("--no-phrases", action="store_true", help="train on sentences only")
    parser.add_argument("--lazy-embeddings", action="store_true",
                        help="train with --lazy-embedding-updates (Adam moves only the "
                             "embedding rows a batch used: ~1.25x faster steps, see "
                             "benchmarks/speed/classifier_step.py); use "
                             "its own --out")
    parser.add_argument("--average-decay", type=float, default=0.0,
                        help="evaluate an exponential moving average of the weights (e.g. "
                             "0.999); use its own --out")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="minutes of training per run before it is interrupted")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per run")
    parser.add_argument("--ensemble", action="store_true",
                        help="also report the test accuracy of averaging the finished seeds' "
                             "probabilities (sst2/sst5)")
    parser.add_argument("--summary-only", action="store_true",
                        help="print the tables of the finished runs; train nothing")
    args = parser.parse_args()
    args.data = args.data or str(shared_data_dir() / "sst")

    results: dict[tuple[str, str], list[dict]] = {}
    for suite, variant, seed, config, run_dir in planned_runs(args):
        key = (suite, variant)
        results.setdefault(key, [])
        if args.summary_only:
            if (run_dir / "result.json").is_file():
                results[key].append(json.loads((run_dir / "result.json").read_text()))
            continue
        result = run_one(run_dir, config, Path(args.data), args)
        results[key].append(result)
        print(f"{suite} {variant} seed {seed}: dev {result['dev']['accuracy']:.4f}, "
              f"test {result['test']['accuracy']:.4f}, {result['train_seconds'] / 60:.1f} min",
              flush=True)
    table = summary(results)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(args.out) / "summary.md", table + "\n")
    print(table)
    if args.ensemble:
        print(ensemble_report(planned_runs(args), Path(args.data)))
    figure = plot_comparison(results, Path(args.out) / "comparison.png")
    if figure is not None:
        print(f"comparison figure: {figure}")
    return 0


def plot_comparison(results: dict[tuple[str, str], list[dict]], path: Path) -> Path | None:
    """Dev accuracy of each comparison variant: one dot per seed, a bar at their mean."""
    rows = [(v, [100 * r["dev"]["accuracy"] for r in rs])
            for (s, v), rs in results.items() if s == "compare" and rs]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 3.8))
    for k, (variant, scores) in enumerate(rows):
        axes.bar(k, statistics.fmean(scores), color="#9ecae1" if "lstm" in variant else
                 "#fdae6b" if "gru" in variant else "#bcbddc", width=0.7)
        axes.plot([k] * len(scores), scores, "ko", markersize=4)
    axes.set_xticks(range(len(rows)), [v for v, _ in rows], rotation=30, ha="right")
    low = min(min(scores) for _, scores in rows)
    axes.set(ylabel="SST-2 dev accuracy %", ylim=(max(0, low - 5), None),
             title="encoder and pooling choices (bar: mean; dots: seeds)")
    axes.grid(axis="y", alpha=0.3)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[2:]) if sys.argv[1:2] == ["--child"] else main())
