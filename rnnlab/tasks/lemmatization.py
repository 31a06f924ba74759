"""Lemmatization (LECTURE §3.4): read CoNLL-U, train a lemmatizer, score it, fill LEMMA.

:func:`prepare` reads the training and dev files into (form, UPOS, FEATS, lemma) words;
:func:`train` builds the dictionary and the vocabularies from the training words and
trains the encoder–decoder (:mod:`rnnlab.models.lemmatizer`) in a run folder
(:mod:`rnnlab.training.run_folder`) on the *distinct* training words — the network only
ever sees words the dictionary does not hold, which look like rare words, not like "the" —
in length-bucketed batches shuffled afresh each epoch. After every epoch the dev words are
lemmatized (dictionary first) with their gold UPOS and FEATS; lemma accuracy decides the
best model (``OUT/model``) and early stopping. :func:`evaluate` gives accuracy over all
words and split into words whose form training saw and words it did not, with gold tags
or with any others given (a tagger's). :func:`lemmatize_conllu` fills the LEMMA column of
CoNLL-U text from its FORM, UPOS and FEATS columns, every other byte kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.data.batching import bucket_batches
from rnnlab.data.conllu_io import parse_conllu, read_conllu
from rnnlab.data.conllu_sentence import COLUMN_INDEX, ConlluSentence
from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import BOM
from rnnlab.models.lemmatizer import (
    NO_VALUE,
    LemmaBatch,
    Lemmatizer,
    LemmatizerConfig,
    WordRecord,
)
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "lemmatization"
MONITOR = "lemma_accuracy"
LEMMA_COL = COLUMN_INDEX["LEMMA"]


# ------------------------------------------------------------------- config
@dataclass
class LemmatizationData:
    """The CoNLL-U files of a run; ``train_limit`` keeps the first N training sentences."""

    train: str | None = field(default=None, metadata=DATA_PATH)
    dev: str | None = field(default=None, metadata=DATA_PATH)
    train_limit: int | None = None


def default_loop() -> TrainerConfig:
    """Adam at 2e-3 halved on a dev plateau, up to 40 epochs, patience 6, best model by
    dev lemma accuracy."""
    return TrainerConfig(epochs=40, lr=2e-3, lr_schedule="plateau", patience=6,
                         monitor=MONITOR, monitor_mode="max")


@dataclass
class LemmatizationConfig:
    """Everything a lemmatization run is made of (saved in its ``run.json``)."""

    data: LemmatizationData = field(default_factory=LemmatizationData)
    model: LemmatizerConfig = field(default_factory=LemmatizerConfig)
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {self.batch_size}")


# --------------------------------------------------------------------- data
@dataclass
class LemmaSentence:
    """The columns of one sentence that lemmatization reads (one entry per word)."""

    words: tuple[str, ...]
    upos: tuple[str, ...]
    feats: tuple[str, ...]
    lemmas: tuple[str, ...]


def lemma_sentences(sentences: Sequence[ConlluSentence]) -> list[LemmaSentence]:
    """FORM, UPOS, FEATS and LEMMA of every word of ``sentences``."""
    return [LemmaSentence(s.words, s.upos, s.feats, s.lemmas) for s in sentences]


def has_lemma(form: str, lemma: str) -> bool:
    """Whether a word carries a gold lemma (``_`` means none, except for the form ``_``)."""
    return lemma != NO_VALUE or form == NO_VALUE


def read_lemmatized(path: str | Path, limit: int | None = None) -> list[LemmaSentence]:
    """The sentences of a CoNLL-U file (the first ``limit``) whose words carry gold lemmas.

    Raises:
        DataFormatError: a malformed file, no sentences, or no word with a lemma.
    """
    sentences = read_conllu(path)
    if limit is not None:
        sentences = sentences[:limit]
    if not sentences:
        raise DataFormatError(path, None, "no sentences found")
    found = lemma_sentences(sentences)
    if not any(has_lemma(w, lemma) for s in found for w, lemma in zip(s.words, s.lemmas,
                                                                      strict=True)):
        raise DataFormatError(path, None, "no word has a lemma (every LEMMA is '_')")
    return found


def word_records(sentences: Sequence[LemmaSentence]) -> list[WordRecord]:
    """(form, UPOS, FEATS, lemma) of every word with a gold lemma, in order."""
    return [(w, u, f, lemma) for s in sentences
            for w, u, f, lemma in zip(s.words, s.upos, s.feats, s.lemmas, strict=True)
            if has_lemma(w, lemma)]


@dataclass
class LemmatizerTrainingData:
    """The training words and the dev sentences of a run."""

    train: list[WordRecord]
    dev: list[LemmaSentence]


def prepare(data: LemmatizationData) -> LemmatizerTrainingData:
    """Read the training (first ``train_limit`` sentences) and dev files."""
    if data.train is None or data.dev is None:
        raise ValueError("lemmatization needs a training and a dev file (--train, --dev)")
    if data.train_limit is not None and data.train_limit < 1:
        raise ValueError(f"--train-limit must be >= 1 sentence, got {data.train_limit}")
    return LemmatizerTrainingData(word_records(read_lemmatized(data.train, data.train_limit)),
                                  read_lemmatized(data.dev))


def network_examples(model: Lemmatizer, words: Sequence[WordRecord]) -> list[WordRecord]:
    """The distinct training words the network learns from: FEATS kept only for a model
    that reads them, forms longer than ``max_word_chars`` left out, sorted."""
    keep_feats = model.config.use_feats
    limit = model.config.max_word_chars
    return sorted({(form, upos, feats if keep_feats else NO_VALUE, lemma)
                   for form, upos, feats, lemma in words if len(form) <= limit})


def epoch_batches(model: Lemmatizer, examples: Sequence[WordRecord], batch_size: int,
                  rng: np.random.Generator) -> list[LemmaBatch]:
    """One epoch of length-bucketed, shuffled batches of ``examples``."""
    lengths = np.array([len(form) for form, *_ in examples])
    return [model.encode([examples[i] for i in indices])
            for indices in bucket_batches(lengths, batch_size, shuffle=True, rng=rng)]


# ---------------------------------------------------------------- evaluation
def evaluate(
    model: Lemmatizer,
    sentences: Sequence[LemmaSentence],
    upos: Sequence[Sequence[str]] | None = None,
    feats: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Lemma accuracy of ``model`` on gold ``sentences``: over all words with a gold lemma,
    and split into words whose form training saw (``seen``, with any tag) and the rest.

    ``upos``/``feats`` replace the gold columns (a tagger's predictions); None: gold UPOS,
    and gold FEATS for a model that reads them.
    """
    words = [list(s.words) for s in sentences]
    tags = [list(s.upos) for s in sentences] if upos is None else upos
    if feats is None and model.config.use_feats:
        feats = [list(s.feats) for s in sentences]
    start = time.perf_counter()
    predicted = model.lemmatize_many(words, tags, feats)
    seconds = time.perf_counter() - start
    counts = {"seen": [0, 0], "unseen": [0, 0]}
    for s, lemmas in zip(sentences, predicted, strict=True):
        for form, gold, guess in zip(s.words, s.lemmas, lemmas, strict=True):
            if has_lemma(form, gold):
                part = counts["seen" if form in model.train_forms else "unseen"]
                part[0] += 1
                part[1] += guess == gold
    total = counts["seen"][0] + counts["unseen"][0]
    correct = counts["seen"][1] + counts["unseen"][1]
    result: dict[str, Any] = {
        "sentences": len(sentences), "words": total,
        "lemma_accuracy": correct / max(total, 1),
        "words_per_second": sum(map(len, words)) / max(seconds, 1e-9),
    }
    for name, (n, right) in counts.items():
        result[f"{name}_words"] = n
        result[f"{name}_accuracy"] = right / n if n else 0.0
    return result


