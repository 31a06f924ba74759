"""Sentence classification, the many-to-one shape of LECTURE §3.3.

    x_1 … x_T ─ embeddings ─▶ RNN/LSTM/GRU encoder (deep, bidirectional; LECTURE §2, §6–§10)
             [ ; character BiLSTM vector of each word, optional (rnnlab.nn.char_encoder) ]
             ─▶ h_1 … h_T ─ pooling ─▶ s (one vector per sentence; rnnlab.nn.pooling)
             ─▶ dropout ─▶ ŷ = softmax(W_o s + b_o)

trained with the cross-entropy −log ŷ[y] of each sentence's label (LECTURE §4). With
``char_dim`` > 0 each word's input is [e(w) ; r(w)], r(w) the final states of a BiLSTM over
its characters: a word never seen in training (``<unk>`` to the embedding table) still
arrives with its spelling — its stem, prefixes and suffixes, the parts of a compound like
``big-budget``. A saved model directory holds ``weights.safetensors``, ``config.json``
(architecture and whatever metadata the trainer adds), ``vocab.json``, ``labels.json``
and, with characters, ``chars.json`` — no pickle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import PaddedBatch
from rnnlab.data.batching import bucket_batches
from rnnlab.data.tokenize import tokenize_english
from rnnlab.data.vocab import Vocab
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.nn.char_encoder import CharBatch, CharEncoder, char_batch
from rnnlab.nn.layers import Dropout, Embedding, Linear
from rnnlab.nn.pooling import POOLING_METHODS, SentencePooling
from rnnlab.progress import progress_bar
from rnnlab.recurrent.factory import check_cell, make_recurrent
from rnnlab.recurrent.parallel import predicting


@dataclass
class ClassifierConfig:
    """Architecture of a :class:`SentenceClassifier`.

    ``dropout`` applies to the embeddings, between recurrent layers and to the sentence
    vector; ``word_dropout`` replaces each training token by ``<unk>`` with that
    probability (so the model learns what to do with unseen words — with characters, to
    read them from their spelling); ``lowercase`` lower-cases every token before the
    vocabulary lookup, at training and prediction time. ``char_dim`` > 0 adds the character
    encoder (``char_dim``-d character embeddings, ``char_hidden`` units per direction,
    words clipped to ``max_word_chars`` characters); 0 leaves it out. ``recurrent_dropout``,
    ``zoneout``, ``weight_drop``, ``layer_norm`` and ``proj_size`` are the recurrent
    encoder's own options (:class:`~rnnlab.recurrent.layers.RecurrentBase`); with
    ``proj_size`` each direction's h is that wide.
    """

    vocab_size: int
    num_classes: int
    embed_dim: int = 300
    hidden_size: int = 150
    num_layers: int = 1
    cell: str = "lstm"
    bidirectional: bool = True
    pooling: str = "max"
    attention_dim: int = 100
    dropout: float = 0.5
    word_dropout: float = 0.0
    lowercase: bool = True
    char_dim: int = 0
    char_hidden: int = 50
    max_word_chars: int = 20
    recurrent_dropout: float = 0.0
    zoneout: float = 0.0
    weight_drop: float = 0.0
    layer_norm: bool = False
    proj_size: int = 0

    @property
    def output_size(self) -> int:
        """Width of the encoder's h per direction: ``proj_size``, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def encoder_options(self) -> dict[str, Any]:
        """The recurrent encoder's own keywords beyond its size (make_recurrent)."""
        options: dict[str, Any] = {"recurrent_dropout": self.recurrent_dropout,
                                   "zoneout": self.zoneout, "weight_drop": self.weight_drop}
        if self.layer_norm:
            options["layer_norm"] = True
        if self.proj_size:
            options["proj_size"] = self.proj_size
        return options

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if self.pooling not in POOLING_METHODS:
            raise ValueError(f"pooling must be one of {POOLING_METHODS}, got {self.pooling!r}")
        if self.num_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {self.num_classes}")
        for name in ("vocab_size", "embed_dim", "hidden_size", "num_layers", "attention_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.char_dim < 0:
            raise ValueError(f"char_dim must be 0 (no characters) or positive, got {self.char_dim}")
        for name in ("char_hidden", "max_word_chars"):
            if self.char_dim and getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        for name in ("dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


def normalise_tokens(tokens: Sequence[str], lowercase: bool) -> list[str]:
    """The forms a classifier reads: the tokens, lower-cased if ``lowercase``.

    Raises:
        ValueError: an empty token list (there is nothing to classify).
    """
    if not tokens:
        raise ValueError("cannot classify an empty text")
    return [t.lower() for t in tokens] if lowercase else list(tokens)


@dataclass(frozen=True, eq=False)
class ClassificationBatch(PaddedBatch):
    """Padded sentences (T, B), their ``labels`` (B,) or None when predicting, and for a
    model with a character encoder the ``chars`` of their words."""

    labels: np.ndarray | None = None
    chars: CharBatch | None = None


def make_batches(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int] | None = None,
    batch_size: int = 32,
    rng: np.random.Generator | None = None,
    pad_id: int = 0,
    forms: Sequence[Sequence[str]] | None = None,
    characters: Callable[[list[Sequence[str]]], CharBatch] | None = None,
) -> list[ClassificationBatch]:
    """Length-bucketed batches (shuffled when ``rng`` is given, in a fixed order otherwise).

    Each batch carries its examples' ids, lengths, (when given) labels and, when
    ``characters`` is given (:meth:`SentenceClassifier.characters`), the
    :class:`CharBatch` it makes of their ``forms`` (the normalised tokens).
    """
    if characters is not None and (forms is None or len(forms) != len(sequences)):
        raise ValueError("a character encoder needs the forms of every sequence")
    lengths = [len(s) for s in sequences]
    groups = bucket_batches(lengths, batch_size, shuffle=rng is not None, rng=rng)
    out = []
    for group in groups:
        y = None if labels is None else np.asarray([labels[i] for i in group], np.int64)
        chars = None if characters is None else characters([forms[i] for i in group])
        out.append(ClassificationBatch.pad([sequences[i] for i in group], pad_id, labels=y,
                                           chars=chars))
    return out


class SentenceClassifier(FolderIO, Module):
    """Embeddings → recurrent encoder → pooling → dropout → softmax (module docstring).

    ``vocab`` maps (normalised) tokens to ids; ``labels`` names the classes in id order;
    ``metadata`` is saved beside the config (e.g. how the training data was read); ``rng``
    draws the initial weights (default: rnnlab's global generator, which also drives dropout
    and is saved in training checkpoints); ``chars`` is the character vocabulary, required
    when ``config.char_dim`` > 0 (:meth:`char_vocab` builds one).
    """

    def __init__(
        self,
        config: ClassifierConfig,
        vocab: Vocab,
        labels: Sequence[str],
        metadata: dict[str, Any] | None = None,
        rng: np.random.Generator | None = None,
        chars: Vocab | None = None,
    ) -> None:
        super().__init__()
        if len(vocab) != config.vocab_size:
            raise ValueError(f"vocab has {len(vocab)} tokens, config says {config.vocab_size}")
        if len(labels) != config.num_classes or len(set(labels)) != len(labels):
            raise ValueError(
                f"labels must be {config.num_classes} distinct names, got {list(labels)}"
            )
        if config.char_dim and chars is None:
            raise ValueError("a classifier with char_dim > 0 needs a character vocabulary")
        init_rng = rng or rnd.generator()
        self.config, self.vocab, self.labels = config, vocab, [str(x) for x in labels]
        self.chars = chars if config.char_dim else None
        self.metadata = dict(metadata or {})
        directions = 2 if config.bidirectional else 1
        features = directions * config.output_size
        self.embedding = Embedding(
            config.vocab_size, config.embed_dim, padding_idx=vocab.pad_id, rng=init_rng
        )
        word_size = config.embed_dim
        self.char_encoder = None
        if self.chars is not None:
            self.char_encoder = CharEncoder(len(self.chars), config.char_dim, config.char_hidden,
                                            padding_idx=self.chars.pad_id, rng=init_rng)
            word_size += self.char_encoder.output_size
        self.encoder = make_recurrent(
            config.cell,
            word_size,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            rng=rng,  # kept for dropout between layers: None = the (checkpointed) global one
            **config.encoder_options(),
        )
        self.pooling = SentencePooling(
            config.pooling, features, directions, config.attention_dim, rng=init_rng
        )
        self.dropout = Dropout(config.dropout)
        self.output = Linear(features, config.num_classes, rng=init_rng)

    # ------------------------------------------------------------------ text
    def tokenize(self, text: str) -> list[str]:
        """Split raw text as the Penn/Stanford treebanks do (``don't`` → ``do n't``)."""
        return tokenize_english(text)

    def normalise(self, tokens: Sequence[str]) -> list[str]:
        """The forms the model reads: :func:`normalise_tokens` with ``config.lowercase``."""
        return normalise_tokens(tokens, self.config.lowercase)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token ids after normalisation; unknown words map to ``<unk>``."""
        return self.vocab.encode(self.normalise(tokens))

    @staticmethod
    def char_vocab(forms: Sequence[Sequence[str]]) -> Vocab:
        """The characters of training ``forms`` (normalised token lists)."""
        return Vocab.build("".join(sentence) for sentence in forms)

    @property
    def characters(self) -> Callable[[list[Sequence[str]]], CharBatch] | None:
        """Forms of a batch → their :class:`CharBatch` (for :func:`make_batches`), or None
        for a model without a character encoder."""
        if self.chars is None:
            return None
        chars, limit = self.chars, self.config.max_word_chars
        return lambda forms: char_batch(forms, chars.token_to_id, limit, chars.pad_id)

    # --------------------------------------------------------------- network
    def forward(self, batch: ClassificationBatch) -> Tensor:
        """Class scores (B, C) of a batch (:func:`make_batches`); a model with a character
        encoder needs the batch's ``chars``.

        Word dropout replaces ids by ``<unk>`` but keeps the characters, so the character
        encoder learns to stand in for the embedding of a word it has not seen.
        """
        ids = batch.ids
        if self.training and self.config.word_dropout:
            draws = rnd.generator().random(ids.shape[::-1]).T  # drawn sentence by sentence
            drop = draws < self.config.word_dropout
            ids = np.where(drop & (ids != self.vocab.pad_id), self.vocab.unk_id, ids)
        embedded = self.embedding(ids)  # (T, B, E)
        if self.char_encoder is not None:
            if batch.chars is None:
                raise ValueError("this classifier reads characters: pass the batch's CharBatch")
            embedded = ops.concat([embedded, self.char_encoder.token_vectors(batch.chars)],
                                  axis=2)
        states, _ = self.encoder(self.dropout(embedded), lengths=batch.padding)
        sentence = self.dropout(self.pooling(states, batch.padding))
        return self.output(sentence)

    def loss(self, batch: ClassificationBatch) -> Tensor:
        """Mean cross-entropy −log softmax(W_o s + b_o)[y] over the batch (LECTURE §4)."""
        return ops.cross_entropy(self(batch), batch.labels)

    def predict_proba_ids(
        self, sequences: Sequence[Sequence[int]], batch_size: int = 128,
        forms: Sequence[Sequence[str]] | None = None, progress: bool | None = None,
    ) -> np.ndarray:
        """Class probabilities (N, C) for id sequences, in their input order; a model with
        a character encoder needs their ``forms`` too (:meth:`normalise`). Sequences are
        run in batches of ``batch_size`` of similar length, longest first (the encoder then
        need not sort a batch). ``progress``: a bar in sentences
        (:func:`rnnlab.progress.progress_bar`; None: on a terminal, after 2 s)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        characters = self.characters
        if characters is not None and forms is None:
            raise ValueError("this classifier reads characters: pass forms, or use "
                             "predict_proba")
        probs = np.zeros((len(sequences), self.config.num_classes), np.float64)
        order = np.argsort([-len(s) for s in sequences], kind="stable")
        was_training = self.training
        self.eval()
        try:
            with no_grad(), predicting(), progress_bar(len(order), "classifying", "sent",
                                                       progress) as bar:
                for start in range(0, len(order), batch_size):
                    rows = order[start : start + batch_size]
                    chars = None if characters is None else characters([forms[i] for i in rows])
                    batch = ClassificationBatch.pad([sequences[i] for i in rows],
                                                    self.vocab.pad_id, chars=chars)
                    probs[rows] = ops.softmax(self(batch), axis=-1).data
                    bar.update(len(rows))
        finally:
            self.train(was_training)
        return probs

    def predict_proba(self, token_lists: Sequence[Sequence[str]], batch_size: int = 128,
                      progress: bool | None = None) -> np.ndarray:
        """Class probabilities (N, C) for tokenised sentences (``batch_size`` and
        ``progress`` as in :meth:`predict_proba_ids`)."""
        forms = [self.normalise(tokens) for tokens in token_lists]
        return self.predict_proba_ids([self.vocab.encode(f) for f in forms], batch_size,
                                      forms=forms, progress=progress)

    def classify(self, texts: Sequence[str], batch_size: int = 128) -> list[tuple[str, float]]:
        """(label, probability) of the most probable class for each raw text."""
        probs = self.predict_proba([self.tokenize(text) for text in texts], batch_size)
        best = probs.argmax(axis=1)
        return [(self.labels[k], float(p[k])) for k, p in zip(best, probs, strict=True)]

    # ------------------------------------------------------------- save/load
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved classifier (:mod:`rnnlab.models.registry`); its
        ``metadata`` is saved in ``config.json``."""
        return {"vocab": self.vocab, "labels": self.labels, "chars": self.chars}

    @classmethod
    def from_files(cls, config: ClassifierConfig, files: dict[str, Any]) -> SentenceClassifier:
        """A classifier with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["vocab"], files["labels"], chars=files["chars"])


@dataclass
class ClassificationReport:
    """Accuracy, macro-averaged F1 and the confusion matrix (rows gold, columns predicted)."""

    labels: list[str]
    confusion: np.ndarray
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(self.total, 1))

    @property
    def macro_f1(self) -> float:
        return float(np.mean([scores["f1"] for scores in self.per_class.values()]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.total,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "labels": self.labels,
            "confusion": self.confusion.tolist(),
            "per_class": self.per_class,
        }


def classification_report(
    gold: Sequence[int], predicted: Sequence[int], labels: Sequence[str]
) -> ClassificationReport:
    """Confusion matrix C[g, p] and per-class precision P = C[k,k]/Σ_g C[g,k],
    recall R = C[k,k]/Σ_p C[k,p], F1 = 2PR/(P + R) (0 where undefined)."""
    k = len(labels)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (np.asarray(gold, np.int64), np.asarray(predicted, np.int64)), 1)
    per_class = {}
    for i, name in enumerate(labels):
        hits = confusion[i, i]
        precision = hits / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        recall = hits / confusion[i].sum() if confusion[i].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(confusion[i].sum()),
        }
    return ClassificationReport(list(labels), confusion, per_class)
