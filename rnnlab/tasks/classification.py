"""Sentence classification (LECTURE §3.3): read labelled sentences, train, evaluate.

Data is the Stanford Sentiment Treebank (``format="sst"``: one labelled tree per line;
``classes=2`` drops neutral sentences and maps 0–1 to negative, 3–4 to positive) or the
user's own TSV/CSV files of ``text,label`` rows. :func:`prepare` reads the training and dev
files and builds the vocabulary and label list, :func:`train` runs the shared Trainer in a
run folder (:mod:`rnnlab.training.run_folder`), keeping the model with the best dev
accuracy, and :func:`evaluate` gives accuracy, macro-F1, the confusion matrix and the mean
negative log-likelihood of a model on labelled sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "classification"
SST_LABELS = {
    2: ["negative", "positive"],
    5: ["very negative", "negative", "neutral", "positive", "very positive"],
}
FORMATS = ("sst", "tsv", "csv")


# ------------------------------------------------------------------- config
@dataclass
class ClassificationData:
    """Where the examples are and how to read them (``format`` None: from the extension)."""

    train: str = field(metadata=DATA_PATH)
    dev: str = field(metadata=DATA_PATH)
    format: str | None = None
    classes: int = 5  # SST: 2 (neutral dropped) or 5
    phrases: bool = False  # SST: every distinct labelled phrase is a training example


@dataclass
class ClassifierOptions:
    """The architecture and vocabulary choices (what ``ClassifierConfig`` gets from them)."""

    cell: str = "lstm"
    layers: int = 1
    bidirectional: bool = True
    hidden_size: int = 150
    embed_dim: int = 300
    char_dim: int = 0
    char_hidden_size: int = 50
    pooling: str = "max"
    attention_dim: int = 100
    dropout: float = 0.5
    word_dropout: float = 0.0
    keep_case: bool = False
    min_freq: int = 1
    recurrent_dropout: float = 0.0  # inside the recurrent layers (rnnlab.recurrent.noise)
    zoneout: float = 0.0
    weight_drop: float = 0.0  # DropConnect on W_hh
    layer_norm: bool = False
    proj_size: int = 0  # LSTM projection (0: none)


def default_loop() -> TrainerConfig:
    """The classifier's loop: 10 epochs of Adam at 1e-3, best model by dev accuracy."""
    return TrainerConfig(epochs=10, lr=1e-3, monitor="accuracy", monitor_mode="max")


@dataclass
class ClassificationConfig:
    """Everything a classification run is made of (saved in its ``run.json``)."""

    data: ClassificationData
    model: ClassifierOptions = field(default_factory=ClassifierOptions)
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {self.batch_size}")


# --------------------------------------------------------------------- data
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


@dataclass
class EncodedSentences:
    """Sentences as a model reads them: normalised forms, their ids, gold label ids."""

    forms: list[list[str]]
    ids: list[list[int]]
    gold: list[int]


@dataclass
class PreparedClassification:
    """The training and dev sets, the vocabulary and the class names of a run."""

    train: EncodedSentences
    dev: EncodedSentences
    vocab: Vocab
    labels: list[str]
    format: str
    chars: Vocab | None  # the character vocabulary when the model reads characters


def prepare(data: ClassificationData, options: ClassifierOptions) -> PreparedClassification:
    """Read the training and dev files and build the vocabulary and the label list (SST's
    names, or the sorted labels of the training file).

    Raises:
        DataFormatError: a malformed file, no dev examples, or a dev label the training
            file lacks.
        ValueError: no training examples.
    """
    fmt = data_format(data.train, data.format)
    train = read_sentences(data.train, fmt, data.classes, data.phrases)
    dev = read_sentences(data.dev, data_format(data.dev, data.format), data.classes)
    if not train.tokens:
        raise ValueError(f"{data.train}: no training examples")
    if not dev.tokens:
        raise DataFormatError(data.dev, None, "no dev examples" + _binary_note(data))
    names = SST_LABELS[data.classes] if fmt == "sst" else sorted(set(train.labels))
    lower = not options.keep_case
    train_forms = [normalise_tokens(s, lower) for s in train.tokens]
    dev_forms = [normalise_tokens(s, lower) for s in dev.tokens]
    vocab = Vocab.build(train_forms, min_freq=options.min_freq)
    return PreparedClassification(
        train=EncodedSentences(train_forms, [vocab.encode(f) for f in train_forms],
                               label_ids(train, names, data.train)),
        dev=EncodedSentences(dev_forms, [vocab.encode(f) for f in dev_forms],
                             label_ids(dev, names, data.dev)),
        vocab=vocab,
        labels=names,
        format=fmt,
        chars=SentenceClassifier.char_vocab(train_forms) if options.char_dim else None,
    )


def _binary_note(data: ClassificationData) -> str:
    return " (2 SST classes leave out the neutral sentences)" if data.classes == 2 else ""


def build_model(config: ClassificationConfig, prepared: PreparedClassification
                ) -> SentenceClassifier:
    """A freshly initialised classifier (weights from rnnlab's seeded generator)."""
    options = config.model
    model_config = ClassifierConfig(
        vocab_size=len(prepared.vocab),
        num_classes=len(prepared.labels),
        embed_dim=options.embed_dim,
        hidden_size=options.hidden_size,
        num_layers=options.layers,
        cell=options.cell,
        bidirectional=options.bidirectional,
        pooling=options.pooling,
        attention_dim=options.attention_dim,
        dropout=options.dropout,
        word_dropout=options.word_dropout,
        lowercase=not options.keep_case,
        char_dim=options.char_dim,
        char_hidden=options.char_hidden_size,
        recurrent_dropout=options.recurrent_dropout,
        zoneout=options.zoneout,
        weight_drop=options.weight_drop,
        layer_norm=options.layer_norm,
        proj_size=options.proj_size,
    )
    metadata = {"format": prepared.format,
                "sst_classes": config.data.classes if prepared.format == "sst" else None}
    return SentenceClassifier(model_config, prepared.vocab, prepared.labels,
                              metadata=metadata, chars=prepared.chars)


