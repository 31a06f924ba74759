"""A character-level word encoder: each word becomes the final states of a BiLSTM over its
characters (LECTURE §6, §9).

For a word w = c_1 … c_n with character embeddings e(c_k)::

    →h_n = LSTM→(e(c_1), …, e(c_n))        ←h_1 = LSTM←(e(c_n), …, e(c_1))
    r(w) = [→h_n ; ←h_1]                   (2·hidden values)

The forward state has read the whole word ending in its suffix, the backward one the whole
word ending in its prefix — the two places where English marks part of speech (-ly, -ed,
-ing, un-, capitals). Words are encoded once per *type*: the caller passes the distinct
forms of a batch and looks each token's row up afterwards, so a frequent word costs one
row however often it occurs. ``lengths`` keep padding out of every state (the reverse
direction starts at each word's own last character).

A BiLSTM rather than a character CNN: the recurrent core runs one small GEMM per character
position for all words at once, so the cost is set by the longest word, which
:func:`char_id_matrix` bounds by keeping only the first and last ``max_chars / 2``
characters of very long tokens (URLs, e-mail addresses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.nn.layers import Embedding
from rnnlab.recurrent.layers import LSTM

FORMS_PER_CALL = 1024  # distinct forms per call of the encoder in form_vectors()


def clip_word(word: str, max_chars: int) -> str:
    """``word`` itself, or its first ⌈max_chars/2⌉ and last ⌊max_chars/2⌋ characters."""
    if len(word) <= max_chars:
        return word
    head = (max_chars + 1) // 2
    return word[:head] + word[len(word) - (max_chars - head) :]


def char_id_matrix(
    words: Sequence[str], char_to_id: Callable[[str], int], max_chars: int, pad_id: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Time-major character ids of ``words``: ``(ids (L, U), lengths (U,))``.

    ``L`` is the longest (clipped) word; positions past a word's end hold ``pad_id``.

    Raises:
        ValueError: an empty word (it has no characters to encode).
    """
    clipped = [clip_word(w, max_chars) for w in words]
    lengths = np.fromiter(map(len, clipped), np.int64, count=len(clipped))
    if len(clipped) and lengths.min() == 0:
        raise ValueError("cannot encode an empty word")
    ids = np.full((int(lengths.max(initial=1)), len(clipped)), pad_id, np.int64)
    if clipped:  # all characters at once: each distinct one is looked up once
        codes = np.frombuffer("".join(clipped).encode("utf-32-le", "surrogatepass"), np.uint32)
        distinct, which = np.unique(codes, return_inverse=True)
        found = np.fromiter((char_to_id(chr(c)) for c in distinct.tolist()), np.int64,
                            count=len(distinct))
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        ids[np.arange(codes.size) - starts, np.repeat(np.arange(len(clipped)), lengths)] = (
            found[which])
    return ids, lengths


@dataclass
class CharBatch:
    """The characters of a batch of sentences, each distinct form once.

    ``char_ids`` (L, U) and ``char_lengths`` (U,) spell the batch's U distinct forms
    (:func:`char_id_matrix`), longest first — the order the encoder's LSTM runs them in,
    so it need not sort them; ``form_index`` (T, B), time-major like the encoder's input,
    is the row of each token's form among those U (0 on padding).
    """

    char_ids: np.ndarray
    char_lengths: np.ndarray
    form_index: np.ndarray


def distinct_forms(sentences: Sequence[Sequence[str]], max_chars: int
                   ) -> tuple[list[str], np.ndarray]:
    """The distinct forms of ``sentences``, longest (clipped) first, and the row of each
    token's form among them, time-major (T, B), 0 on padding."""
    distinct: dict[str, int] = {}
    width = max((len(s) for s in sentences), default=0)
    form_index = np.zeros((len(sentences), width), np.int64)
    for row, sentence in enumerate(sentences):
        form_index[row, : len(sentence)] = [distinct.setdefault(w, len(distinct))
                                            for w in sentence]
    forms = list(distinct)
    by_length = np.argsort([-min(len(w), max_chars) for w in forms], kind="stable")
    rank = np.empty(len(forms), np.int64)
    rank[by_length] = np.arange(len(forms))
    real = np.arange(width) < np.fromiter(map(len, sentences), np.int64,
                                           count=len(sentences))[:, None]
    form_index[real] = rank[form_index[real]]  # padding stays 0
    return [forms[i] for i in by_length], form_index.T.copy()


def char_batch(
    sentences: Sequence[Sequence[str]], char_to_id: Callable[[str], int], max_chars: int,
    pad_id: int = 0,
) -> CharBatch:
    """:class:`CharBatch` of ``sentences`` (lists of forms), padded to the longest one."""
    forms, form_index = distinct_forms(sentences, max_chars)
    char_ids, char_lengths = char_id_matrix(forms, char_to_id, max_chars, pad_id)
    return CharBatch(char_ids, char_lengths, form_index)


class CharEncoder(Module):
    """Character embeddings → one-layer BiLSTM → concatenated final states, per word."""

    def __init__(
        self,
        num_chars: int,
        char_dim: int,
        hidden_size: int,
        padding_idx: int = 0,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        rng = rng or rnd.generator()
        self.embedding = Embedding(num_chars, char_dim, padding_idx=padding_idx, dtype=dtype,
                                   rng=rng)
        self.lstm = LSTM(char_dim, hidden_size, bidirectional=True, dtype=dtype, rng=rng)
        self.output_size = 2 * hidden_size

    def forward(self, char_ids: np.ndarray, lengths: np.ndarray) -> Tensor:
        """``char_ids`` (L, U) and ``lengths`` (U,) → word vectors (U, 2·hidden)."""
        _, (h_n, _) = self.lstm(self.embedding(char_ids), lengths=lengths)
        # h_n is (2, U, H): [forward final; backward final] side by side per word
        return ops.reshape(ops.transpose(h_n, (1, 0, 2)), (h_n.shape[1], self.output_size))

    def token_vectors(self, batch: CharBatch) -> Tensor:
        """r(w) of every token of ``batch``, time-major: (T, B, 2·hidden)."""
        return ops.getitem(self(batch.char_ids, batch.char_lengths), batch.form_index)

    def form_vectors(self, forms: Sequence[str], char_to_id: Callable[[str], int],
                     max_chars: int, pad_id: int = 0, group: int = FORMS_PER_CALL
                     ) -> np.ndarray:
        """r(w) of each of ``forms`` (distinct words), (len(forms), 2·hidden), without a
        tape: for prediction, where a whole input's distinct forms can be encoded once
        instead of once per batch they occur in. The forms run longest (clipped) first in
        groups of ``group``, so each group is padded only to its own longest word."""
        order = np.argsort([-min(len(w), max_chars) for w in forms], kind="stable")
        vectors = np.empty((len(forms), self.output_size), self.embedding.weight.data.dtype)
        with no_grad():
            for start in range(0, len(forms), group):
                rows = order[start : start + group]
                ids, lengths = char_id_matrix([forms[i] for i in rows], char_to_id, max_chars,
                                              pad_id)
                vectors[rows] = self(ids, lengths).data
        return vectors
