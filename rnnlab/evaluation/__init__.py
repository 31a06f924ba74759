"""Scoring a system's output against gold annotation: the CoNLL 2018 shared task's UD
metrics (:mod:`rnnlab.evaluation.conll18`)."""

from rnnlab.evaluation.conll18 import (
    METRICS,
    Score,
    TextMismatchError,
    evaluate,
    evaluate_files,
    format_table,
)

__all__ = ["METRICS", "Score", "TextMismatchError", "evaluate", "evaluate_files",
           "format_table"]