def dev_scores(model: Lemmatizer, dev: Sequence[LemmaSentence]) -> dict[str, float]:
    """Dev lemma accuracy, all words and unseen ones: what the Trainer logs."""
    result = evaluate(model, dev)
    return {MONITOR: result["lemma_accuracy"], "unseen_accuracy": result["unseen_accuracy"]}


# ------------------------------------------------------------------- CoNLL-U
def with_lemmas(sentence: ConlluSentence, lemmas: Sequence[str]) -> ConlluSentence:
    """A copy of ``sentence`` with the LEMMA column of each word replaced; every other
    byte kept.

    Raises:
        ValueError: a lemma list of the wrong length, or a lemma that is empty or holds a
            tab or line break.
    """
    if len(lemmas) != len(sentence.words):
        raise ValueError(f"got {len(lemmas)} lemmas for a sentence of "
                         f"{len(sentence.words)} words")
    for lemma in lemmas:
        if not isinstance(lemma, str) or not lemma or any(c in lemma for c in "\t\r\n"):
            raise ValueError(f"invalid lemma {lemma!r}: must be a non-empty string without "
                             "tabs or line breaks")
    lines = list(sentence.lines)
    for word, index in enumerate(sentence.word_line_index):
        line = lines[index]
        bom = BOM if line.startswith(BOM) else ""
        content = line.removeprefix(BOM).rstrip("\r\n")
        cols = content.split("\t")
        cols[LEMMA_COL] = lemmas[word]
        lines[index] = bom + "\t".join(cols) + line[len(bom) + len(content):]
    return replace(sentence, text="".join(lines))


