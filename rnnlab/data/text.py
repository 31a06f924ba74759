"""Plain-text readers for language modelling and truncated-BPTT batching."""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike

import numpy as np

from rnnlab.data.batch import NextTokenBatch
from rnnlab.data.text_files import read_utf8, split_lines
from rnnlab.data.vocab import EOS


def read_word_lines(path: str | PathLike[str], eos: str | None = EOS) -> list[list[str]]:
    """Read a UTF-8 file as one list of whitespace-separated words per line.

    Every line, blank ones included, gets ``eos`` appended (PTB language-model style, as in
    Zaremba et al. and PyTorch's word_language_model); ``eos=None`` appends nothing.
    """
    suffix = [] if eos is None else [eos]
    return [line.split() + suffix for line in split_lines(read_utf8(path))]


def read_words(path: str | PathLike[str], eos: str | None = EOS) -> list[str]:
    """The words of :func:`read_word_lines` as one flat stream."""
    return [word for line in read_word_lines(path, eos) for word in line]


def read_chars(path: str | PathLike[str]) -> list[str]:
    """The characters of a UTF-8 file, newlines included ("\\r\\n" becomes "\\n")."""
    return list(read_utf8(path).replace("\r\n", "\n"))


def batchify(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut a 1-D token stream into ``batch_size`` contiguous rows, time-major.

    Returns an int64 array of shape ``(len(ids) // batch_size, batch_size)`` whose column
    ``b`` is the ``b``-th contiguous slice of the stream; the tail that does not fill a
    full row is dropped.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"expected a 1-D token stream, got shape {ids.shape}")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"token ids must be integers, got dtype {ids.dtype}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    steps = len(ids) // batch_size
    return ids[: steps * batch_size].astype(np.int64).reshape(batch_size, steps).T.copy()


class TBPTTBatches:
    """Consecutive windows over a batchified stream for truncated BPTT.

    Iterating yields a :class:`~rnnlab.data.batch.NextTokenBatch` per window: ``ids`` and
    ``targets``, each an int64 array of shape ``(T, B)`` (time-major) with ``T <= bptt``,
    the targets the ids shifted one step ahead in the stream, and no padding. Window
    ``k + 1`` continues exactly where window ``k`` ended in every column, so the recurrent
    state can be carried from one window to the next. Only the last window may be shorter.
    The arrays are read-only views. ``len()`` gives the number of windows; iterating again
    starts over.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, bptt: int) -> None:
        if bptt < 1:
            raise ValueError(f"bptt must be >= 1, got {bptt}")
        self.data = batchify(ids, batch_size)
        if len(self.data) < 2:
            raise ValueError(
                f"a stream of {len(ids)} tokens is too short for batch_size {batch_size}: "
                "each row needs at least 2 tokens"
            )
        self.data.setflags(write=False)
        self.bptt = bptt

    def __len__(self) -> int:
        return -(-(len(self.data) - 1) // self.bptt)

    def __iter__(self) -> Iterator[NextTokenBatch]:
        last = len(self.data) - 1
        for start in range(0, last, self.bptt):
            stop = min(start + self.bptt, last)
            yield NextTokenBatch.unpadded(self.data[start:stop],
                                          targets=self.data[start + 1 : stop + 1])


def tbptt_batches(ids: np.ndarray, batch_size: int, bptt: int) -> TBPTTBatches:
    """Truncated-BPTT windows over the token stream ``ids``; see :class:`TBPTTBatches`."""
    return TBPTTBatches(ids, batch_size, bptt)
