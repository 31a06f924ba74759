"""Padding and length-bucketed batching of variable-length sequences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pad_sequences(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack id sequences into a padded batch.

    Returns ``(ids, lengths)``: ``ids`` is an int64 array of shape ``(B, T)`` with ``T`` the
    longest length (0 for an empty batch) and ``pad_id`` after each sequence's end;
    ``lengths`` is an int64 array of shape ``(B,)``.
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = int(lengths.max()) if len(lengths) else 0
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    return ids, lengths


def _lengths(lengths: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(lengths, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"lengths must be 1-D, got shape {arr.shape}")
    return arr


def _shuffle_rng(shuffle: bool, rng: np.random.Generator | None) -> np.random.Generator | None:
    """The generator to shuffle with, or None when not shuffling."""
    if not shuffle:
        return None
    if rng is None:
        raise ValueError("shuffle=True needs rng, a numpy Generator (np.random.default_rng(seed))")
    return rng


def _initial_order(n: int, gen: np.random.Generator | None) -> np.ndarray:
    return gen.permutation(n) if gen is not None else np.arange(n)


def _batch_order(batches: list[list[int]], gen: np.random.Generator | None) -> list[list[int]]:
    if gen is None:
        return batches
    return [batches[i] for i in gen.permutation(len(batches))]


def bucket_batches(
    lengths: Sequence[int] | np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
    batches_per_bucket: int = 50,
) -> list[list[int]]:
    """Group example indices into batches of similar length.

    The indices (shuffled with ``rng`` when ``shuffle``) are cut into chunks of
    ``batch_size * batches_per_bucket``; each chunk is sorted by length (stably) and cut into
    batches of ``batch_size`` (the last batch of a chunk may be smaller); finally the order
    of all batches is shuffled. Every index appears in exactly one batch, and a fixed seed
    gives the same batches. Without ``shuffle`` the result is deterministic and needs no rng.

    Raises:
        ValueError: ``shuffle`` without ``rng``, or non-positive sizes.
    """
    if batch_size < 1 or batches_per_bucket < 1:
        raise ValueError("batch_size and batches_per_bucket must be >= 1")
    lengths = _lengths(lengths)
    gen = _shuffle_rng(shuffle, rng)
    order = _initial_order(len(lengths), gen)
    chunk = batch_size * batches_per_bucket
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size].tolist() for i in range(0, len(part), batch_size))
    return _batch_order(batches, gen)


def batch_by_tokens(
    lengths: Sequence[int] | np.ndarray,
    max_tokens: int,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> list[list[int]]:
    """Group example indices into batches whose padded size stays within a token budget.

    Examples are sorted by length (ties broken randomly when ``shuffle``) and packed
    greedily so that ``len(batch) * max(length in batch) <= max_tokens``; an example longer
    than ``max_tokens`` gets a batch of its own. The batch order is then shuffled. Every
    index appears exactly once and a fixed seed gives the same batches.

    Raises:
        ValueError: ``shuffle`` without ``rng``, or ``max_tokens < 1``.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    lengths = _lengths(lengths)
    gen = _shuffle_rng(shuffle, rng)
    order = _initial_order(len(lengths), gen)
    order = order[np.argsort(lengths[order], kind="stable")]
    batches: list[list[int]] = []
    current: list[int] = []
    for idx in order.tolist():
        # Sorted ascending, so this example sets the batch's padded length.
        if current and (len(current) + 1) * int(lengths[idx]) > max_tokens:
            batches.append(current)
            current = []
        current.append(idx)
    if current:
        batches.append(current)
    return _batch_order(batches, gen)
