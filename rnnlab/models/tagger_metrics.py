"""Scoring a tagger: accuracy, per-tag precision/recall/F1, confusions, unseen words.

For a tag τ, with TP the words tagged τ correctly::

    precision = TP / #(predicted τ)    recall = TP / #(gold τ)    F1 = 2 P R / (P + R)

Words whose gold tag is ``_`` (no value) are left out of every count.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rnnlab.models.tagger import NO_TAG, Tagger


def _pairs(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> list[tuple[str, str]]:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    pairs = []
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
        pairs.extend((a, b) for a, b in zip(g, p, strict=True) if a != NO_TAG)
    return pairs


def accuracy(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Share of words (with a gold tag) whose predicted tag equals the gold one."""
    pairs = _pairs(gold, predicted)
    return sum(a == b for a, b in pairs) / max(len(pairs), 1)


def tag_report(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], top_confusions: int = 10
) -> dict[str, Any]:
    """Accuracy, ``per_tag`` {tag: precision, recall, f1, support} and the most frequent
    ``confusions`` [{gold, predicted, count}]."""
    pairs = _pairs(gold, predicted)
    gold_counts = Counter(a for a, _ in pairs)
    predicted_counts = Counter(b for _, b in pairs)
    correct = Counter(a for a, b in pairs if a == b)
    per_tag = {}
    for tag in sorted(set(gold_counts) | set(predicted_counts)):
        precision = correct[tag] / predicted_counts[tag] if predicted_counts[tag] else 0.0
        recall = correct[tag] / gold_counts[tag] if gold_counts[tag] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_tag[tag] = {
            "precision": precision, "recall": recall, "f1": f1, "support": gold_counts[tag]
        }
    confusions = Counter((a, b) for a, b in pairs if a != b).most_common(top_confusions)
    return {
        "accuracy": sum(correct.values()) / max(len(pairs), 1),
        "per_tag": per_tag,
        "confusions": [{"gold": a, "predicted": b, "count": n} for (a, b), n in confusions],
    }


def evaluate_tagger(
    model: Tagger,
    words: Sequence[Sequence[str]],
    upos: Sequence[Sequence[str]],
    xpos: Sequence[Sequence[str]] | None = None,
    batch_size: int = 64,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Tag ``words`` and score against gold ``upos`` (and ``xpos``); ``progress`` as in
    :meth:`Tagger.predict`.

    Returns ``sentences``, ``tokens``, ``upos_accuracy``, ``upos`` (a :func:`tag_report`),
    ``unseen_tokens`` (words whose form never occurred in training) and
    ``unseen_upos_accuracy``, ``tokens_per_second``; with an XPOS head and gold XPOS also
    ``xpos_accuracy``, ``xpos`` and ``unseen_xpos_accuracy``.
    """
    started = time.perf_counter()
    predicted_upos, predicted_xpos = model.predict(words, batch_size, progress)
    seconds = time.perf_counter() - started
    n_tokens = sum(len(s) for s in words)
    unseen = [[w not in model.train_forms for w in s] for s in words]

    def only_unseen(tags: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[t for t, new in zip(s, flags, strict=True) if new]
                for s, flags in zip(tags, unseen, strict=True)]

    upos_report = tag_report(upos, predicted_upos)
    result: dict[str, Any] = {
        "sentences": len(words),
        "tokens": n_tokens,
        "upos_accuracy": upos_report["accuracy"],
        "unseen_tokens": sum(map(sum, unseen)),
        "unseen_upos_accuracy": accuracy(only_unseen(upos), only_unseen(predicted_upos)),
        "tokens_per_second": n_tokens / max(seconds, 1e-9),
        "upos": upos_report,
    }
    if predicted_xpos is not None and xpos is not None:
        xpos_report = tag_report(xpos, predicted_xpos)
        result["xpos_accuracy"] = xpos_report["accuracy"]
        result["unseen_xpos_accuracy"] = accuracy(only_unseen(xpos), only_unseen(predicted_xpos))
        result["xpos"] = xpos_report
    return result
