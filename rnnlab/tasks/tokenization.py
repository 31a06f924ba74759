"""Tokenization and sentence splitting (LECTURE §3.1): learn a treebank's cuts from its text.

:func:`prepare` reads the training and dev CoNLL-U files and turns every training
paragraph into its running text and character labels (:mod:`rnnlab.data.tokenizer_labels`);
:func:`train` runs the shared Trainer in a run folder (:mod:`rnnlab.training.run_folder`);
the model carries the training text's segmentation lexicon
(:mod:`rnnlab.models.segmentation_lexicon`), used in every dev evaluation.
Each epoch cuts the paragraphs longer than ``train_window`` characters into windows at a
fresh random offset, turns a fraction ``newline_rate`` of the spaces into newlines (raw
text breaks lines inside paragraphs; the treebank's ``# text`` never does), and batches
the pieces by length. After every epoch the dev file's running text
(:mod:`rnnlab.data.running_text`) is tokenized and scored with the CoNLL 2018 metrics
(:mod:`rnnlab.evaluation.conll18`); the mean F1 of Tokens, Sentences and Words decides
the best model (``OUT/model``) and early stopping. :func:`evaluate` gives all the scores
of a model on a gold file, from its running text or from any raw text of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnlab.data.batching import bucket_batches
from rnnlab.data.errors import DataFormatError
from rnnlab.data.running_text import running_text
from rnnlab.data.tokenizer_labels import LabelledParagraph, labelled_paragraphs
from rnnlab.data.ud_document import UDSentence, parse_ud, read_ud
from rnnlab.evaluation import conll18
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation import to_conllu, tokenize_text
from rnnlab.models.segmentation_lexicon import SegmentationLexicon
from rnnlab.models.tokenizer import Tokenizer, TokenizerBatch, TokenizerConfig
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "tokenization"
MONITOR = "mean_f1"


# ------------------------------------------------------------------- config
@dataclass
class TokenizationData:
    """The CoNLL-U files of a run; ``train_limit`` keeps the first N training sentences."""

    train: str | None = field(default=None, metadata=DATA_PATH)
    dev: str | None = field(default=None, metadata=DATA_PATH)
    train_limit: int | None = None


def default_loop() -> TrainerConfig:
    """Adam at 2e-3 halved on a dev plateau, up to 60 epochs, patience 10, best model by
    the dev mean F1 of Tokens, Sentences and Words."""
    return TrainerConfig(epochs=60, lr=2e-3, lr_schedule="plateau", patience=10,
                         monitor=MONITOR, monitor_mode="max")


@dataclass
class TokenizationConfig:
    """Everything a tokenization run is made of (saved in its ``run.json``)."""

    data: TokenizationData = field(default_factory=TokenizationData)
    model: TokenizerConfig = field(default_factory=TokenizerConfig)
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 32
    train_window: int = 300
    newline_rate: float = 0.02

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.train_window < 1:
            raise ValueError(f"--train-window must be >= 1 character, got {self.train_window}")
        if not 0.0 <= self.newline_rate <= 1.0:
            raise ValueError(f"--newline-rate must be in [0, 1], got {self.newline_rate}")


# --------------------------------------------------------------------- data
def read_treebank(path: str | Path, limit: int | None = None) -> list[UDSentence]:
    """The sentences of a CoNLL-U file (the first ``limit``).

    Raises:
        DataFormatError: a malformed file, or one without sentences.
    """
    sentences = read_ud(path)
    if limit is not None:
        sentences = sentences[:limit]
    if not sentences:
        raise DataFormatError(path, None, "no sentences found")
    return sentences


@dataclass
class TokenizerTrainingData:
    """The training paragraphs with their labels, the training sentences (for the
    multiword dictionary) and the dev sentences with their running text."""

    train: list[LabelledParagraph]
    train_sentences: list[UDSentence]
    dev: list[UDSentence]
    dev_text: str


def prepare(data: TokenizationData) -> TokenizerTrainingData:
    """Read the training (first ``train_limit`` sentences) and dev files."""
    if data.train is None or data.dev is None:
        raise ValueError("tokenization needs a training and a dev file (--train, --dev)")
    if data.train_limit is not None and data.train_limit < 1:
        raise ValueError(f"--train-limit must be >= 1 sentence, got {data.train_limit}")
    train = read_treebank(data.train, data.train_limit)
    dev = read_treebank(data.dev)
    labelled_paragraphs(dev, str(data.dev))  # the dev text must fit its tokens too
    return TokenizerTrainingData(labelled_paragraphs(train, str(data.train)), train, dev,
                                 running_text(dev))


def build_model(config: TokenizationConfig, data: TokenizerTrainingData) -> Tokenizer:
    """A fresh tokenizer: characters, multiword tokens and the segmentation lexicon
    (:mod:`rnnlab.models.segmentation_lexicon`) from the training data."""
    texts = [paragraph.text for paragraph in data.train]
    return Tokenizer.build(texts, MultiwordExpander.build(data.train_sentences), config.model,
                           SegmentationLexicon.build(data.train))


@dataclass(frozen=True, eq=False)
class EncodedParagraph:
    """A training paragraph as the model reads it."""

    ids: np.ndarray
    classes: np.ndarray
    labels: np.ndarray


def encode_paragraphs(model: Tokenizer, paragraphs: Sequence[LabelledParagraph]
                      ) -> list[EncodedParagraph]:
    """The character ids, class ids and labels of every non-empty training paragraph."""
    return [EncodedParagraph(*model.char_ids(p.text), p.labels.astype(np.int64))
            for p in paragraphs if p.text]


def cut(length: int, window: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Pieces of at most ``window`` characters covering ``[0, length)``; a longer text is
    cut at a random offset, then every ``window`` characters."""
    if length <= window:
        return [(0, length)]
    offset = int(rng.integers(1, window + 1))
    return [(0, offset)] + [(s, min(length, s + window)) for s in range(offset, length, window)]


