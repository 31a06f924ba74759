import numpy as np
import pytest

from rnnlab.data import batch_by_tokens, bucket_batches, pad_sequences


def test_pad_sequences():
    ids, lengths = pad_sequences([[5, 6, 7], [8], []], pad_id=0)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 0])
    ids, lengths = pad_sequences([], pad_id=0)
    assert ids.shape == (0, 0) and lengths.shape == (0,)


LENGTHS = np.random.default_rng(0).integers(1, 60, size=537)


def _flat(batches):
    return sorted(i for batch in batches for i in batch)


def test_bucket_batches_cover_every_index_once_and_are_deterministic():
    batches = bucket_batches(LENGTHS, 16, shuffle=True, rng=np.random.default_rng(3))
    assert _flat(batches) == list(range(len(LENGTHS)))
    assert all(1 <= len(b) <= 16 for b in batches)
    again = bucket_batches(LENGTHS, 16, shuffle=True, rng=np.random.default_rng(3))
    assert again == batches
    other = bucket_batches(LENGTHS, 16, shuffle=True, rng=np.random.default_rng(4))
    assert other != batches


def test_bucket_batches_group_similar_lengths():
    batches = bucket_batches(LENGTHS, 16, shuffle=True, rng=np.random.default_rng(1))
    spread = np.mean([LENGTHS[b].max() - LENGTHS[b].min() for b in batches])
    assert spread < 5  # random batches of 16 would spread over ~50


def test_bucket_batches_without_shuffle():
    batches = bucket_batches([3, 1, 2, 5, 4], 2, shuffle=False, batches_per_bucket=1)
    assert batches == [[1, 0], [2, 3], [4]]
    assert bucket_batches([3, 1, 2, 5, 4], 2, shuffle=False) == [[1, 2], [0, 4], [3]]
    with pytest.raises(ValueError, match="rng"):
        bucket_batches([1, 2], 2, shuffle=True)


def test_batch_by_tokens_respects_budget():
    batches = batch_by_tokens(LENGTHS, max_tokens=200, rng=np.random.default_rng(0))
    assert _flat(batches) == list(range(len(LENGTHS)))
    for b in batches:
        assert len(b) * LENGTHS[b].max() <= 200
    assert batches == batch_by_tokens(LENGTHS, max_tokens=200, rng=np.random.default_rng(0))
    assert batch_by_tokens([10, 3, 300], max_tokens=20, shuffle=False) == [[1, 0], [2]]
    assert batch_by_tokens([10, 3, 300], max_tokens=19, shuffle=False) == [[1], [0], [2]]
