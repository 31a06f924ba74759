"""Training a :class:`~rnnlab.models.tagger.Tagger` on CoNLL-U files with the shared Trainer.

Batches are length-bucketed (``rnnlab.data.batching.bucket_batches``) and drawn afresh each
epoch from the Trainer's epoch generator; the dev set is tagged after every epoch and its
UPOS accuracy decides the best model (``OUT/model``) and early stopping. The vocabularies
are rebuilt from the training file on ``resume`` — deterministically, so the checkpoint's
weights fit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batching import bucket_batches
from rnnlab.data.conllu_io import ConlluSentence, read_conllu
from rnnlab.data.errors import DataFormatError
from rnnlab.models.tagger import NO_TAG, Tagger, TaggerBatch, TaggerConfig
from rnnlab.models.tagger_metrics import accuracy
from rnnlab.training.trainer import BEST_DIR, Trainer, TrainerConfig


@dataclass
class TaggerTrainingData:
    """The training and dev sentences of a run."""

    train: list[ConlluSentence]
    dev: list[ConlluSentence]


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


def load_training_data(
    train_path: str | Path, dev_path: str | Path, max_train_sentences: int | None = None
) -> TaggerTrainingData:
    return TaggerTrainingData(
        train=read_gold_conllu(train_path, max_train_sentences), dev=read_gold_conllu(dev_path)
    )


def dev_scores(model: Tagger, dev: Sequence[ConlluSentence]) -> dict[str, float]:
    """UPOS (and XPOS) accuracy of ``model`` on ``dev``."""
    upos, xpos = model.predict([s.words for s in dev])
    scores = {"upos_accuracy": accuracy([s.upos for s in dev], upos)}
    if xpos is not None:
        scores["xpos_accuracy"] = accuracy([s.xpos for s in dev], xpos)
    return scores


def epoch_batches(
    model: Tagger, train: Sequence[ConlluSentence], batch_size: int, rng: np.random.Generator
) -> list[TaggerBatch]:
    """One epoch of length-bucketed, shuffled batches; each batch is longest-first."""
    lengths = np.array([len(s) for s in train])
    batches = []
    for indices in bucket_batches(lengths, batch_size, shuffle=True, rng=rng):
        chosen = sorted(indices, key=lambda i: -lengths[i])
        batches.append(model.encode(
            [train[i].words for i in chosen],
            [train[i].upos for i in chosen],
            [train[i].xpos for i in chosen],
        ))
    return batches


def train_tagger(
    data: TaggerTrainingData,
    out_dir: str | Path,
    config: TaggerConfig,
    trainer_config: TrainerConfig,
    batch_size: int = 32,
    resume: bool = False,
) -> Tagger:
    """Train (or ``resume``) a tagger; returns the best model, which is also in ``OUT/model``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rnd.seed(trainer_config.seed)  # the initial weights depend on the seed alone
    model = Tagger.build(data.train, config)
    trainer = Trainer(
        model,
        trainer_config,
        out_dir,
        batches_for_epoch=lambda epoch, rng: epoch_batches(model, data.train, batch_size, rng),
        evaluate=lambda: dev_scores(model, data.dev),
        batch_items=lambda batch: batch.n_tokens,
        item_name="tok",
    )
    trainer.fit(resume=resume)
    return Tagger.load(Path(out_dir) / BEST_DIR)
