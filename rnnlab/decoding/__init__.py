"""Decoding: turning a model's next-token scores into output sequences.

* :mod:`.sampling` — choosing one token from the scores: greedy, temperature, top-k, top-p;
* :mod:`.sampling_loop` — the free-running loop of the language model and the conditional
  generator (pick a token, feed it back, carry the state);
* :mod:`.greedy` and :mod:`.beam` — greedy and batched beam search over a :class:`StepModel`
  (the encoder–decoder translator), with output-length limits relative to the input
  (:mod:`.base`) and unknown-word replacement by attention (:mod:`.unk`).
"""

from rnnlab.decoding.base import Hypothesis, StepModel, length_normalized, max_output_lengths
from rnnlab.decoding.beam import beam_search
from rnnlab.decoding.greedy import greedy_search
from rnnlab.decoding.sampling import Sampler, filtered_probabilities
from rnnlab.decoding.sampling_loop import sample_sequence
from rnnlab.decoding.unk import replace_unknowns

__all__ = [
    "Hypothesis", "Sampler", "StepModel", "beam_search", "filtered_probabilities",
    "greedy_search", "length_normalized", "max_output_lengths", "replace_unknowns",
    "sample_sequence",
]
