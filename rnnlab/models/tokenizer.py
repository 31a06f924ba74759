"""A tokenizer and sentence splitter: a character-level BiLSTM tagger (LECTURE §3.1).

The many-to-many same-length shape of LECTURE §3.1, over the characters of a paragraph::

    x_t = [ e(c_t) ; k(class(c_t)) ]       character embedding ; character-class embedding
    h_1 … h_T = BiLSTM²(x_1 … x_T)         deep bidirectional LSTM, LECTURE §10
    ŷ_t = softmax(U h_t + b)               one of the five labels of
                                           rnnlab.data.tokenizer_labels

trained with the mean cross-entropy over non-space characters (LECTURE §4); whitespace
always separates tokens, so its label is not learnt. ``class(c)`` is one of nine cheap
classes (space, newline, upper- and lower-case letter, other letter, digit, punctuation,
symbol, other), which carry what a character is when its embedding is ``<unk>`` — an
unseen script, an emoji, a control character. Characters seen fewer than
``min_char_freq`` times share ``<unk>``, and in training each character is replaced by it
with probability ``char_dropout`` so that vector learns to stand for any character.

Long paragraphs are read in windows of ``window`` characters that overlap by ``overlap``
on each side; each character's label comes from the window where it is furthest from the
edge. What the labels become — tokens, sentences, multiword tokens expanded into words —
is :mod:`rnnlab.models.segmentation`, with the cuts the training text always makes
(:mod:`rnnlab.models.segmentation_lexicon`) where the model has that lexicon.

A saved model folder holds ``weights.safetensors``, ``config.json``, ``chars.json`` (the
character vocabulary), ``multiword.json`` and ``usual_multiword.json``
(:mod:`rnnlab.models.multiword`), and ``lexicon.json`` where ``config.lexicon`` is true
(folders saved before the lexicon existed have none, and decode as they did).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import PaddedBatch
from rnnlab.data.batching import pad_sequences
from rnnlab.data.tokenizer_labels import LABELS
from rnnlab.data.vocab import Vocab
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.padding import Padding
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation_lexicon import SegmentationLexicon
from rnnlab.nn.layers import Dropout, Embedding, Linear
from rnnlab.recurrent.layers import LSTM

IGNORE = -100  # target of padding and whitespace
CLASSES = ("pad", "space", "newline", "upper", "lower", "letter", "digit", "punctuation",
           "symbol", "other")
_CLASS_ID = {name: i for i, name in enumerate(CLASSES)}
_CATEGORY_CLASS = {"Lu": "upper", "Lt": "upper", "Ll": "lower", "Nd": "digit", "No": "digit",
                   "Nl": "digit"}


def char_class(char: str) -> int:
    """The class id of one character (module docstring)."""
    if char == "\n":
        return _CLASS_ID["newline"]
    if char.isspace():
        return _CLASS_ID["space"]
    category = unicodedata.category(char)
    name = _CATEGORY_CLASS.get(category)
    if name is None:
        name = {"L": "letter", "P": "punctuation", "S": "symbol"}.get(category[0], "other")
    return _CLASS_ID[name]


@dataclass
class TokenizerConfig:
    """Architecture and reading windows of a :class:`Tokenizer` (module docstring);
    ``lexicon``: whether the model has a segmentation lexicon (set by :meth:`Tokenizer.build`
    and :meth:`Tokenizer.set_lexicon`)."""

    char_dim: int = 32
    class_dim: int = 8
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.2
    char_dropout: float = 0.01
    min_char_freq: int = 2
    window: int = 1000
    overlap: int = 100
    lexicon: bool = False

    def __post_init__(self) -> None:
        for name in ("char_dim", "class_dim", "hidden", "layers", "min_char_freq", "window"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if int(self.overlap) != self.overlap or not 0 <= 2 * self.overlap < self.window:
            raise ValueError(f"overlap must be an integer in [0, window / 2), got "
                             f"{self.overlap!r} for a window of {self.window}")
        for name in ("dropout", "char_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@dataclass(frozen=True, eq=False)
class TokenizerBatch(PaddedBatch):
    """Padded character sequences: ``ids`` (T, B) character ids, ``classes`` (T, B) their
    class ids, ``labels`` (T, B) gold labels with ``IGNORE`` on padding and whitespace
    (None when not given)."""

    classes: np.ndarray
    labels: np.ndarray | None = None


class _ClassCache(dict):
    """char → class id, computed once per character."""

    def __missing__(self, char: str) -> int:
        value = self[char] = char_class(char)
        return value


def windows(length: int, window: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """How a text of ``length`` characters is read: ``(start, end, keep_start, keep_end)``
    per window — read ``[start, end)``, take the labels of ``[keep_start, keep_end)``; the
    kept parts tile ``[0, length)``."""
    if length <= window:
        return [(0, length, 0, length)]
    step = window - 2 * overlap
    return [(max(0, s - overlap), min(length, s + step + overlap), s, min(length, s + step))
            for s in range(0, length, step)]


class Tokenizer(FolderIO, Module):
    """Character BiLSTM labelling token ends, sentence ends and multiword tokens.

    Build one for training with :meth:`build`; label text with :meth:`probabilities`;
    turn text into sentences with :func:`rnnlab.models.segmentation.tokenize_text`.
    """

    def __init__(self, config: TokenizerConfig, chars: Vocab,
                 multiword: Sequence[str] = (), usual_multiword: Sequence[str] = (),
                 lexicon: Sequence[str] | None = None) -> None:
        super().__init__()
        if config.lexicon != (lexicon is not None):
            raise ValueError("a tokenizer with config.lexicon needs lexicon entries, and only "
                             "then")
        self.config = config
        self.chars = chars
        self.expander = MultiwordExpander(multiword, usual_multiword)
        self.lexicon = None if lexicon is None else SegmentationLexicon(lexicon)
        self._classes = _ClassCache()
        self.char_embedding = Embedding(len(chars), config.char_dim, padding_idx=chars.pad_id)
        self.class_embedding = Embedding(len(CLASSES), config.class_dim,
                                         padding_idx=_CLASS_ID["pad"])
        self.lstm = LSTM(config.char_dim + config.class_dim, config.hidden,
                         num_layers=config.layers, bidirectional=True,
                         dropout=config.dropout if config.layers > 1 else 0.0)
        self.output_dropout = Dropout(config.dropout)
        self.head = Linear(2 * config.hidden, len(LABELS))

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, texts: Iterable[str], expander: MultiwordExpander | None = None,
              config: TokenizerConfig | None = None,
              lexicon: SegmentationLexicon | None = None) -> Tokenizer:
        """A fresh model whose character vocabulary comes from the training ``texts`` (the
        newline always in it), whose multiword expansions are ``expander``'s and whose
        segmentation lexicon is ``lexicon`` (none: the labels alone decide)."""
        config = replace(config or TokenizerConfig(), lexicon=lexicon is not None)
        newline = "\n" * config.min_char_freq
        chars = Vocab.build([*texts, newline], min_freq=config.min_char_freq)
        expander = expander or MultiwordExpander()
        return cls(config, chars, expander.entries, expander.usual,
                   None if lexicon is None else lexicon.entries)

    def set_lexicon(self, lexicon: SegmentationLexicon | None) -> None:
        """Decode with ``lexicon`` from now on (None: the labels alone), and save it; the
        weights stay as they are."""
        self.lexicon = lexicon
        self.config = replace(self.config, lexicon=lexicon is not None)

    @staticmethod
    def class_id(name: str) -> int:
        """The id of a character class (:data:`CLASSES`)."""
        return _CLASS_ID[name]

    # ------------------------------------------------------------------ encoding
    def char_ids(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The character ids and class ids of ``text`` (int64 arrays): each distinct
        character is looked up once, and the text's code points index the results."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        distinct, where = np.unique(codes, return_inverse=True)
        lookup, classes = self.chars.token_to_id, self._classes
        chars = [chr(c) for c in distinct.tolist()]
        ids = np.fromiter((lookup(c) for c in chars), np.int64, len(chars))
        kinds = np.fromiter((classes[c] for c in chars), np.int64, len(chars))
        return ids[where.reshape(-1)], kinds[where.reshape(-1)]

    def batch(self, pieces: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]]
              ) -> TokenizerBatch:
        """Pad ``(char ids, class ids, gold labels or None)`` of non-empty texts into a
        batch; gold labels on whitespace become ``IGNORE``."""
        if any(len(ids) == 0 for ids, _, _ in pieces):
            raise ValueError("cannot label an empty text")
        ids, lengths = pad_sequences([p[0] for p in pieces], self.chars.pad_id)
        classes, _ = pad_sequences([p[1] for p in pieces], _CLASS_ID["pad"])
        labels = None
        if all(p[2] is not None for p in pieces):
            labels, _ = pad_sequences([p[2] for p in pieces], IGNORE)
            labels[(classes == _CLASS_ID["space"]) | (classes == _CLASS_ID["newline"])] = IGNORE
            labels = labels.T.copy()
        return TokenizerBatch(ids.T.copy(), Padding.of(lengths, ids.shape[1], len(ids)),
                              classes=classes.T.copy(), labels=labels)

    def encode(self, texts: Sequence[str],
               labels: Sequence[np.ndarray] | None = None) -> TokenizerBatch:
        """Pad a batch of non-empty texts (and their gold labels, for training)."""
        if labels is not None and len(labels) != len(texts):
            raise ValueError(f"got labels for {len(labels)} texts, expected {len(texts)}")
        pieces = []
        for row, text in enumerate(texts):
            gold = None if labels is None else np.asarray(labels[row], np.int64)
            if gold is not None and len(gold) != len(text):
                raise ValueError(f"text {row} has {len(text)} characters but {len(gold)} "
                                 "labels")
            pieces.append((*self.char_ids(text), gold))
        return self.batch(pieces)

    # ------------------------------------------------------------------- forward
    def scores(self, batch: TokenizerBatch) -> Tensor:
        """Label scores (T, B, labels)."""
        ids = batch.ids
        if self.training and self.config.char_dropout > 0.0:
            dropped = rnd.generator().random(ids.shape) < self.config.char_dropout
            ids = np.where(dropped & (ids != self.chars.pad_id), self.chars.unk_id, ids)
        x = ops.concat([self.char_embedding(ids), self.class_embedding(batch.classes)], axis=2)
        h, _ = self.lstm(x, lengths=batch.padding)
        return self.head(self.output_dropout(h))

    def loss(self, batch: TokenizerBatch) -> Tensor:
        """Mean cross-entropy −log ŷ_t[y_t] over the labelled characters."""
        if batch.labels is None:
            raise ValueError("loss() needs a batch with gold labels")
        total = ops.cross_entropy(self.scores(batch), batch.labels, ignore_index=IGNORE,
                                  reduction="sum")
        return total * (1.0 / max(int((batch.labels != IGNORE).sum()), 1))

    # ----------------------------------------------------------------- predicting
    def probabilities(self, texts: Sequence[str], batch_size: int = 32) -> list[np.ndarray]:
        """Label probabilities (len(text), labels) for each text, read in windows (module
        docstring); an empty text gets an empty array."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        out = [np.zeros((len(text), len(LABELS)), np.float32) for text in texts]
        pieces = [(i, *span) for i, text in enumerate(texts)
                  for span in windows(len(text), self.config.window, self.config.overlap)
                  if text]
        pieces.sort(key=lambda piece: piece[2] - piece[1])
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for first in range(0, len(pieces), batch_size):
                    chunk = pieces[first:first + batch_size]
                    batch = self.encode([texts[i][start:end] for i, start, end, _, _ in chunk])
                    scores = self.scores(batch).data
                    scores = np.exp(scores - scores.max(axis=2, keepdims=True))
                    scores /= scores.sum(axis=2, keepdims=True)
                    for row, (i, start, _, keep_start, keep_end) in enumerate(chunk):
                        out[i][keep_start:keep_end] = scores[keep_start - start:
                                                             keep_end - start, row]
        finally:
            self.train(was_training)
        return out

    # ------------------------------------------------------------- saving, loading
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved tokenizer (:mod:`rnnlab.models.registry`)."""
        return {"chars": self.chars, "multiword": list(self.expander.entries),
                "usual_multiword": list(self.expander.usual),
                "lexicon": None if self.lexicon is None else list(self.lexicon.entries)}

    @classmethod
    def from_files(cls, config: TokenizerConfig, files: dict[str, Any]) -> Tokenizer:
        """A tokenizer with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["chars"], files["multiword"], files["usual_multiword"],
                   files["lexicon"])
