"""The addition data: digits least significant first, carries, one-hot inputs."""

import numpy as np
import pytest

from rnnlab.demos.addition_data import (
    add_digits,
    digits_to_int,
    digits_to_text,
    make_batch,
    random_digits,
)


@pytest.mark.parametrize("base", [2, 10, 7])
def test_sum_digits_are_the_sum_least_significant_first(base):
    batch = make_batch(np.random.default_rng(0), 300, 6, base)
    for b in range(300):
        a, bb = digits_to_int(batch.a[b], base), digits_to_int(batch.b[b], base)
        assert digits_to_int(batch.targets[:, b], base) == a + bb
        # LSB first: digit 0 of the sum is (a + b) mod base
        assert batch.targets[0, b] == (a + bb) % base


def test_carries_follow_column_addition():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 10, size=(50, 5))
    b = rng.integers(0, 10, size=(50, 5))
    sums, carries = add_digits(a, b, 10)
    assert sums.shape == carries.shape == (50, 6)
    for row in range(50):
        carry = 0
        for t in range(6):
            column = (a[row, t] if t < 5 else 0) + (b[row, t] if t < 5 else 0) + carry
            assert sums[row, t] == column % 10
            carry = column // 10
            assert carries[row, t] == carry
    assert np.all(sums[:, -1] == carries[:, -2])  # the last step writes the final carry
    assert np.all(carries[:, -1] == 0)


def test_known_binary_example():
    # 0b011 (3) + 0b001 (1) = 0b0100 (4): carries 1, 1, 0, 0 from the least significant bit
    sums, carries = add_digits(np.array([[1, 1, 0]]), np.array([[1, 0, 0]]), 2)
    assert sums.tolist() == [[0, 0, 1, 0]]
    assert carries.tolist() == [[1, 1, 0, 0]]
    assert digits_to_text(sums[0], 6) == "  0100"


def test_number_lengths_and_leading_digits():
    rng = np.random.default_rng(2)
    exact = random_digits(rng, 400, 8, 10, exact=True)
    assert np.all(exact[:, -1] != 0)  # exactly 8 digits: the leading one is not zero
    free = random_digits(rng, 2000, 8, 10, exact=False)
    lengths = np.array([np.flatnonzero(row).max() + 1 if row.any() else 1 for row in free])
    assert lengths.min() == 1 and lengths.max() == 8
    assert len(np.unique(lengths)) == 8  # every length from 1 to 8 occurs


def test_inputs_are_one_hot_digit_pairs_time_major():
    batch = make_batch(np.random.default_rng(3), 4, 3, base=10, exact=True)
    assert batch.inputs.shape == (4, 4, 20) and batch.inputs.dtype == np.float32
    assert np.all(batch.inputs.sum(axis=-1) == 2)
    assert np.array_equal(batch.inputs[:, :, :10].argmax(-1), batch.a.T)
    assert np.array_equal(batch.inputs[:, :, 10:].argmax(-1), batch.b.T)
    assert np.all(batch.a[:, -1] == 0) and np.all(batch.b[:, -1] == 0)  # the carry-out step


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="base"):
        make_batch(np.random.default_rng(0), 2, 3, base=1)
    with pytest.raises(ValueError, match="digit"):
        make_batch(np.random.default_rng(0), 2, 0)
