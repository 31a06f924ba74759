"""Value checks for command-line options, as argparse ``type=`` functions.

A value out of range is refused while the command line is parsed, so the message names the
flag the user typed — ``argument --top-p: must be in (0, 1], not '1.5'`` — rather than the
Python parameter of the function it would have reached.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable


def integer(minimum: int = 1) -> Callable[[str], int]:
    """An integer ≥ ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer ≥ {minimum}, "
                                             f"not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer ≥ {minimum}, not {text!r}")
        return value

    parse.__name__ = f"integer ≥ {minimum}"
    return parse


def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False) -> Callable[[str], float]:
    """A finite number in the interval from ``low`` to ``high`` (either end open or closed;
    None: unbounded)."""
    if low is None or high is None:
        wanted = "a finite number" + ("" if low is None else
                                      (" > " if low_open else " ≥ ") + f"{low:g}")
    else:
        wanted = (f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = math.isfinite(value) and (
            low is None or (value > low if low_open else value >= low)) and (
            high is None or (value < high if high_open else value <= high))
        if not inside:
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text!r}")
        return value

    parse.__name__ = wanted
    return parse


positive_int = integer(1)
non_negative_int = integer(0)
positive = number(0, low_open=True)
non_negative = number(0)
below_one = number(0, 1, high_open=True)
"""[0, 1): a dropout probability, a decay rate (0: off)."""
fraction = number(0, 1, low_open=True, high_open=True)
"""A share of something, strictly between 0 and 1."""
probability_mass = number(0, 1, low_open=True)
"""(0, 1]: e.g. nucleus sampling's top-p."""


def output_file(text: str) -> str:
    """A file to write: not an existing folder."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    return text


def run_folder(text: str) -> str:
    """A folder to write into: not an existing file."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return text