def lemmatize_conllu(model: Lemmatizer, text: str, source: str = "<string>") -> str:
    """The CoNLL-U ``text`` with LEMMA filled in from FORM, UPOS and FEATS.

    Raises:
        DataFormatError: malformed CoNLL-U, or a word without a UPOS (tag it first).
    """
    sentences = parse_conllu(text, source=source)
    for sentence in sentences:
        for tag, line_index in zip(sentence.upos, sentence.word_line_index, strict=True):
            if tag == NO_VALUE:
                raise DataFormatError(source, sentence.first_line + line_index,
                                      "word has no UPOS ('_'); tag the file first "
                                      "(rnnlab tag)")
    found = lemma_sentences(sentences)
    lemmas = model.lemmatize_many([s.words for s in found], [s.upos for s in found],
                                  [s.feats for s in found])
    return "".join(with_lemmas(s, row).text for s, row in zip(sentences, lemmas, strict=True))


# ------------------------------------------------------------------ training
@dataclass
class LemmatizationResult:
    """The best model of a run, its dev scores and how training went."""

    model: Lemmatizer
    dev: dict[str, float]
    outcome: TrainOutcome


def train(
    run_dir: str | Path,
    config: LemmatizationConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
    prepared: LemmatizerTrainingData | None = None,
    verbose: bool = True,
) -> LemmatizationResult:
    """Train a lemmatizer in ``run_dir`` (or ``resume`` the run there with its saved
    config); the best model by dev lemma accuracy is in ``run_dir/model`` and in the result.

    ``prepared`` trains on data already in memory instead of reading the config's files.

    Raises:
        ValueError, FileNotFoundError: the run-folder rules (:meth:`RunFolder.session`).
        DataFormatError: malformed data.
    """
    run = RunFolder(run_dir)
    with run.session(TASK, LemmatizationConfig, config,
                     lambda c: prepared if prepared is not None else prepare(c.data),
                     resume=resume, overwrite=overwrite, overrides=overrides) as (config, data):
        model = Lemmatizer.build(data.train, config.model)
        examples = network_examples(model, data.train)
        if verbose:
            print(f"train: {len(data.train)} words, {len(model.train_forms)} distinct forms, "
                  f"{len(examples)} network examples; dev: {len(data.dev)} sentences; "
                  f"parameters: {model.num_parameters()}", flush=True)
        trainer = Trainer(
            model,
            config.loop,
            run.path,
            batches_for_epoch=lambda epoch, rng: epoch_batches(model, examples,
                                                               config.batch_size, rng),
            evaluate=lambda: dev_scores(model, data.dev),
            batch_items=lambda batch: batch.num_tokens,
            item_name="char",
        )
        trainer.fit(resume=resume)
    best = Lemmatizer.load(run.model_dir)
    return LemmatizationResult(best, dev_scores(best, data.dev), TrainOutcome.of(trainer))