def epoch_batches(model: Tokenizer, paragraphs: Sequence[EncodedParagraph],
                  config: TokenizationConfig, rng: np.random.Generator
                  ) -> list[TokenizerBatch]:
    """One epoch of shuffled, length-bucketed batches of paragraph pieces (module
    docstring)."""
    space, newline = model.class_id("space"), model.class_id("newline")
    newline_char = model.chars.token_to_id("\n")
    pieces = []
    for paragraph in paragraphs:
        for start, end in cut(len(paragraph.ids), config.train_window, rng):
            ids, classes = paragraph.ids[start:end], paragraph.classes[start:end]
            turned = (classes == space) & (rng.random(end - start) < config.newline_rate)
            if turned.any():
                ids, classes = ids.copy(), classes.copy()
                ids[turned], classes[turned] = newline_char, newline
            pieces.append((ids, classes, paragraph.labels[start:end]))
    lengths = np.array([len(p[0]) for p in pieces])
    return [model.batch(sorted((pieces[i] for i in chosen), key=lambda p: -len(p[0])))
            for chosen in bucket_batches(lengths, config.batch_size, shuffle=True, rng=rng)]


# ---------------------------------------------------------------- evaluation
def tokenize_to_conllu(model: Tokenizer, text: str, batch_size: int = 32) -> str:
    """CoNLL-U of raw ``text`` as ``model`` tokenizes it (:func:`to_conllu`)."""
    return to_conllu(tokenize_text(model, text, batch_size))


def evaluate(model: Tokenizer, gold: Sequence[UDSentence], text: str | None = None,
             batch_size: int = 32) -> dict[str, conll18.Score]:
    """The CoNLL 2018 scores of ``model`` tokenizing ``text`` (default: the running text of
    ``gold``) against ``gold``.

    Raises:
        TextMismatchError: ``text`` is not the text of ``gold``.
    """
    text = running_text(gold) if text is None else text
    system = parse_ud(tokenize_to_conllu(model, text, batch_size), "<tokenizer output>")
    return conll18.evaluate(gold, system, "gold", "tokenizer output")


def dev_scores(model: Tokenizer, data: TokenizerTrainingData) -> dict[str, float]:
    """What the Trainer logs: Tokens, Sentences and Words F1 on the dev text and their
    mean."""
    scores = evaluate(model, data.dev, data.dev_text)
    result = {f"{name.lower()}_f1": scores[name].f1 for name in ("Tokens", "Sentences", "Words")}
    result[MONITOR] = sum(result.values()) / 3
    return result


# ------------------------------------------------------------------ training
@dataclass
class TokenizationResult:
    """The best model of a run, its dev scores and how training went."""

    model: Tokenizer
    dev: dict[str, float]
    outcome: TrainOutcome


def train(
    run_dir: str | Path,
    config: TokenizationConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
    prepared: TokenizerTrainingData | None = None,
    verbose: bool = True,
) -> TokenizationResult:
    """Train a tokenizer in ``run_dir`` (or ``resume`` the run there with its saved
    config); the best model by dev mean F1 is in ``run_dir/model`` and in the result.

    ``prepared`` trains on data already in memory instead of reading the config's files.

    Raises:
        ValueError, FileNotFoundError: the run-folder rules (:meth:`RunFolder.session`).
        DataFormatError: malformed data.
    """
    run = RunFolder(run_dir)
    with run.session(TASK, TokenizationConfig, config,
                     lambda c: prepared if prepared is not None else prepare(c.data),
                     resume=resume, overwrite=overwrite, overrides=overrides) as (config, data):
        model = build_model(config, data)
        encoded = encode_paragraphs(model, data.train)
        if verbose:
            print(f"train: {len(data.train_sentences)} sentences, {len(encoded)} paragraphs, "
                  f"{sum(len(p.ids) for p in encoded)} characters, "
                  f"{len(model.expander.entries)} multiword forms; dev: {len(data.dev)} "
                  f"sentences; parameters: {model.num_parameters()}", flush=True)
        trainer = Trainer(
            model,
            config.loop,
            run.path,
            batches_for_epoch=lambda epoch, rng: epoch_batches(model, encoded, config, rng),
            evaluate=lambda: dev_scores(model, data),
            batch_items=lambda batch: batch.num_tokens,
            item_name="char",
        )
        trainer.fit(resume=resume)
    best = Tokenizer.load(run.model_dir)
    return TokenizationResult(best, dev_scores(best, data), TrainOutcome.of(trainer))
