"""rnnlab.engine.padding: the one lengths check, the one length mask, and Padding."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.padding import Padding, check_lengths, length_mask
from rnnlab.engine.tensor import Tensor

T, B = 4, 3


@pytest.mark.parametrize(
    ("lengths", "match"),
    [
        ([-1, 2, 3], r"lengths must lie in \[1, 4\] \(the input has 4 time steps\), "
                     r"got min -1 and max 3"),
        ([0, 2, 3], r"lie in \[1, 4\] .* got min 0 and max 3"),
        ([5, 2, 3], r"lie in \[1, 4\] .* got min 2 and max 5"),
        (np.array([2**64 - 1, 2, 3], np.uint64),
         r"got min 2 and max 18446744073709551615"),  # not wrapped round to -1
        (np.array([0, 2, 3], np.uint8), r"got min 0 and max 3"),
        ([1.5, 2, 3], r"lengths must be integers, got \[1.5, 2.0, 3.0\]"),
        ([np.nan, 2, 3], r"lengths must be integers, got \[nan, 2.0, 3.0\]"),
        ([np.inf, 2, 3], r"lengths must be integers, got \[inf, 2.0, 3.0\]"),
        ([True, True, False], r"lengths must be integers, got dtype bool"),
        (["1", "2", "3"], r"lengths must be integers, got dtype <U1"),
        ([1, None, 3], r"lengths must be integers, got dtype object"),
        ([1 + 0j, 2, 3], r"lengths must be integers, got dtype complex128"),
        ([2, 3], r"one length per sequence: expected shape \(3,\), got \(2,\)"),
        ([[2, 3, 4]], r"one length per sequence: expected shape \(3,\), got \(1, 3\)"),
        (3, r"one length per sequence: expected shape \(3,\), got \(\)"),
    ],
    ids=["negative", "zero", "too-long", "uint64-huge", "uint8-zero", "fraction", "nan",
         "inf", "bool", "str", "object", "complex", "too-few", "2-D", "scalar"],
)
def test_bad_lengths_are_refused_with_one_line(lengths, match):
    with pytest.raises(ValueError, match=match):
        check_lengths(lengths, T, B)


@pytest.mark.parametrize("lengths", [[4, 1, 2], (4, 1, 2), np.array([4.0, 1.0, 2.0]),
                                     np.array([4, 1, 2], np.uint8), np.array([4, 1, 2], np.int32),
                                     Tensor(np.array([4.0, 1.0, 2.0]))],
                         ids=["list", "tuple", "integral-float", "uint8", "int32", "tensor"])
def test_good_lengths_come_back_as_int64(lengths):
    checked = check_lengths(lengths, T, B)
    assert checked.dtype == np.int64 and checked.tolist() == [4, 1, 2]


def test_batch_size_is_optional_and_an_empty_batch_is_fine():
    assert check_lengths([1, 4], T).tolist() == [1, 4]
    with pytest.raises(ValueError, match=r"expected shape \(B,\), got \(1, 2\)"):
        check_lengths([[1, 4]], T)
    empty = check_lengths([], T, 0)
    assert empty.dtype == np.int64 and empty.shape == (0,)


def test_length_mask_marks_exactly_the_real_positions():
    lengths = np.array([3, 1, 4, 2])
    mask = length_mask(lengths, 4)
    assert mask.dtype == bool and mask.shape == (4, 4)  # (T, B)
    np.testing.assert_array_equal(mask.astype(int), [[1, 1, 1, 1],
                                                     [1, 0, 1, 1],
                                                     [1, 0, 1, 0],
                                                     [0, 0, 1, 0]])
    np.testing.assert_array_equal(mask.sum(axis=0), lengths)
    for t in range(4):
        for b, n in enumerate(lengths):
            assert mask[t, b] == (t < n)


def test_padding_checks_once_and_is_passed_through():
    padding = Padding.of([4, 1, 2], T, B)
    np.testing.assert_array_equal(padding.mask, length_mask(np.array([4, 1, 2]), T))
    assert (padding.steps, padding.size, padding.num_tokens) == (4, 3, 7)
    assert Padding.of(padding, T, B) is padding
    assert check_lengths(padding, T, B) is padding.lengths
    assert check_lengths(padding, T) is padding.lengths
    with pytest.raises(ValueError, match="the padding is for 4 time steps, the input has 5"):
        check_lengths(padding, 5, B)
    with pytest.raises(ValueError, match=r"expected shape \(2,\), got \(3,\)"):
        Padding.of(padding, T, 2)
    with pytest.raises(ValueError, match=r"lie in \[1, 4\]"):
        Padding.of([0, 1, 2], T, B)


def test_no_lengths_is_a_full_padding():
    full = Padding.of(None, T, B)
    assert full.lengths.tolist() == [4, 4, 4] and full.lengths.dtype == np.int64
    assert full.mask.shape == (T, B) and full.mask.all()
    assert full.num_tokens == T * B
    with pytest.raises(ValueError, match="needs the batch size"):
        Padding.of(None, T)
