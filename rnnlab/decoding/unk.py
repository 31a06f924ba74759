"""Unknown-word replacement by attention (Luong et al. 2015, "Addressing the rare word problem").

An output ``<unk>`` at step t is replaced by the source word it attended to most,
x_{argmax_s a_t(s)} — right for names, numbers and other words that pass through a
translation unchanged, and a readable guess otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def replace_unknowns(
    tokens: Sequence[str], attention: np.ndarray, source_tokens: Sequence[str], unk: str
) -> list[str]:
    """``tokens`` with every ``unk`` replaced by its most-attended source token.

    ``attention`` has one row per output token; columns past ``len(source_tokens)``
    (padding) are ignored.
    """
    if len(attention) != len(tokens):
        raise ValueError(f"{len(tokens)} tokens but {len(attention)} attention rows")
    if not source_tokens:
        return list(tokens)
    weights = np.asarray(attention)[:, : len(source_tokens)]
    return [
        source_tokens[int(np.argmax(weights[i]))] if token == unk else token
        for i, token in enumerate(tokens)
    ]
