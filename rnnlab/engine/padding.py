"""Padded batches: the one check of sequence lengths and the one length mask.

A padded batch lays B sequences of lengths L_1 … L_B out in one array, time-major —
(T, B, …) with T the longest length. Position (t, b) is real when t < L_b and padding
otherwise::

    mask[t, b] = t < L_b                                    (T, B) bool

Every reader of a padded batch — the recurrent layers, pooling, the CRF, attention — needs
the lengths checked against the array and most need the mask. :class:`Padding` holds both,
made once per batch by :meth:`Padding.of`; each of those readers accepts a ``Padding``
wherever it accepts lengths and then neither checks again nor rebuilds the mask. Raw
lengths go through :func:`check_lengths`, the only lengths check, and :func:`length_mask`,
the only mask builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab.engine.tensor import Tensor


def check_lengths(lengths: Any, steps: int, batch: int | None = None) -> np.ndarray:
    """``lengths`` as an int64 array (B,), after checking that they fit ``steps`` steps.

    ``lengths`` is a sequence, array or Tensor of B integers — integer-valued floats
    count — or a :class:`Padding`, whose lengths were checked when it was made (only its
    shape is compared). ``batch`` is B when the caller knows it.

    Raises:
        ValueError: not one length per sequence, a length that is not an integer (a
            fraction, NaN, a bool, a string), or one outside [1, ``steps``].
    """
    if isinstance(lengths, Padding):
        _check_shape(lengths.lengths, batch)
        if lengths.steps != steps:
            raise ValueError(
                f"the padding is for {lengths.steps} time steps, the input has {steps}"
            )
        return lengths.lengths
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    _check_shape(array, batch)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"lengths must be integers, got dtype {array.dtype}")
    if not array.size:
        return array.astype(np.int64)
    if np.issubdtype(array.dtype, np.floating):
        with np.errstate(invalid="ignore"):  # inf mod 1 is NaN, which fails the test
            integral = bool(np.all(np.mod(array, 1) == 0))
        if not integral:
            raise ValueError(f"lengths must be integers, got {array.tolist()}")
    low, high = array.min(), array.max()  # compared before any cast: no wrap-around
    if low < 1 or high > steps:
        raise ValueError(
            f"lengths must lie in [1, {steps}] (the input has {steps} time steps), "
            f"got min {int(low)} and max {int(high)}"
        )
    return array.astype(np.int64)


def _check_shape(array: np.ndarray, batch: int | None) -> None:
    if array.ndim != 1 or (batch is not None and array.shape[0] != batch):
        expected = "(B,)" if batch is None else f"({batch},)"
        raise ValueError(
            f"lengths must hold one length per sequence: expected shape {expected}, "
            f"got {array.shape}"
        )


def length_mask(lengths: np.ndarray, steps: int) -> np.ndarray:
    """mask[t, b] = t < L_b, the (T, B) bool mask of lengths :func:`check_lengths` passed.

    Batch-major code reads its transpose, ``mask.T`` (B, T), a view.
    """
    return np.arange(steps)[:, None] < lengths[None, :]


@dataclass(frozen=True, eq=False)
class Padding:
    """Checked ``lengths`` (B,) int64 of a time-major padded batch and its ``mask`` (T, B).

    Make one with :meth:`of` (or :meth:`full` for a batch without padding).
    """

    lengths: np.ndarray
    mask: np.ndarray

    @classmethod
    def of(cls, lengths: Any, steps: int, batch: int | None = None) -> Padding:
        """The padding of a batch of ``steps`` time steps with these ``lengths``.

        A ``Padding`` comes back as it is (once its shape fits); ``None`` means no padding,
        every sequence ``steps`` long (``batch`` is then required).

        Raises:
            ValueError: lengths :func:`check_lengths` refuses.
        """
        if isinstance(lengths, Padding):
            check_lengths(lengths, steps, batch)
            return lengths
        if lengths is None:
            if batch is None:
                raise ValueError("a padding without lengths needs the batch size")
            return cls.full(steps, batch)
        checked = check_lengths(lengths, steps, batch)
        return cls(checked, length_mask(checked, steps))

    @classmethod
    def full(cls, steps: int, batch: int) -> Padding:
        """No padding: B sequences of ``steps`` steps each (truncated-BPTT windows)."""
        return cls(np.full(batch, steps, np.int64), np.ones((steps, batch), bool))

    @property
    def steps(self) -> int:
        """T, the padded length."""
        return self.mask.shape[0]

    @property
    def size(self) -> int:
        """B, the number of sequences."""
        return self.mask.shape[1]

    @property
    def num_tokens(self) -> int:
        """Σ_b L_b, the real (unpadded) positions."""
        return int(self.lengths.sum())
