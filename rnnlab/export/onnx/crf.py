"""Viterbi decoding of a linear-chain CRF (:mod:`rnnlab.nn.crf`) as two ONNX ``Scan`` loops,
so that a CRF tagger's file gives its best tag sequences itself::

    δ_1(j) = start_j + E[1, j];   δ_t(j) = E[t, j] + max_i (δ_{t−1}(i) + A_ij),
                                  ψ_t(j) = argmax_i (δ_{t−1}(i) + A_ij)      (t < L_b)
    y_L = argmax_j (δ_L(j) + end_j);   y_{t−1} = ψ_t(y_t)

The first scan runs t = 2 … T + 1 for every sentence at once: past a sentence's own end
(and at the extra step T + 1, where none runs) δ stays as it was and ψ is the identity, so
the second scan — backwards over ψ from step T + 1 — carries each sentence's y_L unchanged
to its own last word and only then starts following its pointers; its T outputs are the
tags. Ties go to the first index, as NumPy's argmax.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnlab.export.onnx.graph import Graph


def viterbi(g: Graph, emissions: str, lengths: str, crf: Any) -> str:
    """Best tags (T, B) int64 for ``emissions`` (T, B, K) and ``lengths`` (B,) int64; at
    padding, each sentence's last tag repeated."""
    K = crf.transitions.data.shape[0]
    first = g.op("Gather", emissions, g.constant(np.array(0)), axis=0)  # (B, K)
    delta = g.op("Add", first, g.constant(crf.start.data, "crf_start"))
    # steps t = 1 … T (0-based) with one step past the end, where no sentence runs: the
    # scans then run at least once (onnxruntime's Scan fails on an empty sequence), and
    # the backward one, starting at that step's identity pointers, yields all T tags
    past_last = g.op("Add", g.size(emissions, 0), g.constant(np.array(1)))
    running = g.running(1, past_last, lengths)  # (T, B)
    rest = g.op("Slice", emissions, g.constant(np.array([1])),
                g.constant(np.array([np.iinfo(np.int64).max])), g.constant(np.array([0])))
    past_end = g.op("Unsqueeze", g.op("Mul", first, g.constant(np.float32(0))),
                    g.constant(np.array([0])))  # zeros (1, B, K)
    padded = g.op("Concat", rest, past_end, axis=0)
    final, pointers = g.node("Scan", [delta, padded, running], 2, num_scan_inputs=2,
                             body=_forward_body(crf.transitions.data, K))
    scored = g.op("Add", final, g.constant(crf.end.data, "crf_end"))
    last = g.op("ArgMax", scored, axis=1, keepdims=0)  # y_L, (B,)
    _, tags = g.node("Scan", [last, pointers], 2, num_scan_inputs=1,
                     scan_input_directions=[1], scan_output_directions=[1],
                     body=_backward_body())
    return tags


def _forward_body(transitions: np.ndarray, K: int) -> Any:
    """(δ_{t−1}, E[t], running_t) → (δ_t, ψ_t)."""
    b = Graph(prefix="viterbi_forward_")
    b.inputs = [b.value("delta_in", ["batch", K]), b.value("emission", ["batch", K]),
                b.value("running", ["batch"], boolean=True)]
    candidates = b.op("Add", b.op("Unsqueeze", "delta_in", b.constant(np.array([2]))),
                      b.constant(transitions, "transitions"))  # (B, K_from, K_to)
    best = b.op("ReduceMax", candidates, axes=[1], keepdims=0)
    pointer = b.op("ArgMax", candidates, axis=1, keepdims=0)
    going = b.op("Unsqueeze", "running", b.constant(np.array([1])))  # (B, 1)
    b.node("Where", [going, b.op("Add", "emission", best), "delta_in"], ["delta_out"])
    b.node("Where", [going, pointer, b.constant(np.arange(K))], ["pointer_out"])
    b.outputs = [b.value("delta_out", ["batch", K]),
                 b.value("pointer_out", ["batch", K], integer=True)]
    return b.body("viterbi_forward")


def _backward_body() -> Any:
    """(y_t, ψ_t) → (y_{t−1}, y_{t−1}), y_{t−1}[b] = ψ_t[b, y_t[b]]: state and output."""
    b = Graph(prefix="viterbi_backward_")
    b.inputs = [b.value("tag_in", ["batch"], integer=True),
                b.value("pointers", ["batch", "tags"], integer=True)]
    picked = b.op("GatherElements", "pointers", b.op("Unsqueeze", "tag_in",
                                                      b.constant(np.array([1]))), axis=1)
    b.node("Squeeze", [picked, b.constant(np.array([1]))], ["tag_out"])
    b.node("Identity", ["tag_out"], ["tag_scan"])
    b.outputs = [b.value("tag_out", ["batch"], integer=True),
                 b.value("tag_scan", ["batch"], integer=True)]
    return b.body("viterbi_backward")
