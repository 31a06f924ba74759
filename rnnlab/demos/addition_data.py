"""Data of the addition experiment (LECTURE §1): digits least significant first, with carries.

Step t reads digit t of each addend and writes digit t of the sum; the carry is the only
thing step t must hand to step t+1, which is what the hidden state has to learn::

    s_t = (a_t + b_t + c_{t−1}) mod base        c_t = ⌊(a_t + b_t + c_{t−1}) / base⌋

A pair of n-digit numbers gives n+1 steps: the last step reads two zero digits and writes
the final carry. The lecture's unit reads "2 dimensions, one digit of each addend"; here
each digit is given as a one-hot vector of size ``base`` (2·base inputs), which carries the
same information and works unchanged for base 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnlab.engine.padding import length_mask


@dataclass
class AdditionBatch:
    """A batch in time-major layout, T = number of digits + 1.

    ``inputs`` (T, B, 2·base) one-hot digits of a and b; ``targets`` (T, B) sum digits;
    ``carries`` (T, B) the carry out of each step; ``a``, ``b`` (B, T) the addends' digits.
    All digit arrays are least significant digit first.
    """

    inputs: np.ndarray
    targets: np.ndarray
    carries: np.ndarray
    a: np.ndarray
    b: np.ndarray
    base: int


def random_digits(
    rng: np.random.Generator, count: int, max_digits: int, base: int, exact: bool
) -> np.ndarray:
    """(count, max_digits) digits LSB first; ``exact``: every number has ``max_digits`` digits
    (leading digit non-zero), else each has a length drawn uniformly from 1 … max_digits."""
    digits = rng.integers(0, base, size=(count, max_digits))
    full = np.full(count, max_digits)
    lengths = full if exact else rng.integers(1, max_digits + 1, size=count)
    # a number of length L > 1 has a non-zero leading digit (a one-digit number may be 0)
    rows = np.arange(count)
    leading = rng.integers(1, base, size=count)
    digits[rows, lengths - 1] = np.where(lengths > 1, leading, digits[rows, lengths - 1])
    digits[~length_mask(lengths, max_digits).T] = 0
    return digits


def add_digits(a: np.ndarray, b: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Column addition of (B, n) digit arrays, LSB first.

    Returns the sum's digits and the carry out of each step, both (B, n+1); the extra step
    adds two zero digits and writes the final carry.
    """
    count, n = a.shape
    a = np.concatenate([a, np.zeros((count, 1), a.dtype)], axis=1)
    b = np.concatenate([b, np.zeros((count, 1), b.dtype)], axis=1)
    sums = np.empty((count, n + 1), np.int64)
    carries = np.empty((count, n + 1), np.int64)
    carry = np.zeros(count, np.int64)
    for t in range(n + 1):
        total = a[:, t] + b[:, t] + carry  # a_t + b_t + c_{t−1}
        sums[:, t] = total % base
        carry = total // base
        carries[:, t] = carry
    return sums, carries


def one_hot_pairs(a: np.ndarray, b: np.ndarray, base: int) -> np.ndarray:
    """(B, T) digit arrays → (T, B, 2·base) float32: [onehot(a_t), onehot(b_t)] per step."""
    eye = np.eye(base, dtype=np.float32)
    return np.concatenate([eye[a], eye[b]], axis=-1).transpose(1, 0, 2).copy()


def make_batch(
    rng: np.random.Generator, count: int, digits: int, base: int = 2, exact: bool = False
) -> AdditionBatch:
    """``count`` random additions of numbers with up to (``exact``: exactly) ``digits`` digits."""
    if base < 2:
        raise ValueError(f"base must be at least 2, got {base}")
    if digits < 1:
        raise ValueError(f"numbers need at least one digit, got {digits}")
    a = random_digits(rng, count, digits, base, exact)
    b = random_digits(rng, count, digits, base, exact)
    sums, carries = add_digits(a, b, base)
    pad = np.zeros((count, 1), np.int64)
    a, b = np.concatenate([a, pad], axis=1), np.concatenate([b, pad], axis=1)
    return AdditionBatch(
        inputs=one_hot_pairs(a, b, base), targets=sums.T.copy(), carries=carries.T.copy(),
        a=a, b=b, base=base,
    )


def digits_to_int(digits: np.ndarray, base: int) -> int:
    """Σ_t d_t · base^t for a 1-D array of digits, LSB first (Python int: no overflow)."""
    return sum(int(d) * base**t for t, d in enumerate(digits))


def digits_to_text(digits: np.ndarray, width: int) -> str:
    """Digits LSB first → the usual written form (MSB first), right-aligned to ``width``."""
    return "".join(str(int(d)) for d in digits[::-1]).rjust(width)
