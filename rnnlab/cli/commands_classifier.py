"""``rnnlab train classifier``, ``rnnlab classify`` and ``rnnlab eval classifier``.

Sentence classification (LECTURE §3.3) on the Stanford Sentiment Treebank (``--format sst``:
one labelled tree per line; ``--classes 2`` drops neutral sentences and maps 0–1 to
negative, 3–4 to positive) or on the user's own TSV/CSV files of ``text,label`` rows.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnlab import random as rnd
from rnnlab.cli.trainer_flags import add_trainer_flags, trainer_config_from_args
from rnnlab.data._files import read_utf8, split_lines
from rnnlab.data.errors import DataFormatError
from rnnlab.data.labelled_text import read_labelled_text
from rnnlab.data.sst import read_sst
from rnnlab.data.tokenize import tokenize_english
from rnnlab.data.vocab import Vocab
from rnnlab.models.classifier import (
    ClassificationReport,
    ClassifierConfig,
    SentenceClassifier,
    classification_report,
    make_batches,
    normalise_tokens,
)
from rnnlab.nn.pooling import POOLING_METHODS
from rnnlab.recurrent.factory import CELL_NAMES
from rnnlab.training.trainer import BEST_DIR, Trainer

SST_LABELS = {
    2: ["negative", "positive"],
    5: ["very negative", "negative", "neutral", "positive", "very positive"],
}
FORMATS = ("sst", "tsv", "csv")


@dataclass
class LabelledSentences:
    """Tokenised sentences and their class labels (names, not ids)."""

    tokens: list[list[str]]
    labels: list[str]


def data_format(path: str | Path, fmt: str | None) -> str:
    """``fmt`` if given; otherwise tsv for .tsv/.tab, csv for .csv and sst for anything else."""
    if fmt is not None:
        return fmt
    suffix = Path(path).suffix.lower()
    return {".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}.get(suffix, "sst")


def read_sentences(
    path: str | Path, fmt: str, sst_classes: int = 5, phrases: bool = False
) -> LabelledSentences:
    """Read labelled sentences (every one, duplicates included); with ``phrases`` (SST only)
    every distinct labelled phrase of the treebank is an example instead, each phrase kept
    once (its first occurrence, so each sentence is followed by its new phrases).

    Raises:
        DataFormatError: a malformed file, naming the file and line.
        ValueError: ``phrases`` for a TSV/CSV file, or an unknown number of SST classes.
    """
    if fmt == "sst":
        if sst_classes not in SST_LABELS:
            raise ValueError(f"--classes must be 2 or 5 for SST, got {sst_classes}")
        mode = "binary" if sst_classes == 2 else "fine"
        names = SST_LABELS[sst_classes]
        seen: set[tuple[str, ...]] = set()
        data = LabelledSentences([], [])
        for example in read_sst(path, mode=mode, phrases=phrases):
            key = tuple(example.tokens)
            if phrases and key in seen:
                continue
            seen.add(key)
            data.tokens.append(example.tokens)
            data.labels.append(names[example.label])
        return data
    if phrases:
        raise ValueError("--phrases needs SST trees (--format sst); TSV/CSV rows have no phrases")
    rows = read_labelled_text(path, fmt=fmt)
    return LabelledSentences([tokenize_english(r.text) for r in rows], [r.label for r in rows])


def label_ids(data: LabelledSentences, names: list[str], path: str | Path) -> list[int]:
    """Map label names to ids; a label the model does not know is a DataFormatError."""
    index = {name: i for i, name in enumerate(names)}
    ids = []
    for row, label in enumerate(data.labels, start=1):
        if label not in index:
            raise DataFormatError(
                path, None, f"example {row}: label {label!r} is not one of the model's "
                f"labels {names}",
            )
        ids.append(index[label])
    return ids


def resolve_model_dir(path: str | Path) -> Path:
    """A model directory, or a training output directory holding one in ``model/``."""
    path = Path(path)
    return path / BEST_DIR if (path / BEST_DIR / "config.json").is_file() else path


def evaluate_model(
    model: SentenceClassifier, data: LabelledSentences, path: str | Path
) -> tuple[ClassificationReport, float]:
    """The classification report and the mean negative log-likelihood on ``data``."""
    gold = label_ids(data, model.labels, path)
    probs = model.predict_proba(data.tokens)
    picked = probs[np.arange(len(gold)), gold]
    nll = float(-np.log(np.maximum(picked, 1e-12)).mean()) if gold else 0.0
    return classification_report(gold, probs.argmax(axis=1), model.labels), nll


# ------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    fmt = data_format(args.train, args.format)
    train = read_sentences(args.train, fmt, args.classes, args.phrases)
    dev = read_sentences(args.dev, data_format(args.dev, args.format), args.classes)
    if not train.tokens:
        raise ValueError(f"{args.train}: no training examples")
    names = SST_LABELS[args.classes] if fmt == "sst" else sorted(set(train.labels))
    lower = not args.keep_case
    train_forms = [normalise_tokens(s, lower) for s in train.tokens]
    vocab = Vocab.build(train_forms, min_freq=args.min_freq)
    config = ClassifierConfig(
        vocab_size=len(vocab),
        num_classes=len(names),
        embed_dim=args.embed_dim,
        hidden_size=args.hidden,
        num_layers=args.layers,
        cell=args.cell,
        bidirectional=args.bidirectional,
        pooling=args.pooling,
        attention_dim=args.attention_dim,
        dropout=args.dropout,
        word_dropout=args.word_dropout,
        lowercase=lower,
        char_dim=args.char_dim,
        char_hidden=args.char_hidden,
    )
    rnd.seed(args.seed)
    metadata = {"format": fmt, "sst_classes": args.classes if fmt == "sst" else None}
    chars = SentenceClassifier.char_vocab(train_forms) if args.char_dim else None
    model = SentenceClassifier(config, vocab, names, metadata=metadata, chars=chars)
    train_ids = [vocab.encode(f) for f in train_forms]
    train_y = label_ids(train, names, args.train)
    dev_forms = [model.normalise(s) for s in dev.tokens]
    dev_ids = [model.vocab.encode(f) for f in dev_forms]
    dev_y = label_ids(dev, names, args.dev)
    print(
        f"train: {len(train_ids)} examples ({fmt}{', phrases' if args.phrases else ''}), "
        f"dev: {len(dev_ids)}, vocab: {len(vocab)}, classes: {names}, "
        f"parameters: {model.num_parameters()}"
    )

    def batches_for_epoch(epoch: int, rng: np.random.Generator) -> list:
        return make_batches(train_ids, train_y, args.batch_size, rng, vocab.pad_id,
                            forms=train_forms, characters=model.characters)

    def evaluate() -> dict[str, float]:
        probs = model.predict_proba_ids(dev_ids, forms=dev_forms)
        report = classification_report(dev_y, probs.argmax(axis=1), names)
        nll = -np.log(np.maximum(probs[np.arange(len(dev_y)), dev_y], 1e-12)).mean()
        return {"accuracy": report.accuracy, "macro_f1": report.macro_f1, "loss": float(nll)}

    trainer_config = trainer_config_from_args(args, monitor="accuracy", monitor_mode="max")
    trainer = Trainer(
        model,
        trainer_config,
        args.out,
        batches_for_epoch,
        evaluate=evaluate,
        batch_items=lambda batch: len(batch.lengths),
        item_name="sent",
    )
    trainer.fit(resume=args.resume)
    state = trainer.state
    print(
        f"best dev accuracy {state.best:.4f} at epoch {state.best_epoch}; "
        f"model saved in {Path(args.out) / BEST_DIR}"
    )
    return 0


# ---------------------------------------------------------------- classify
def _input_texts(args: argparse.Namespace) -> list[str]:
    texts = list(args.text)
    if args.input is not None:
        texts += [line for line in split_lines(read_utf8(args.input)) if line.strip()]
    if not texts:
        raise ValueError("nothing to classify: give texts as arguments or --input FILE")
    for i, text in enumerate(texts, start=1):
        if not tokenize_english(text):
            raise ValueError(f"text {i} is empty")
    return texts


def run_classify(args: argparse.Namespace) -> int:
    model = SentenceClassifier.load(resolve_model_dir(args.model))
    texts = _input_texts(args)
    probs = model.predict_proba([model.tokenize(t) for t in texts])
    for text, p in zip(texts, probs, strict=True):
        best = int(p.argmax())
        if args.json:
            scores = {name: float(v) for name, v in zip(model.labels, p, strict=True)}
            row = {"text": text, "label": model.labels[best], "probability": float(p[best]),
                   "probabilities": scores}
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{model.labels[best]}\t{p[best]:.4f}\t{text}")
    return 0


# -------------------------------------------------------------------- eval
def _print_report(report: ClassificationReport, nll: float, path: str) -> None:
    print(f"{path}: {report.total} examples")
    print(f"accuracy  {report.accuracy:.4f}")
    print(f"macro-F1  {report.macro_f1:.4f}")
    print(f"NLL       {nll:.4f}")
    width = max(len(name) for name in report.labels) + 2
    print("confusion matrix (rows: gold, columns: predicted)")
    print(" " * width + "".join(f"{i:>8d}" for i in range(len(report.labels))))
    for i, (name, row) in enumerate(zip(report.labels, report.confusion, strict=True)):
        print(f"{i} {name:<{width - 2}}" + "".join(f"{v:>8d}" for v in row))


def run_eval(args: argparse.Namespace) -> int:
    model = SentenceClassifier.load(resolve_model_dir(args.model))
    fmt = data_format(args.data, args.format)
    classes = len(model.labels)
    if fmt == "sst" and SST_LABELS.get(classes) != model.labels:
        raise ValueError(
            f"the model's labels {model.labels} are not SST's; for TSV/CSV data use a .tsv/.csv "
            "file or --format tsv|csv"
        )
    data = read_sentences(args.data, fmt, classes, args.phrases)
    report, nll = evaluate_model(model, data, args.data)
    if args.json:
        print(json.dumps({**report.to_dict(), "nll": nll, "data": str(args.data)}, indent=2))
    else:
        _print_report(report, nll, args.data)
    return 0


# ---------------------------------------------------------------- register
def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default=None,
        help="data format (default: tsv/csv from the extension, sst otherwise)",
    )


def register(groups) -> None:
    train = groups.train.add_parser(
        "classifier",
        help="train a sentence classifier (SST trees or text,label TSV/CSV)",
        description="Embeddings -> RNN/LSTM/GRU encoder -> pooling -> softmax (LECTURE §3.3).",
    )
    train.add_argument("--train", required=True, help="training data")
    train.add_argument("--dev", required=True, help="development data (picks the best epoch)")
    train.add_argument("--out", required=True, help="output directory (model/, checkpoint/)")
    _add_format(train)
    train.add_argument("--classes", type=int, choices=(2, 5), default=5,
                       help="SST: 2 = binary (neutral dropped), 5 = fine-grained")
    train.add_argument("--phrases", action="store_true",
                       help="SST: every distinct labelled phrase is an extra training example")
    train.add_argument("--cell", choices=CELL_NAMES, default="lstm")
    train.add_argument("--layers", type=int, default=1)
    train.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=True)
    train.add_argument("--hidden", type=int, default=150, help="hidden size per direction")
    train.add_argument("--embed-dim", type=int, default=300)
    train.add_argument("--char-dim", type=int, default=0,
                       help="character embedding size of a character BiLSTM that adds each "
                            "word's spelling to its embedding (0: no characters)")
    train.add_argument("--char-hidden", type=int, default=50,
                       help="character BiLSTM units per direction (with --char-dim)")
    train.add_argument("--pooling", choices=POOLING_METHODS, default="max")
    train.add_argument("--attention-dim", type=int, default=100)
    train.add_argument("--dropout", type=float, default=0.5)
    train.add_argument("--word-dropout", type=float, default=0.0,
                       help="probability of replacing a training token by <unk>")
    train.add_argument("--keep-case", action="store_true", help="do not lower-case tokens")
    train.add_argument("--min-freq", type=int, default=1)
    train.add_argument("--batch-size", type=int, default=32)
    add_trainer_flags(train, epochs=10, lr=1e-3)
    train.set_defaults(handler=run_train)

    classify = groups.top.add_parser(
        "classify", help="classify texts with a trained sentence classifier",
        description="Prints label, probability and text, one line per text.",
    )
    classify.add_argument("--model", required=True, help="model directory (or training --out)")
    classify.add_argument("text", nargs="*", help="texts to classify")
    classify.add_argument("--input", default=None, help="file with one text per line")
    classify.add_argument("--json", action="store_true", help="one JSON object per text")
    classify.set_defaults(handler=run_classify)

    evaluate = groups.eval.add_parser(
        "classifier", help="accuracy, macro-F1 and confusion matrix of a sentence classifier"
    )
    evaluate.add_argument("--model", required=True, help="model directory (or training --out)")
    evaluate.add_argument("--data", required=True, help="labelled data (SST trees or TSV/CSV)")
    _add_format(evaluate)
    evaluate.add_argument("--phrases", action="store_true",
                          help="SST: score every distinct labelled phrase, not only sentences")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(handler=run_eval)

