"""Language modelling (LECTURE §2): a char- or word-level model of one continuous token
stream, trained with truncated BPTT.

* :func:`prepare` reads the train, dev and (optional) test streams and builds the
  vocabulary from the training text;
* :func:`train` trains a :class:`~rnnlab.models.LanguageModel` into a run folder
  (:class:`~rnnlab.training.run_folder.RunFolder`: ``run.json``, ``model/``,
  ``checkpoint/``, ``metrics.jsonl``, ``learning_curves.png``) and writes the best model's
  scores to ``results.json``;
* :func:`evaluate` scores any token stream: the mean negative log-likelihood per token, its
  perplexity and bits per token.

The training text is read as ``batch_size`` parallel streams cut into windows of ``bptt``
steps; the state is carried from window to window and detached at each window's start
(:func:`~rnnlab.data.text.tbptt_batches`). Without a dev file the last ``dev_fraction`` of
the training stream is held out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from rnnlab.data.errors import DataFormatError
from rnnlab.data.text import read_chars, read_words, tbptt_batches
from rnnlab.data.vocab import EOS, Vocab
from rnnlab.io.serialization import load_json, save_json
from rnnlab.models.language_model import (
    LanguageModel,
    LanguageModelConfig,
    LanguageModelScore,
    build_vocab,
)
from rnnlab.training.run_folder import (
    DATA_PATH,
    LoopOverrides,
    RunFolder,
    TrainOutcome,
    config_fields,
    config_from_dict,
    config_sections,
)
from rnnlab.training.trainer import Trainer, TrainerConfig

C = TypeVar("C")
TASK = "language_model"
RESULTS_FILE = "results.json"
# the arguments file of run folders written before run.json: read on --resume
LEGACY_ARGS_FILE = "train_args.json"
# their argument names that are config fields under another name now
LEGACY_NAMES = {"valid": "dev", "valid_fraction": "dev_fraction", "held_out_fraction":
                "dev_fraction", "max_train_tokens": "train_limit", "embedding_dim": "embed_dim",
                "data": "train", "clip": "clip_norm", "time_budget": "time_budget_minutes"}


@dataclass
class LanguageModelData:
    """Where the text comes from and how it becomes tokens."""

    train: str = field(metadata=DATA_PATH)  # UTF-8 text; the vocabulary comes from it
    level: str = "word"  # "word": whitespace tokens and <eos> per line; "char": characters
    dev: str | None = field(default=None, metadata=DATA_PATH)
    dev_fraction: float = 0.1  # without ``dev``: the last part of ``train`` validates
    test: str | None = field(default=None, metadata=DATA_PATH)  # scored by the best model
    max_vocab: int | None = None
    train_limit: int = 0  # train on the first N tokens only (0: all); the vocabulary still
    # comes from the whole file


@dataclass
class LanguageModelOptions:
    """The network: ``embed_dim`` None means the width of h (the hidden size, or
    ``proj_size``)."""

    cell: str = "lstm"
    layers: int = 2
    hidden_size: int = 200
    embed_dim: int | None = None
    dropout: float = 0.0
    dropout_kind: str = "standard"  # "locked": one mask per sequence for every step
    tie_weights: bool = False
    init_scale: float = 0.1  # weights ~ U(-s, s)
    recurrent_dropout: float = 0.0  # inside each layer (rnnlab.recurrent.noise)
    zoneout: float = 0.0
    weight_drop: float = 0.0  # DropConnect on W_hh
    layer_norm: bool = False
    proj_size: int = 0  # LSTM projection; embed_dim None then means proj_size

    def model_config(self, vocab_size: int, level: str) -> LanguageModelConfig:
        return LanguageModelConfig(
            vocab_size=vocab_size, level=level, cell=self.cell,
            embedding_dim=self.embed_dim or self.proj_size or self.hidden_size,
            hidden_size=self.hidden_size, num_layers=self.layers, dropout=self.dropout,
            dropout_kind=self.dropout_kind, tie_weights=self.tie_weights,
            init_scale=self.init_scale, recurrent_dropout=self.recurrent_dropout,
            zoneout=self.zoneout, weight_drop=self.weight_drop, layer_norm=self.layer_norm,
            proj_size=self.proj_size,
        )


@dataclass
class StreamWindows:
    """How the streams are read: ``batch_size`` rows, windows of ``bptt`` steps."""

    batch_size: int = 20
    bptt: int = 35
    eval_batch_size: int = 10
    eval_bptt: int = 35


def default_loop() -> TrainerConfig:
    """The loop defaults: plain SGD with the learning rate halved from epoch 4 on."""
    return TrainerConfig(epochs=13, optimizer="sgd", lr=1.0, lr_decay_start=4)


@dataclass
class LanguageModellingConfig:
    """Everything a language-model run is trained with (saved in its ``run.json``)."""

    data: LanguageModelData
    model: LanguageModelOptions = field(default_factory=LanguageModelOptions)
    windows: StreamWindows = field(default_factory=StreamWindows)
    loop: TrainerConfig = field(default_factory=default_loop)


@dataclass
class TokenStreams:
    """The prepared data: the vocabulary and the id streams."""

    vocab: Vocab
    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray | None


@dataclass
class LanguageModelResult:
    """What :func:`train` returns: the best model, its scores and how training went."""

    model: LanguageModel
    scores: dict[str, LanguageModelScore]  # "valid", and "test" with a test file
    outcome: TrainOutcome


def read_tokens(path: str | Path, level: str) -> list[str]:
    """Word level: whitespace tokens with ``<eos>`` per line; char level: every character."""
    return read_words(path) if level == "word" else read_chars(path)


def prepare(data: LanguageModelData) -> TokenStreams:
    """Read the streams and build the vocabulary (from the whole training file).

    Raises:
        DataFormatError: an empty training, dev or test file.
        ValueError: ``dev_fraction`` leaves an empty train or dev part.
    """
    train = require_text(read_tokens(data.train, data.level), data.train)
    if data.dev:
        dev = require_text(read_tokens(data.dev, data.level), data.dev)
    else:
        cut = round(len(train) * (1.0 - data.dev_fraction))
        if not 0 < cut < len(train):
            raise ValueError(f"{data.train}: --dev-fraction {data.dev_fraction} of its "
                             f"{len(train)} tokens leaves an empty train or dev part")
        train, dev = train[:cut], train[cut:]
    vocab = build_vocab(train, data.level, data.max_vocab)
    if data.train_limit:
        train = train[: data.train_limit]

    def ids(tokens: list[str]) -> np.ndarray:
        return np.asarray(vocab.encode(tokens), np.int64)

    test = ids(require_text(read_tokens(data.test, data.level), data.test)) if data.test else None
    return TokenStreams(vocab, ids(train), ids(dev), test)


def text_tokens(tokens: list[str]) -> list[str]:
    """The tokens that are text: not line ends (``<eos>``), not whitespace."""
    return [token for token in tokens if token != EOS and not token.isspace()]


def require_text(tokens: list[str], path: str | Path) -> list[str]:
    """``tokens`` (read from ``path``) when they hold some text (:func:`text_tokens`).

    Raises:
        DataFormatError: an empty or whitespace-only file.
    """
    if not text_tokens(tokens):
        raise DataFormatError(path, None, "empty file: there is no text to model")
    return tokens


def build_model(config: LanguageModellingConfig, streams: TokenStreams) -> LanguageModel:
    """A freshly initialised language model (weights from rnnlab's seeded generator)."""
    model_config = config.model.model_config(len(streams.vocab), config.data.level)
    return LanguageModel(model_config, streams.vocab)


def evaluate(
    model: LanguageModel, tokens: Sequence[str], batch_size: int = 1, bptt: int = 100
) -> LanguageModelScore:
    """The model's score on a token stream read as ``batch_size`` rows in windows of
    ``bptt``, the state carried across windows (batch 1 reads it as one stream)."""
    return model.score_stream(model.tokens_to_ids(list(tokens)), batch_size, bptt)


def legacy_config(run_dir: str | Path, cls: type[C]) -> C | None:
    """The config of a run folder written before ``run.json`` existed, rebuilt from its
    ``train_args.json`` (None when the folder has a run.json or no such file)."""
    run = RunFolder(run_dir)
    if run.record() is not None or not (run.path / LEGACY_ARGS_FILE).is_file():
        return None
    saved = {LEGACY_NAMES.get(k, k): v for k, v in load_json(run.path / LEGACY_ARGS_FILE).items()}
    saved["progress"] = not saved.pop("no_progress", False)
    return config_from_dict(cls, {
        name: {k: saved[k] for k in config_fields(section) if k in saved}
        for name, section in config_sections(cls).items()
    })


def train(
    run_dir: str | Path,
    config: LanguageModellingConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
) -> LanguageModelResult:
    """Train a language model into ``run_dir`` (or continue the run there with ``resume``;
    ``config`` may then be None) and score its best model on the dev and test streams."""
    if resume and config is None:
        config = legacy_config(run_dir, LanguageModellingConfig)
    run = RunFolder(run_dir)
    with run.session(TASK, LanguageModellingConfig, config, lambda c: prepare(c.data),
                     resume=resume, overwrite=overwrite, overrides=overrides,
                     task_files=(RESULTS_FILE, LEGACY_ARGS_FILE)) as (config, streams):
        model = build_model(config, streams)
        w = config.windows
        batches = list(tbptt_batches(streams.train, w.batch_size, w.bptt))
        print(
            f"language model: {len(streams.vocab)} {config.data.level} types, "
            f"{len(streams.train)} train / {len(streams.dev)} valid tokens, {len(batches)} "
            f"windows of {w.batch_size}×{w.bptt}; {model.num_parameters()} parameters"
        )

        def dev_metrics() -> dict[str, float]:
            score = model.score_stream(streams.dev, w.eval_batch_size, w.eval_bptt)
            return {"loss": score.nll, "perplexity": score.perplexity}

        trainer = Trainer(model, config.loop, run.path, lambda epoch, rng: batches, dev_metrics,
                          batch_items=lambda batch: batch.num_tokens, item_name="tok")
        trainer.fit(resume=resume)
    best = LanguageModel.load(run.model_dir)
    scores = {"valid": best.score_stream(streams.dev, w.eval_batch_size, w.eval_bptt)}
    if streams.test is not None:
        scores["test"] = best.score_stream(streams.test, w.eval_batch_size, w.eval_bptt)
    save_json(run.path / RESULTS_FILE, {name: s.as_dict() for name, s in scores.items()})
    return LanguageModelResult(best, scores, TrainOutcome.of(trainer))
