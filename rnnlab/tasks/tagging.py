"""Part-of-speech tagging (LECTURE §3.1, §11): read CoNLL-U, train a tagger, evaluate it.

:func:`prepare` reads the training and dev files (every word must carry a gold UPOS);
:func:`train` runs the shared Trainer in a run folder (:mod:`rnnlab.training.run_folder`)
on length-bucketed batches drawn afresh each epoch from the Trainer's epoch generator; the
dev set is tagged after every epoch and its UPOS accuracy decides the best model
(``OUT/model``) and early stopping. The model learns FEATS too when the training file has
features and ``model.feats`` is on (the default here). :func:`evaluate` gives accuracy,
per-tag scores, confusions, UFeats and AllTags, and accuracy on words unseen in training.
The vocabularies are built from the training file, deterministically, so on ``resume`` the
checkpoint's weights fit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.data.batching import bucket_batches
from rnnlab.data.conllu_io import ConlluSentence, read_conllu
from rnnlab.data.errors import DataFormatError
from rnnlab.models.tagger import NO_TAG, Tagger, TaggerBatch, TaggerConfig, gold_feats
from rnnlab.models.tagger_metrics import accuracy, evaluate_tagger, ufeats_accuracy
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "tagging"


# ------------------------------------------------------------------- config
@dataclass
class TaggingData:
    """The CoNLL-U files of a run; ``train_limit`` keeps the first N training sentences.
    (The files may be left out when :func:`train` is given the sentences themselves.)"""

    train: str | None = field(default=None, metadata=DATA_PATH)
    dev: str | None = field(default=None, metadata=DATA_PATH)
    train_limit: int | None = None


def default_loop() -> TrainerConfig:
    """The recipe of the shipped English model: 18 epochs of Adam at 2e-3 with a plateau
    schedule and patience 5, best model by dev UPOS accuracy."""
    return TrainerConfig(epochs=18, lr=2e-3, lr_schedule="plateau", patience=5,
                         monitor="upos_accuracy", monitor_mode="max")


@dataclass
class TaggingConfig:
    """Everything a tagging run is made of (saved in its ``run.json``)."""

    data: TaggingData = field(default_factory=TaggingData)
    model: TaggerConfig = field(default_factory=lambda: TaggerConfig(feats=True))
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {self.batch_size}")


# --------------------------------------------------------------------- data
def read_gold_conllu(path: str | Path, limit: int | None = None) -> list[ConlluSentence]:
    """Read a CoNLL-U file whose words all carry a gold UPOS (the first ``limit`` sentences).

    Raises:
        DataFormatError: a malformed file, no sentences, or a word whose UPOS is ``_``
            (the message names the file and the line).
    """
    sentences = read_conllu(path)
    if limit is not None:
        sentences = sentences[:limit]
    if not sentences:
        raise DataFormatError(path, None, "no sentences found")
    for sentence in sentences:
        for tag, line_index in zip(sentence.upos, sentence.word_line_index, strict=True):
            if tag == NO_TAG:
                raise DataFormatError(
                    path, sentence.first_line + line_index,
                    "word has no gold UPOS ('_'); every word needs one for training and scoring",
                )
    return sentences


@dataclass
class TaggerTrainingData:
    """The training and dev sentences of a run."""

    train: list[ConlluSentence]
    dev: list[ConlluSentence]


def prepare(data: TaggingData) -> TaggerTrainingData:
    """Read the training (first ``train_limit`` sentences) and dev files."""
    if data.train is None or data.dev is None:
        raise ValueError("tagging needs a training and a dev file (--train, --dev)")
    if data.train_limit is not None and data.train_limit < 1:
        raise ValueError(f"--train-limit must be >= 1 sentence, got {data.train_limit}")
    return TaggerTrainingData(train=read_gold_conllu(data.train, data.train_limit),
                              dev=read_gold_conllu(data.dev))


def epoch_batches(
    model: Tagger, train: Sequence[ConlluSentence], batch_size: int, rng: np.random.Generator,
    feats: Sequence[Sequence[str]] | None = None,
) -> list[TaggerBatch]:
    """One epoch of length-bucketed, shuffled batches; each batch is longest-first.
    ``feats``: the gold FEATS of each training sentence, for a model with a FEATS head."""
    lengths = np.array([len(s) for s in train])
    batches = []
    for indices in bucket_batches(lengths, batch_size, shuffle=True, rng=rng):
        chosen = sorted(indices, key=lambda i: -lengths[i])
        batches.append(model.encode(
            [train[i].words for i in chosen],
            [train[i].upos for i in chosen],
            [train[i].xpos for i in chosen],
            None if feats is None else [feats[i] for i in chosen],
        ))
    return batches


# ---------------------------------------------------------------- evaluation
def dev_scores(model: Tagger, dev: Sequence[ConlluSentence]) -> dict[str, float]:
    """UPOS (and XPOS, UFeats) accuracy of ``model`` on ``dev``: what the Trainer logs."""
    tags = model.predict_tags([s.words for s in dev], progress=False)
    scores = {"upos_accuracy": accuracy([s.upos for s in dev], tags.upos)}
    if tags.xpos is not None:
        scores["xpos_accuracy"] = accuracy([s.xpos for s in dev], tags.xpos)
    gold = [gold_feats(s) for s in dev]
    if tags.feats is not None and all(f is not None for f in gold):
        scores["ufeats_accuracy"] = ufeats_accuracy(gold, tags.feats)  # type: ignore[arg-type]
    return scores


def evaluate(model: Tagger, sentences: Sequence[ConlluSentence], batch_size: int = 64,
             progress: bool | None = None) -> dict[str, Any]:
    """The full report of :func:`~rnnlab.models.tagger_metrics.evaluate_tagger` on gold
    sentences (XPOS scored when the data has any, FEATS when it has any features;
    ``progress`` as in :meth:`~rnnlab.models.tagger.Tagger.predict`)."""
    has_xpos = any(t != NO_TAG for s in sentences for t in s.xpos)
    feats = [gold_feats(s) or () for s in sentences]
    has_feats = any(f != NO_TAG for s in feats for f in s)
    return evaluate_tagger(
        model, [s.words for s in sentences], [s.upos for s in sentences],
        [s.xpos for s in sentences] if has_xpos else None, batch_size, progress,
        feats=feats if has_feats else None,
    )


# ------------------------------------------------------------------ training
@dataclass
class TaggingResult:
    """The best model of a run, its dev accuracies and how training went."""

    model: Tagger
    dev: dict[str, float]
    outcome: TrainOutcome


def train(
    run_dir: str | Path,
    config: TaggingConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
    prepared: TaggerTrainingData | None = None,
    verbose: bool = True,
) -> TaggingResult:
    """Train a tagger in ``run_dir`` (or ``resume`` the run there with its saved config); the
    best model by dev UPOS accuracy is in ``run_dir/model`` and in the result.

    ``prepared`` trains on sentences already in memory instead of reading the config's
    files (which the run folder still records).

    Raises:
        ValueError, FileNotFoundError: the run-folder rules (:meth:`RunFolder.session`).
        DataFormatError: malformed data.
    """
    run = RunFolder(run_dir)
    with run.session(TASK, TaggingConfig, config,
                     lambda c: prepared if prepared is not None else prepare(c.data),
                     resume=resume, overwrite=overwrite, overrides=overrides) as (config, data):
        if verbose:
            print(f"train: {len(data.train)} sentences, {sum(map(len, data.train))} words; "
                  f"dev: {len(data.dev)} sentences", flush=True)
        model = Tagger.build(data.train, config.model)
        feats = ([gold_feats(s) or () for s in data.train] if model.feats_vocab is not None
                 else None)
        trainer = Trainer(
            model,
            config.loop,
            run.path,
            batches_for_epoch=lambda epoch, rng: epoch_batches(model, data.train,
                                                               config.batch_size, rng, feats),
            evaluate=lambda: dev_scores(model, data.dev),
            batch_items=lambda batch: batch.num_tokens,
            item_name="tok",
        )
        trainer.fit(resume=resume)
    best = Tagger.load(run.model_dir)
    return TaggingResult(best, dev_scores(best, data.dev), TrainOutcome.of(trainer))
