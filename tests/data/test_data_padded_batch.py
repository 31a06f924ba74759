"""rnnlab.data.batch: the padded-batch type, its conversions at the edges, and the readers
(recurrent layers, pooling, CRF) that take its Padding in place of lengths."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.data.batch import NextTokenBatch, PaddedBatch
from rnnlab.data.batching import pad_sequences
from rnnlab.engine.padding import Padding
from rnnlab.engine.tensor import Tensor
from rnnlab.models.classifier import ClassificationBatch
from rnnlab.nn.crf import LinearChainCRF
from rnnlab.nn.pooling import SentencePooling
from rnnlab.recurrent import GRU, LSTM

SEQUENCES = [[5, 6, 7], [8], [9, 10]]


def test_pad_is_time_major_with_one_checked_padding():
    batch = PaddedBatch.pad(SEQUENCES, pad_id=0)
    np.testing.assert_array_equal(batch.ids, [[5, 8, 9], [6, 0, 10], [7, 0, 0]])
    assert batch.ids.dtype == np.int64 and batch.ids.flags.c_contiguous
    assert batch.lengths.tolist() == [3, 1, 2] and batch.lengths.dtype == np.int64
    np.testing.assert_array_equal(batch.mask, batch.ids != 0)
    assert batch.mask is batch.padding.mask  # built once, shared
    assert (batch.size, batch.num_tokens) == (3, 6)
    # the batch-major edge: the transposed ids are pad_sequences' rows
    rows, lengths = pad_sequences(SEQUENCES, 0)
    np.testing.assert_array_equal(batch.ids.T, rows)
    np.testing.assert_array_equal(batch.lengths, lengths)


def test_from_batch_major_reads_rows_without_copying():
    rows, lengths = pad_sequences(SEQUENCES, 0)
    batch = PaddedBatch.from_batch_major(rows, lengths)
    assert np.shares_memory(batch.ids, rows)
    np.testing.assert_array_equal(batch.ids, rows.T)
    np.testing.assert_array_equal(batch.mask.T, rows != 0)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\]"):
        PaddedBatch.from_batch_major(rows, [3, 4, 2])
    with pytest.raises(ValueError, match=r"ids must be 2-D \(batch, time\)"):
        PaddedBatch.from_batch_major(rows[0], [3])


def test_unpadded_and_refusals():
    ids = np.arange(6).reshape(3, 2)
    window = NextTokenBatch.unpadded(ids, targets=ids + 1)
    assert window.lengths.tolist() == [3, 3] and window.mask.all() and window.num_tokens == 6
    with pytest.raises(ValueError, match=r"targets of shape \(2, 2\) differ from ids \(3, 2\)"):
        NextTokenBatch.unpadded(ids, targets=ids[:2])
    with pytest.raises(ValueError, match=r"do not fit a padding of \(T, B\) = \(4, 2\)"):
        PaddedBatch(ids, Padding.of([4, 1], 4, 2))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\].*got min 0"):
        PaddedBatch.pad([[1, 2, 3], []], 0)


def test_a_task_batch_is_a_padded_batch_with_its_own_fields():
    labels = np.array([1, 0, 1])
    batch = ClassificationBatch.pad(SEQUENCES, 0, labels=labels)
    assert isinstance(batch, PaddedBatch) and batch.labels is labels and batch.chars is None
    assert batch.num_tokens == 6


@pytest.mark.parametrize("layer_class", [LSTM, GRU])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers_take_the_padding_as_lengths(layer_class, batch_first):
    batch = PaddedBatch.pad(SEQUENCES, 0)
    layer = layer_class(4, 3, num_layers=2, bidirectional=True, batch_first=batch_first,
                        rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((3, 3, 4)).astype(np.float32)
    with_lengths, final = layer(x, lengths=[3, 1, 2])
    with_padding, final_too = layer(x, lengths=batch.padding)
    assert np.array_equal(with_lengths.data, with_padding.data)
    for a, b in zip(final if isinstance(final, tuple) else (final,),
                    final_too if isinstance(final_too, tuple) else (final_too,), strict=True):
        assert np.array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="the padding is for 3 time steps, the input has 2"):
        layer(x[:2] if not batch_first else x[:, :2], lengths=batch.padding)


@pytest.mark.parametrize("method", ["last", "max", "mean", "attention"])
def test_pooling_takes_the_padding_as_lengths(method):
    batch = PaddedBatch.pad(SEQUENCES, 0)
    pooling = SentencePooling(method, 4, num_directions=2, attention_dim=3,
                              rng=np.random.default_rng(0))
    states = Tensor(np.random.default_rng(2).standard_normal((3, 3, 4)).astype(np.float32))
    assert np.array_equal(pooling(states, [3, 1, 2]).data, pooling(states, batch.padding).data)


def test_crf_takes_the_padding_as_lengths():
    batch = PaddedBatch.pad(SEQUENCES, 0)
    crf = LinearChainCRF(4, dtype=np.float64, rng=np.random.default_rng(0))
    emissions = np.random.default_rng(3).standard_normal((3, 3, 4))
    tags = np.where(batch.mask, np.random.default_rng(4).integers(0, 4, (3, 3)), -100)
    lengths = [3, 1, 2]
    assert crf.decode(emissions, lengths) == crf.decode(emissions, batch.padding)
    assert np.array_equal(crf.log_partition(emissions, lengths),
                          crf.log_partition(emissions, batch.padding))
    assert np.array_equal(crf.neg_log_likelihood(Tensor(emissions), tags, lengths).data,
                          crf.neg_log_likelihood(Tensor(emissions), tags, batch.padding).data)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\]"):
        crf.decode(emissions, [4, 1, 1])
