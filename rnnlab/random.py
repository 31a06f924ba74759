"""One place for randomness, so a fixed seed reproduces a whole run."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def seed(value: int) -> None:
    """Seed rnnlab's generator (weight initialisation, dropout, shuffling, sampling)."""
    global _generator
    _generator = np.random.default_rng(value)


def generator() -> np.random.Generator:
    """The generator every rnnlab component draws from unless given its own."""
    return _generator


def get_state() -> dict:
    """The generator's state, JSON-serialisable (saved in checkpoints for exact resume)."""
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    _generator.bit_generator.state = state
