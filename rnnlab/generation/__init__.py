"""Decoding: greedy, temperature, top-k and top-p sampling; conditioned training texts."""

from rnnlab.generation.decode import sample_sequence
from rnnlab.generation.sampling import Sampler, filtered_probabilities

__all__ = ["Sampler", "filtered_probabilities", "sample_sequence"]
