"""Conditional generation, one vector to a sequence (LECTURE §3.2).

A :class:`~rnnlab.models.ConditionalGenerator` learns p(text | v) from (vector, text)
pairs: a directory of ``<Label>.txt`` files (v is the label's one-hot vector, e.g. names
given their language) or ``FEATURES.npy`` with ``CAPTIONS.txt`` (row i of the array
conditions line i; see docs/generation.md).

* :func:`prepare` reads the pairs, holds out a random ``dev_fraction`` of them (drawn from
  ``split_seed`` alone) and builds the vocabulary from the training texts;
* :func:`train` trains with teacher forcing on length-bucketed batches into a run folder
  (:class:`~rnnlab.training.run_folder.RunFolder`) and writes the best model's held-out
  score to ``results.json``;
* :func:`evaluate` is the mean negative log-likelihood per predicted token (each character
  at char level, plus ``<eos>``) of texts given their vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnlab.data.batching import bucket_batches
from rnnlab.data.conditioned_text import ConditionedTexts, read_conditioned_texts
from rnnlab.data.levels import split_tokens
from rnnlab.data.vocab import Vocab
from rnnlab.io.serialization import save_json
from rnnlab.models.conditional_generator import (
    ConditionalGenerator,
    ConditionalGeneratorConfig,
    GeneratorBatch,
    generator_vocab,
)
from rnnlab.models.language_model import LanguageModelScore
from rnnlab.tasks.language_modelling import LEGACY_ARGS_FILE, RESULTS_FILE, legacy_config
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "conditional_generator"
EVAL_BATCH_SIZE = 256


@dataclass
class GeneratorData:
    """The (vector, text) pairs and how they are split and tokenised."""

    train: list[str] = field(metadata=DATA_PATH)  # [DIR] or [FEATURES.npy, CAPTIONS.txt]
    level: str = "char"
    dev_fraction: float = 0.1  # held out at random to pick the best epoch
    split_seed: int = 0  # the held-out split depends on this seed only
    keep_accents: bool = False  # labelled directories: keep non-ASCII letters

    def __post_init__(self) -> None:
        if not 0.0 < self.dev_fraction < 1.0:
            raise ValueError(f"--dev-fraction must be in (0, 1), got {self.dev_fraction}")


@dataclass
class GeneratorOptions:
    """The network: where the vector enters, and the recurrent decoder's shape
    (``embed_dim`` None means the hidden size)."""

    condition_mode: str = "init"  # initial state ("init"), also every input, or "none"
    cell: str = "lstm"
    layers: int = 1
    hidden_size: int = 128
    embed_dim: int | None = None
    dropout: float = 0.0
    init_scale: float = 0.1  # weights ~ U(-s, s)


def default_loop() -> TrainerConfig:
    """The loop defaults: 10 epochs of Adam at 2e-3."""
    return TrainerConfig(epochs=10, optimizer="adam", lr=2e-3, lr_decay_start=4)


@dataclass
class GenerationConfig:
    """Everything a conditional-generator run is trained with (saved in its ``run.json``)."""

    data: GeneratorData
    model: GeneratorOptions = field(default_factory=GeneratorOptions)
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 32


@dataclass
class PreparedTexts:
    """The training and held-out pairs and the training texts' vocabulary."""

    train: ConditionedTexts
    dev: ConditionedTexts
    vocab: Vocab
    labels: list[str] | None  # the one-hot dimensions' names (labelled directories)


@dataclass
class GenerationResult:
    """What :func:`train` returns: the best model, its held-out score, how training went."""

    model: ConditionalGenerator
    held_out: LanguageModelScore
    outcome: TrainOutcome


def prepare(data: GeneratorData) -> PreparedTexts:
    """Read the pairs, split off the held-out part and build the vocabulary."""
    texts = read_conditioned_texts(list(data.train), ascii_only=not data.keep_accents)
    train, dev = texts.split(data.dev_fraction, data.split_seed)
    vocab = generator_vocab([split_tokens(t, data.level) for t in train.texts])
    return PreparedTexts(train, dev, vocab, texts.labels)


def build_model(config: GenerationConfig, prepared: PreparedTexts) -> ConditionalGenerator:
    """A freshly initialised generator (weights from rnnlab's seeded generator)."""
    o = config.model
    model_config = ConditionalGeneratorConfig(
        vocab_size=len(prepared.vocab), condition_dim=prepared.train.condition_dim,
        level=config.data.level, cell=o.cell, embedding_dim=o.embed_dim or o.hidden_size,
        hidden_size=o.hidden_size, num_layers=o.layers, dropout=o.dropout,
        condition_mode=o.condition_mode, labels=prepared.labels, init_scale=o.init_scale,
    )
    return ConditionalGenerator(model_config, prepared.vocab)


def generator_batches(
    model: ConditionalGenerator, data: ConditionedTexts, batch_size: int,
    rng: np.random.Generator | None,
) -> list[GeneratorBatch]:
    """Length-bucketed teacher-forcing batches (shuffled when ``rng`` is given)."""
    lengths = [len(split_tokens(t, model.config.level)) for t in data.texts]
    groups = bucket_batches(lengths, batch_size, shuffle=rng is not None, rng=rng)
    return [model.make_batch(data.conditions[g], [data.texts[i] for i in g]) for g in groups]


def evaluate(
    model: ConditionalGenerator, data: ConditionedTexts, batch_size: int = EVAL_BATCH_SIZE
) -> LanguageModelScore:
    """Mean NLL per predicted token of ``data.texts`` given ``data.conditions``."""
    return model.score(generator_batches(model, data, batch_size, None))


def train(
    run_dir: str | Path,
    config: GenerationConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
) -> GenerationResult:
    """Train a conditional generator into ``run_dir`` (or continue the run there with
    ``resume``; ``config`` may then be None) and score its best model on the held-out
    pairs."""
    if resume and config is None:
        config = legacy_config(run_dir, GenerationConfig)
    run = RunFolder(run_dir)
    with run.session(TASK, GenerationConfig, config, lambda c: prepare(c.data), resume=resume,
                     overwrite=overwrite, overrides=overrides,
                     task_files=(RESULTS_FILE, LEGACY_ARGS_FILE)) as (config, prepared):
        model = build_model(config, prepared)
        dev_batches = generator_batches(model, prepared.dev, EVAL_BATCH_SIZE, None)
        print(
            f"conditional generator ({config.model.condition_mode}): {len(prepared.train)} "
            f"train / {len(prepared.dev)} held-out texts, condition dim "
            f"{prepared.train.condition_dim}, {len(prepared.vocab)} {config.data.level} "
            f"types; {model.num_parameters()} parameters"
        )
        trainer = Trainer(
            model, config.loop, run.path,
            lambda epoch, rng: generator_batches(model, prepared.train, config.batch_size, rng),
            lambda: {"loss": model.score(dev_batches).nll},
            batch_items=lambda batch: batch.num_tokens, item_name="tok",
        )
        trainer.fit(resume=resume)
    best = ConditionalGenerator.load(run.model_dir)
    held_out = best.score(dev_batches)
    save_json(run.path / RESULTS_FILE, {"held_out": held_out.as_dict()})
    return GenerationResult(best, held_out, TrainOutcome.of(trainer))
