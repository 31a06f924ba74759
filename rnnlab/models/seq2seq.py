"""Encoder–decoder translation with global attention (LECTURE §3.4, §11: input and output
of different lengths).

The encoder reads the source x₁ … x_S with a deep bidirectional RNN (LECTURE §10) and gives
one output per word, h̄_s = [→h_s; ←h_s], plus its final states. A learned *bridge* maps
the final states of both directions to the decoder's initial state, per layer ℓ::

    h₀^(ℓ) = tanh(W_b [→h_S^(ℓ); ←h_1^(ℓ)] + b_b)      (LSTM cell: c₀^(ℓ) = W_bc [→c; ←c] + b_bc)

The decoder is a unidirectional RNN over y₀ = <bos>, y₁, …; its output h_t attends to the
encoder outputs (:class:`~rnnlab.nn.attention.LuongAttention`, source padding masked) and
predicts the next word::

    h_t = RNN(E y_{t−1}, h_{t−1})
    h̃_t = tanh(W_c [c_t; h_t]),  c_t = Σ_s a_t(s) h̄_s          (without attention: h̃_t = h_t)
    P(y_t | y_<t, x) = softmax(W_s h̃_t + b_s)
    L = −Σ_t log P(y_t | y_<t, x)  averaged over target tokens (teacher forcing, LECTURE §4)

There is no input feeding (h̃_{t−1} is not fed to step t), so in training the decoder RNN
runs over the whole target as one layer call and attention for all steps is a few batched
matrix products; only decoding goes step by step (:mod:`rnnlab.decoding`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import NextTokenBatch, PaddedBatch
from rnnlab.data.batching import pad_sequences
from rnnlab.data.tokenize import simple_detokenize, simple_tokenize
from rnnlab.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnlab.decoding import (
    Hypothesis,
    beam_search,
    greedy_search,
    max_output_lengths,
    replace_unknowns,
)
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.nn.attention import LuongAttention
from rnnlab.nn.layers import Dropout, Embedding, Linear
from rnnlab.progress import progress_bar
from rnnlab.recurrent.factory import MODULES, check_cell
from rnnlab.recurrent.parallel import predicting

LOWERCASE_MODES = ("none", "source", "both")


@dataclass
class Seq2SeqConfig:
    """Sizes and choices of the model; saved as ``config.json`` beside the weights.

    ``hidden_size`` is per encoder direction; the decoder's defaults to twice that, the
    size of an encoder output. ``lowercase`` says which side is lowercased before lookup:
    ``"none"``, ``"source"`` (outputs keep their case) or ``"both"``.
    """

    source_vocab_size: int
    target_vocab_size: int
    embedding_size: int = 256
    hidden_size: int = 256
    decoder_hidden_size: int = 0  # 0 → 2 · hidden_size
    num_layers: int = 1
    cell: str = "lstm"
    dropout: float = 0.3
    attention: bool = True
    lowercase: str = "source"

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if self.lowercase not in LOWERCASE_MODES:
            raise ValueError(f"lowercase must be one of {LOWERCASE_MODES}, not {self.lowercase!r}")
        if self.decoder_hidden_size == 0:
            self.decoder_hidden_size = 2 * self.hidden_size


@dataclass(frozen=True, eq=False)
class ParallelBatch(NextTokenBatch):
    """Sentence pairs, padded with id 0: the decoder reads ``ids`` = <bos> y (T, B) and is
    trained to output ``targets`` = y <eos>, lengths |y| + 1 (so ``num_tokens`` counts the
    target tokens); the encoder reads ``source`` (S, B)."""

    source: PaddedBatch


@dataclass
class DecoderState:
    """What decoding carries from step to step: the decoder RNN's states (L, N, H) per row,
    and per sentence the encoder outputs, their attention keys and the source mask."""

    hidden: tuple[np.ndarray, ...]  # (h,) or (h, c)
    memory: np.ndarray  # (B, S, M)
    keys: np.ndarray | None  # (B, S, H), None without attention
    valid: np.ndarray  # (B, S) bool


@dataclass
class Translation:
    """One translated sentence, with the attention behind it (target × source tokens)."""

    text: str
    tokens: list[str]
    source_tokens: list[str]
    score: float
    attention: np.ndarray | None


def tokenize(text: str, lower: bool) -> list[str]:
    """Words and punctuation of ``text`` (:func:`~rnnlab.data.tokenize.simple_tokenize`)."""
    return _lowered(simple_tokenize(text), lower)


def _lowered(tokens: list[str], lower: bool) -> list[str]:
    return [t.lower() for t in tokens] if lower else tokens


def make_batch(
    examples: Sequence[tuple[list[int], list[int]]], bos: int, eos: int
) -> ParallelBatch:
    """Pad ``(source ids, target ids)`` pairs into a :class:`ParallelBatch` (pad id 0)."""
    target_out, _ = pad_sequences([[*t, eos] for _, t in examples], 0)
    return ParallelBatch.pad([[bos, *t] for _, t in examples], 0, targets=target_out.T.copy(),
                             source=PaddedBatch.pad([s for s, _ in examples], 0))


class Seq2Seq(FolderIO, Module):
    """The encoder–decoder of the module docstring, with its two vocabularies."""

    def __init__(
        self,
        config: Seq2SeqConfig,
        source_vocab: Vocab,
        target_vocab: Vocab,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if len(source_vocab) != config.source_vocab_size:
            raise ValueError("config.source_vocab_size differs from the source vocabulary")
        if len(target_vocab) != config.target_vocab_size:
            raise ValueError("config.target_vocab_size differs from the target vocabulary")
        rng = rng or rnd.generator()
        self.config, self.source_vocab, self.target_vocab = config, source_vocab, target_vocab
        self.bos_id, self.eos_id = target_vocab.bos_id, target_vocab.eos_id
        self.blocked_ids = np.array([target_vocab.pad_id, target_vocab.bos_id])
        c = config
        cell = MODULES[c.cell]
        options = {"dtype": dtype, "rng": rng}
        self.source_embedding = Embedding(c.source_vocab_size, c.embedding_size, 0, **options)
        self.target_embedding = Embedding(c.target_vocab_size, c.embedding_size, 0, **options)
        self.encoder = cell(
            c.embedding_size, c.hidden_size, c.num_layers, dropout=c.dropout,
            bidirectional=True, **options,
        )
        self.decoder = cell(
            c.embedding_size, c.decoder_hidden_size, c.num_layers, dropout=c.dropout, **options
        )
        self.bridge = Linear(2 * c.hidden_size, c.decoder_hidden_size, **options)
        if c.cell == "lstm":
            self.cell_bridge = Linear(2 * c.hidden_size, c.decoder_hidden_size, **options)
        if c.attention:
            self.attention = LuongAttention(c.decoder_hidden_size, 2 * c.hidden_size, **options)
        self.output = Linear(c.decoder_hidden_size, c.target_vocab_size, **options)
        self.embedding_dropout = Dropout(c.dropout)
        self.output_dropout = Dropout(c.dropout)

    # ------------------------------------------------------------------ encoder
    def _bridge(self, final: Tensor, linear: Linear, squash: bool) -> Tensor:
        """(L·2, B, H) final states of both directions → (L, B, H_dec)."""
        layers, batch = self.config.num_layers, final.shape[1]
        both = ops.reshape(final, (layers, 2, batch, self.config.hidden_size))
        both = ops.reshape(ops.transpose(both, (0, 2, 1, 3)), (layers, batch, -1))
        mapped = linear(both)
        return ops.tanh(mapped) if squash else mapped

    def encode(self, source: PaddedBatch) -> tuple[Tensor, Any]:
        """Encoder outputs (B, S, 2H) — zero past each source's end — and the decoder's
        initial state from the bridge (h₀, or (h₀, c₀) for an LSTM)."""
        embedded = self.embedding_dropout(self.source_embedding(source.ids))
        outputs, final = self.encoder(embedded, lengths=source.padding)
        if self.config.cell == "lstm":
            h_n, c_n = final
            initial = (self._bridge(h_n, self.bridge, True),
                       self._bridge(c_n, self.cell_bridge, False))
        else:
            initial = self._bridge(final, self.bridge, True)
        return ops.transpose(outputs, (1, 0, 2)), initial

    # --------------------------------------------------------------- training
    def forward(self, batch: ParallelBatch) -> tuple[Tensor, Tensor | None]:
        """Teacher-forced scores (B, T, V) and attention weights (B, T, S) or None."""
        memory, initial = self.encode(batch.source)
        embedded = self.embedding_dropout(self.target_embedding(batch.ids))
        outputs, _ = self.decoder(embedded, initial, lengths=batch.padding)
        outputs = ops.transpose(outputs, (1, 0, 2))  # batch-major for attention and the loss
        weights = None
        if self.config.attention:
            outputs, weights = self.attention(
                outputs, self.attention.keys(memory), memory, batch.source.mask.T
            )
        return self.output(self.output_dropout(outputs)), weights

    def loss(self, batch: ParallelBatch) -> Tensor:
        """Mean cross-entropy per target token (padding ignored)."""
        logits, _ = self(batch)
        return ops.cross_entropy(logits, batch.targets.T, ignore_index=self.target_vocab.pad_id)

    def sentence_scores(self, batch: ParallelBatch) -> np.ndarray:
        """log P(y <eos> | x) of each target in the batch, teacher-forced (B,)."""
        with no_grad():
            logits, _ = self(batch)
            log_probs = ops.log_softmax(logits, axis=2).data
        targets = np.ascontiguousarray(batch.targets.T)  # C-ordered (B, T): rows sum in memory
        picked = np.take_along_axis(log_probs, targets[:, :, None], axis=2)[:, :, 0]
        picked *= batch.mask.T
        return picked.sum(axis=1)

    # --------------------------------------------------------------- decoding
    def start_decoding(self, source: np.ndarray, lengths: np.ndarray) -> DecoderState:
        """Encode padded sources (B, S) with their lengths (B,): one decoder row per sentence
        (see StepModel)."""
        padded = PaddedBatch.from_batch_major(source, lengths)
        with no_grad(), predicting():
            memory, initial = self.encode(padded)
            keys = self.attention.keys(memory).data if self.config.attention else None
        hidden = tuple(t.data for t in initial) if isinstance(initial, tuple) else (initial.data,)
        return DecoderState(hidden, memory.data, keys, padded.mask.T)

    def decode_step(
        self, tokens: np.ndarray, state: DecoderState
    ) -> tuple[np.ndarray, DecoderState, np.ndarray | None]:
        """One decoder step for every row; see :class:`~rnnlab.decoding.StepModel`."""
        rows, sentences = len(tokens), len(state.memory)
        with no_grad(), predicting():
            embedded = self.target_embedding(np.asarray(tokens)[None, :])
            hx = state.hidden if len(state.hidden) == 2 else state.hidden[0]
            outputs, final = self.decoder(embedded, hx)
            query = outputs.data[0]
            weights = None
            if self.config.attention:
                grouped = query.reshape(sentences, rows // sentences, -1)
                attended, weights = self.attention(grouped, state.keys, state.memory, state.valid)
                query, weights = attended.data.reshape(rows, -1), weights.data.reshape(rows, -1)
            log_probs = ops.log_softmax(self.output(query), axis=1).data
        log_probs[:, self.blocked_ids] = -np.inf
        hidden = tuple(t.data for t in final) if isinstance(final, tuple) else (final.data,)
        return log_probs, DecoderState(hidden, state.memory, state.keys, state.valid), weights

    def reorder_state(
        self, state: DecoderState, rows: np.ndarray, sentences: np.ndarray
    ) -> DecoderState:
        return DecoderState(
            hidden=tuple(h[:, rows] for h in state.hidden),
            memory=state.memory[sentences],
            keys=None if state.keys is None else state.keys[sentences],
            valid=state.valid[sentences],
        )

    # ------------------------------------------------------------------- text
    @property
    def lower_source(self) -> bool:
        return self.config.lowercase in ("source", "both")

    @property
    def lower_target(self) -> bool:
        return self.config.lowercase == "both"

    def encode_pair(self, source: str, target: str) -> tuple[list[int], list[int]]:
        """Token ids of a sentence pair (no <bos>/<eos>; :func:`make_batch` adds them)."""
        return (
            self.source_vocab.encode(tokenize(source, self.lower_source)),
            self.target_vocab.encode(tokenize(target, self.lower_target)),
        )

    def translate(
        self,
        sentences: Sequence[str],
        beam_size: int = 5,
        length_penalty: float = 1.0,
        max_length_ratio: float = 1.5,
        max_length_extra: int = 10,
        batch_size: int = 64,
        replace_unk: bool = True,
        progress: bool | None = None,
    ) -> list[Translation]:
        """Translate raw sentences; ``beam_size=1`` is greedy search.

        Sentences are batched by length; each output may have at most
        ⌊ratio · |x| + extra⌋ tokens. With ``replace_unk`` an output <unk> becomes the
        source word it attended to most (:func:`~rnnlab.decoding.replace_unknowns`).
        ``progress``: a bar in sentences (:func:`rnnlab.progress.progress_bar`; None: on a
        terminal, after 2 s).
        """
        raw = [simple_tokenize(s) for s in sentences]  # original case, for copying
        ids = [self.source_vocab.encode(_lowered(r, self.lower_source)) for r in raw]
        results: list[Translation | None] = [None] * len(sentences)
        order = sorted((i for i in range(len(raw)) if raw[i]), key=lambda i: len(raw[i]))
        for i in range(len(raw)):
            if not raw[i]:
                results[i] = Translation("", [], [], 0.0, None)
        was_training = self.training
        self.eval()
        bar = progress_bar(len(order), "translating", "sent", progress)
        try:
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                source, lengths = pad_sequences([ids[i] for i in chunk], 0)
                state = self.start_decoding(source, lengths)
                limits = max_output_lengths(lengths, max_length_ratio, max_length_extra)
                if beam_size == 1:
                    hypotheses = greedy_search(self, state, limits)
                else:
                    hypotheses = beam_search(self, state, limits, beam_size, length_penalty)
                for i, hypothesis in zip(chunk, hypotheses, strict=True):
                    results[i] = self._to_translation(hypothesis, raw[i], replace_unk)
                bar.update(len(chunk))
        finally:
            bar.close()
            self.train(was_training)
        return results  # type: ignore[return-value]

    def _to_translation(
        self, hypothesis: Hypothesis, source_tokens: list[str], replace_unk: bool
    ) -> Translation:
        tokens = self.target_vocab.decode(hypothesis.tokens)
        attention = hypothesis.attention
        if attention is not None:
            attention = attention[:, : len(source_tokens)]
            if replace_unk:
                tokens = replace_unknowns(tokens, attention, source_tokens, UNK)
        text = simple_detokenize(tokens)
        if self.lower_target:
            text = text[:1].upper() + text[1:]  # the one casing rule a lowercased model lost
        return Translation(text, tokens, source_tokens, hypothesis.score, attention)

    # -------------------------------------------------------------- save/load
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved translator (:mod:`rnnlab.models.registry`)."""
        return {"source_vocab": self.source_vocab, "target_vocab": self.target_vocab}

    @classmethod
    def from_files(cls, config: Seq2SeqConfig, files: dict[str, Any]) -> Seq2Seq:
        """A translator with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["source_vocab"], files["target_vocab"],
                   rng=np.random.default_rng(0))


def build_vocabularies(
    pairs: Sequence[tuple[str, str]], lowercase: str, min_freq: int = 2,
    max_size: int | None = None,
) -> tuple[Vocab, Vocab]:
    """Word vocabularies of both sides, words seen fewer than ``min_freq`` times left out."""
    lower_source, lower_target = lowercase in ("source", "both"), lowercase == "both"
    source = Vocab.build(
        (tokenize(s, lower_source) for s, _ in pairs), min_freq=min_freq, max_size=max_size,
        pad=PAD, unk=UNK,
    )
    target = Vocab.build(
        (tokenize(t, lower_target) for _, t in pairs), min_freq=min_freq, max_size=max_size,
        pad=PAD, unk=UNK, bos=BOS, eos=EOS,
    )
    return source, target
