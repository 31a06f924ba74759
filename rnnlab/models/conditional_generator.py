"""One vector to a sequence (LECTURE §3.2, caption generation): a conditional generator.

A fixed vector v — a category one-hot, an image feature vector, a sentence embedding —
sets the decoder's initial state and, optionally, joins every step's input:

    [h^ℓ(0); c^ℓ(0)] = tanh(W_v v + b_v)        ℓ = 1 … L     ("init")
    x(t) = [E[y_{t−1}]; v]                                  ("init+input")
    h(t) = deep LSTM/GRU/RNN(x(t), h(t−1))                  (LECTURE §6–§8)
    P(y_t | y_{<t}, v) = softmax(W_o h(t) + b_o)            (LECTURE §2)

with y₀ = <bos>, and generation stops at <eos>. ``condition_mode="none"`` ignores v: the
unconditional model the condition is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import NextTokenBatch
from rnnlab.data.batching import pad_sequences
from rnnlab.data.levels import check_level, join_tokens, split_tokens
from rnnlab.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnlab.decoding.sampling import Sampler
from rnnlab.decoding.sampling_loop import sample_sequence
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.models.language_model import LanguageModelScore
from rnnlab.nn import Dropout, Embedding, Linear
from rnnlab.recurrent.factory import check_cell, make_recurrent
from rnnlab.recurrent.parallel import predicting

CONDITION_MODES = ("none", "init", "init+input")


@dataclass
class ConditionalGeneratorConfig:
    """Shape of the generator; ``labels`` name the one-hot conditions (e.g. languages)."""

    vocab_size: int
    condition_dim: int
    level: str = "char"
    cell: str = "lstm"
    embedding_dim: int = 64
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0
    condition_mode: str = "init"
    labels: list[str] | None = None
    init_scale: float = 0.1

    def __post_init__(self) -> None:
        check_level(self.level)
        check_cell(self.cell)
        if self.condition_mode not in CONDITION_MODES:
            raise ValueError(f"condition_mode must be one of {CONDITION_MODES}")
        if self.labels is not None and len(self.labels) != self.condition_dim:
            raise ValueError("one label per condition dimension is needed")


@dataclass(frozen=True, eq=False)
class GeneratorBatch(NextTokenBatch):
    """Teacher forcing: ``ids`` = <bos> y₁…y_n and ``targets`` = y₁…y_n <eos> (T, B), both
    padded with <pad> (which the loss ignores), lengths n + 1; ``conditions`` (B, D) float32.
    """

    conditions: np.ndarray


def generator_vocab(token_lists: list[list[str]]) -> Vocab:
    return Vocab.build(token_lists, pad=PAD, unk=UNK, bos=BOS, eos=EOS)


class ConditionalGenerator(FolderIO, Module):
    """Generate a sequence from one vector; see the module docstring."""

    def __init__(self, config: ConditionalGeneratorConfig, vocab: Vocab) -> None:
        super().__init__()
        if len(vocab) != config.vocab_size:
            raise ValueError(f"vocab has {len(vocab)} tokens, config says {config.vocab_size}")
        self.config, self.vocab = config, vocab
        c = config
        self.states_per_layer = 2 if c.cell == "lstm" else 1
        self.embedding = Embedding(c.vocab_size, c.embedding_dim, padding_idx=vocab.pad_id)
        step_input = c.embedding_dim + (c.condition_dim if c.condition_mode == "init+input" else 0)
        self.rnn = make_recurrent(c.cell, step_input, c.hidden_size, c.num_layers,
                                  dropout=c.dropout)
        if c.condition_mode != "none":
            size = self.states_per_layer * c.num_layers * c.hidden_size
            self.condition_to_state = Linear(c.condition_dim, size)
        self.drop = Dropout(c.dropout)
        self.output = Linear(c.hidden_size, c.vocab_size)
        rng = rnd.generator()
        for _, p in self.named_parameters():
            p.data = rng.uniform(-c.init_scale, c.init_scale, p.shape).astype(p.dtype)
        self.embedding.weight.data[vocab.pad_id] = 0.0

    # ------------------------------------------------------------- the network
    def initial_state(self, conditions: np.ndarray) -> Tensor | tuple[Tensor, Tensor] | None:
        """[h(0); c(0)] = tanh(W_v v + b_v), reshaped to (L, B, H) each; None (zeros) for
        ``condition_mode="none"``."""
        if self.config.condition_mode == "none":
            return None
        batch, L, H = conditions.shape[0], self.config.num_layers, self.config.hidden_size
        z = ops.tanh(self.condition_to_state(Tensor(conditions)))
        z = ops.transpose(ops.reshape(z, (batch, self.states_per_layer * L, H)), (1, 0, 2))
        if self.states_per_layer == 1:
            return z
        return z[:L], z[L:]

    def _step_inputs(self, ids: np.ndarray, conditions: np.ndarray) -> Tensor:
        x = self.embedding(ids)
        if self.config.condition_mode != "init+input":
            return x
        repeated = np.broadcast_to(conditions[None], (ids.shape[0], *conditions.shape))
        return ops.concat([x, repeated.astype(x.dtype)], axis=2)

    def forward(self, batch: GeneratorBatch) -> Tensor:
        """Teacher-forced scores (T, B, V) for every target position."""
        x = self._step_inputs(batch.ids, batch.conditions)
        output, _ = self.rnn(x, self.initial_state(batch.conditions), lengths=batch.padding)
        return self.output(self.drop(output))

    def loss(self, batch: GeneratorBatch) -> Tensor:
        """Mean −log P(y_t | y_{<t}, v) over the real (unpadded) target tokens, <eos> included."""
        return ops.cross_entropy(self.forward(batch), batch.targets, ignore_index=self.vocab.pad_id)

    # -------------------------------------------------------------- batches
    def make_batch(self, conditions: np.ndarray, texts: list[str]) -> GeneratorBatch:
        rows = [self.vocab.encode(split_tokens(t, self.config.level)) for t in texts]
        targets, _ = pad_sequences([[*r, self.vocab.eos_id] for r in rows], self.vocab.pad_id)
        return GeneratorBatch.pad(
            [[self.vocab.bos_id, *r] for r in rows], self.vocab.pad_id,
            targets=targets.T.copy(), conditions=np.asarray(conditions, np.float32),
        )

    def score(self, batches: list[GeneratorBatch]) -> LanguageModelScore:
        """Mean NLL per predicted token (each character at char level, plus <eos>)."""
        was_training = self.training
        self.eval()
        total, count = 0.0, 0
        with no_grad():
            for batch in batches:
                logits = self.forward(batch)
                nll = ops.cross_entropy(
                    logits, batch.targets, ignore_index=self.vocab.pad_id, reduction="sum"
                )
                total += float(nll.data)
                count += batch.num_tokens
        self.train(was_training)
        return LanguageModelScore(total / count, count)

    # ------------------------------------------------------------ generation
    def condition_vector(self, label: str) -> np.ndarray:
        """The one-hot condition (D,) of a category name, e.g. a language."""
        labels = self.config.labels
        if not labels:
            raise ValueError("this generator was trained on feature vectors, not named labels")
        if label not in labels:
            raise ValueError(f"unknown condition {label!r}; known: {', '.join(labels)}")
        vector = np.zeros(len(labels), np.float32)
        vector[labels.index(label)] = 1.0
        return vector

    def step(self, ids: np.ndarray, state: tuple) -> tuple[np.ndarray, tuple]:
        """One token per row (B,) → next-token scores (B, V); state = (hidden, conditions)."""
        hidden, conditions = state
        x = self._step_inputs(np.asarray(ids, np.int64)[None, :], conditions)
        output, hidden = self.rnn(x, hidden)
        return self.output(output).data[0], (hidden, conditions)

    def generate(
        self,
        conditions: np.ndarray,
        max_length: int = 30,
        sampler: Sampler | None = None,
        seed: int | None = None,
        batch_size: int = 64,
    ) -> list[str]:
        """One text per condition row (B, D), stopped at <eos> or after ``max_length``;
        the rows are generated ``batch_size`` at a time (the same ``seed`` gives the same
        texts for the same ``batch_size``)."""
        conditions = np.atleast_2d(np.asarray(conditions, np.float32))
        if conditions.shape[1] != self.config.condition_dim:
            raise ValueError(
                f"condition vectors must have {self.config.condition_dim} values, "
                f"got {conditions.shape[1]}"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        rng = np.random.default_rng(seed)
        was_training = self.training
        self.eval()
        rows: list[list[int]] = []
        with no_grad(), predicting():
            for start in range(0, len(conditions), batch_size):
                chunk = conditions[start : start + batch_size]
                state = (self.initial_state(chunk), chunk)
                bos = np.full(len(chunk), self.vocab.bos_id, np.int64)
                logits, state = self.step(bos, state)
                rows += sample_sequence(
                    self.step, logits, state, max_length, sampler or Sampler(), rng,
                    stop_id=self.vocab.eos_id,
                )
        self.train(was_training)
        return [join_tokens(self.vocab.decode(r, skip_specials=True), self.config.level)
                for r in rows]

    # -------------------------------------------------------------- files
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved generator (:mod:`rnnlab.models.registry`)."""
        return {"vocab": self.vocab}

    @classmethod
    def from_files(
        cls, config: ConditionalGeneratorConfig, files: dict[str, Any]
    ) -> ConditionalGenerator:
        """A generator with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["vocab"])
