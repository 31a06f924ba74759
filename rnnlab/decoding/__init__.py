"""Decoding for conditional generators: greedy search, batched beam search, unknown-word
replacement by attention, and output-length limits relative to the input."""

from rnnlab.decoding.base import Hypothesis, StepModel, length_normalized, max_output_lengths
from rnnlab.decoding.beam import beam_search
from rnnlab.decoding.greedy import greedy_search
from rnnlab.decoding.unk import replace_unknowns

__all__ = [
    "Hypothesis", "StepModel", "beam_search", "greedy_search", "length_normalized",
    "max_output_lengths", "replace_unknowns",
]
