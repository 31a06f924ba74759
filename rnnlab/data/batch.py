"""The one padded-batch type: B token sequences, time-major, with their padding.

A :class:`PaddedBatch` holds ``ids`` (T, B) — sequence b down column b, the pad id after
its end — and their :class:`~rnnlab.engine.padding.Padding`: the lengths (B,), checked
once when the batch is made, and the mask (T, B), built once. ``num_tokens`` is the
number of real positions, Σ_b L_b. A task adds what else it needs in a small subclass:
the tagger's gold tags and characters, the classifier's labels and characters, and
:class:`NextTokenBatch`'s targets for the models trained to predict the next token (the
language model, the conditional generator, the translator's decoder).

Why time-major: it is the layout of everything that reads a batch. The recurrent layers
run one matrix product per time step over the rows still running; pooling, the CRF's
recursions and the character encoder's token index all walk t. Batch-major (B, T) exists
only at the edges: :func:`~rnnlab.data.batching.pad_sequences` and the ONNX graphs take a
row per sentence (:meth:`PaddedBatch.from_batch_major` reads such rows as a view), and
attention multiplies per-sentence matrices, reading ``mask.T``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from rnnlab.data.batching import pad_sequences
from rnnlab.engine.padding import Padding


@dataclass(frozen=True, eq=False)
class PaddedBatch:
    """``ids`` (T, B) int64 and their ``padding`` (see the module docstring).

    Make one with :meth:`pad`, :meth:`from_batch_major` or :meth:`unpadded`; a subclass's
    own fields are passed to them as keywords.
    """

    ids: np.ndarray
    padding: Padding

    def __post_init__(self) -> None:
        if self.ids.shape != self.padding.mask.shape:
            raise ValueError(
                f"ids of shape {self.ids.shape} do not fit a padding of (T, B) = "
                f"{self.padding.mask.shape}"
            )

    @classmethod
    def pad(cls, sequences: Sequence[Sequence[int]], pad_id: int, **fields: Any) -> Self:
        """The id ``sequences`` padded with ``pad_id`` into one batch.

        Raises:
            ValueError: an empty sequence (every length must lie in [1, T]).
        """
        ids, lengths = pad_sequences(sequences, pad_id)
        return cls(ids.T.copy(), Padding.of(lengths, ids.shape[1], len(ids)), **fields)

    @classmethod
    def from_batch_major(cls, ids: Any, lengths: Any, **fields: Any) -> Self:
        """The batch of padded rows ``ids`` (B, T) with ``lengths`` (B,); ``ids`` is kept
        as a transposed view, not copied.

        Raises:
            ValueError: ``ids`` not 2-D, or lengths that do not fit them.
        """
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"ids must be 2-D (batch, time), got shape {ids.shape}")
        return cls(ids.T, Padding.of(lengths, ids.shape[1], ids.shape[0]), **fields)

    @classmethod
    def unpadded(cls, ids: np.ndarray, **fields: Any) -> Self:
        """The batch of ``ids`` (T, B) in which every sequence is T long."""
        return cls(ids, Padding.full(*ids.shape), **fields)

    @property
    def lengths(self) -> np.ndarray:
        """L_b of each sequence (B,) int64."""
        return self.padding.lengths

    @property
    def mask(self) -> np.ndarray:
        """mask[t, b] = t < L_b, (T, B) bool."""
        return self.padding.mask

    @property
    def size(self) -> int:
        """B, the number of sequences."""
        return self.padding.size

    @property
    def num_tokens(self) -> int:
        """Σ_b L_b, the real (unpadded) positions."""
        return self.padding.num_tokens


@dataclass(frozen=True, eq=False)
class NextTokenBatch(PaddedBatch):
    """A batch and, at each of its positions, the id to predict there: ``targets`` (T, B),
    padded like ``ids`` (a language model's window: the stream one step ahead; a decoder's
    teacher-forced input <bos> y and its targets y <eos>)."""

    targets: np.ndarray

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.targets.shape != self.ids.shape:
            raise ValueError(
                f"targets of shape {self.targets.shape} differ from ids {self.ids.shape}"
            )

