from pathlib import Path

import numpy as np
import pytest

from rnnlab.data import batchify, read_chars, read_word_lines, read_words, tbptt_batches

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def test_word_reader_appends_eos_per_line():
    assert read_word_lines(FIXTURES / "lm.txt") == [
        ["the", "cat", "sat", "on", "the", "mat", "<eos>"],
        ["a", "dog", "ran", "<eos>"],
    ]
    words = read_words(FIXTURES / "lm.txt", eos=None)
    assert words == ["the", "cat", "sat", "on", "the", "mat", "a", "dog", "ran"]


def test_char_reader_keeps_newlines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes("ab\r\nç\n".encode())
    assert read_chars(path) == ["a", "b", "\n", "ç", "\n"]


def test_batchify_makes_contiguous_columns_and_drops_tail():
    data = batchify(np.arange(11), 3)
    assert data.shape == (3, 3)
    assert data.dtype == np.int64
    np.testing.assert_array_equal(data.T, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])


def test_tbptt_windows_are_consecutive_and_targets_shifted():
    stream = np.arange(103)
    batches = tbptt_batches(stream, batch_size=4, bptt=7)
    windows = list(batches)
    assert len(windows) == len(batches) == 4  # 25 steps per row -> 24 inputs: 7+7+7+3
    assert [w.ids.shape for w in windows] == [(7, 4), (7, 4), (7, 4), (3, 4)]
    inputs = np.concatenate([w.ids for w in windows])
    targets = np.concatenate([w.targets for w in windows])
    assert inputs.dtype == np.int64 and targets.dtype == np.int64
    # each column is one contiguous stretch of the stream, continued window after window
    for b in range(4):
        np.testing.assert_array_equal(inputs[:, b], np.arange(25 * b, 25 * b + 24))
    np.testing.assert_array_equal(targets, inputs + 1)
    # iterating again starts from the beginning
    np.testing.assert_array_equal(next(iter(batches)).ids, windows[0].ids)


def test_tbptt_exact_fit_and_errors():
    windows = list(tbptt_batches(np.arange(10), batch_size=2, bptt=4))
    assert [w.ids.shape[0] for w in windows] == [4]
    with pytest.raises(ValueError, match="too short"):
        tbptt_batches(np.arange(3), batch_size=2, bptt=4)
    with pytest.raises(ValueError, match="bptt"):
        tbptt_batches(np.arange(30), batch_size=2, bptt=0)
    with pytest.raises(TypeError):
        tbptt_batches(np.linspace(0, 1, 30), batch_size=2, bptt=3)