# ---------------------------------------------------------------- evaluation
@dataclass
class ClassificationEvaluation:
    """Accuracy, macro-F1 and confusion matrix (``report``) and mean NLL in nats."""

    report: ClassificationReport
    nll: float

    def scores(self) -> dict[str, float]:
        """The dev metrics the Trainer logs (``loss`` is the NLL)."""
        return {"accuracy": self.report.accuracy, "macro_f1": self.report.macro_f1,
                "loss": self.nll}

    def to_dict(self) -> dict:
        return {**self.report.to_dict(), "nll": self.nll}


def score(probs: np.ndarray, gold: Sequence[int], labels: list[str]
          ) -> ClassificationEvaluation:
    """The evaluation of class probabilities (N, C) against gold label ids.

    Raises:
        ValueError: no examples (an accuracy of 0 examples is not a number).
    """
    gold = np.asarray(gold, np.int64)
    if not len(gold):
        raise ValueError("there are no examples to score")
    picked = probs[np.arange(len(gold)), gold]
    nll = float(-np.log(np.maximum(picked, 1e-12)).mean())
    return ClassificationEvaluation(
        classification_report(gold.tolist(), probs.argmax(axis=1), labels), nll)


def evaluate(model: SentenceClassifier, data: LabelledSentences, path: str | Path = "<data>",
             progress: bool | None = None) -> ClassificationEvaluation:
    """Score ``model`` on labelled sentences (``path`` names them in errors; ``progress`` as
    in :meth:`~rnnlab.models.classifier.SentenceClassifier.predict_proba_ids`).

    Raises:
        DataFormatError: no examples, or a label the model does not know.
    """
    if not data.tokens:
        raise DataFormatError(path, None, "no labelled examples to evaluate")
    gold = label_ids(data, model.labels, path)
    return score(model.predict_proba(data.tokens, progress=progress), gold, model.labels)


def read_for_model(model: SentenceClassifier, path: str | Path, fmt: str | None = None,
                   phrases: bool = False) -> LabelledSentences:
    """Labelled sentences of ``path`` read the way ``model``'s labels need.

    Raises:
        ValueError: SST trees for a model whose labels are not SST's.
    """
    fmt = data_format(path, fmt)
    classes = len(model.labels)
    if fmt == "sst" and SST_LABELS.get(classes) != model.labels:
        raise ValueError(
            f"the model's labels {model.labels} are not SST's; for TSV/CSV data use a .tsv/.csv "
            "file or --format tsv|csv"
        )
    return read_sentences(path, fmt, classes, phrases)


# ------------------------------------------------------------------ training
@dataclass
class ClassificationResult:
    """The best model of a run, its dev evaluation and how training went."""

    model: SentenceClassifier
    dev: ClassificationEvaluation
    outcome: TrainOutcome
    prepared: PreparedClassification


def train(
    run_dir: str | Path,
    config: ClassificationConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
    verbose: bool = True,
) -> ClassificationResult:
    """Train a classifier in ``run_dir`` (or ``resume`` the run there with its saved config);
    the best model by dev accuracy is in ``run_dir/model`` and in the result.

    Raises:
        ValueError, FileNotFoundError: the run-folder rules (:meth:`RunFolder.session`).
        DataFormatError: malformed data.
    """
    run = RunFolder(run_dir)
    with run.session(TASK, ClassificationConfig, config, lambda c: prepare(c.data, c.model),
                     resume=resume, overwrite=overwrite,
                     overrides=overrides) as (config, prepared):
        model = build_model(config, prepared)
        train_set, dev_set = prepared.train, prepared.dev
        if verbose:
            print(
                f"train: {len(train_set.ids)} examples ({prepared.format}"
                f"{', phrases' if config.data.phrases else ''}), dev: {len(dev_set.ids)}, "
                f"vocab: {len(prepared.vocab)}, classes: {prepared.labels}, "
                f"parameters: {model.num_parameters()}"
            )

        def batches_for_epoch(epoch: int, rng: np.random.Generator) -> list:
            return make_batches(train_set.ids, train_set.gold, config.batch_size, rng,
                                prepared.vocab.pad_id, forms=train_set.forms,
                                characters=model.characters)

        def dev_scores() -> dict[str, float]:
            probs = model.predict_proba_ids(dev_set.ids, forms=dev_set.forms, progress=False)
            return score(probs, dev_set.gold, prepared.labels).scores()

        trainer = Trainer(model, config.loop, run.path, batches_for_epoch, evaluate=dev_scores,
                          batch_items=lambda batch: len(batch.lengths), item_name="sent")
        trainer.fit(resume=resume)
    best = SentenceClassifier.load(run.model_dir)
    dev = score(best.predict_proba_ids(dev_set.ids, forms=dev_set.forms), dev_set.gold,
                prepared.labels)
    return ClassificationResult(best, dev, TrainOutcome.of(trainer), prepared)
