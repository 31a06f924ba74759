"""Scoring a tagger: accuracy, per-tag precision/recall/F1, confusions, unseen words.

For a tag τ, with TP the words tagged τ correctly::

    precision = TP / #(predicted τ)    recall = TP / #(gold τ)    F1 = 2 P R / (P + R)

Words whose gold tag is ``_`` (no value) are left out of every count — except for FEATS,
where ``_`` is the answer "no features". UFeats, as in the CoNLL 2018 shared task
(:mod:`rnnlab.evaluation.conll18`), compares the universal features of a word as one set
(``Typo``, ``ExtPos`` and other language-specific features set aside); AllTags counts a
word right when UPOS, XPOS and UFeats all are.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from rnnlab.evaluation.conll18 import UNIVERSAL_FEATURES
from rnnlab.models.tagger import NO_TAG, Tagger


def _word_pairs(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                what: str) -> Iterator[tuple[str, str]]:
    """(gold, predicted) of every word, sentence by sentence; ``what`` names the column in
    the error raised when the sentence counts or a sentence's lengths differ."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold {what} but {len(p)} predicted")
        yield from zip(g, p, strict=True)


def _pairs(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> list[tuple[str, str]]:
    return [(a, b) for a, b in _word_pairs(gold, predicted, "tags") if a != NO_TAG]


def accuracy(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Share of words (with a gold tag) whose predicted tag equals the gold one."""
    pairs = _pairs(gold, predicted)
    return sum(a == b for a, b in pairs) / max(len(pairs), 1)


def universal_feats(feats: str) -> str:
    """The universal features of a FEATS string, sorted (``_`` when none is left)."""
    kept = sorted(f for f in feats.split("|") if f.split("=", 1)[0] in UNIVERSAL_FEATURES)
    return "|".join(kept) or NO_TAG


def _ufeats_pairs(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> list[tuple[str, str]]:
    return [(universal_feats(a), universal_feats(b))
            for a, b in _word_pairs(gold, predicted, "FEATS")]


def ufeats_accuracy(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Share of words whose predicted universal features equal the gold ones (every word
    counts, ``_`` included)."""
    pairs = _ufeats_pairs(gold, predicted)
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
    feats: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Tag ``words`` and score against gold ``upos`` (and ``xpos``, ``feats``); ``progress``
    as in :meth:`Tagger.predict`.

    Returns ``sentences``, ``tokens``, ``upos_accuracy``, ``upos`` (a :func:`tag_report`),
    ``unseen_tokens`` (words whose form never occurred in training) and
    ``unseen_upos_accuracy``, ``tokens_per_second``; with an XPOS head and gold XPOS also
    ``xpos_accuracy``, ``xpos`` and ``unseen_xpos_accuracy``; with a FEATS head and gold
    FEATS also ``ufeats_accuracy`` and ``unseen_ufeats_accuracy``, and with all three
    ``alltags_accuracy``.
    """
    started = time.perf_counter()
    predicted = model.predict_tags(words, batch_size, progress)
    predicted_upos, predicted_xpos = predicted.upos, predicted.xpos
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
    if predicted.feats is not None and feats is not None:
        result["ufeats_accuracy"] = ufeats_accuracy(feats, predicted.feats)
        result["unseen_ufeats_accuracy"] = ufeats_accuracy(only_unseen(feats),
                                                           only_unseen(predicted.feats))
        if "xpos_accuracy" in result and xpos is not None and predicted_xpos is not None:
            result["alltags_accuracy"] = _alltags_accuracy(
                upos, xpos, feats, predicted_upos, predicted_xpos, predicted.feats)
    return result


def _alltags_accuracy(
    upos: Sequence[Sequence[str]], xpos: Sequence[Sequence[str]],
    feats: Sequence[Sequence[str]], predicted_upos: Sequence[Sequence[str]],
    predicted_xpos: Sequence[Sequence[str]], predicted_feats: Sequence[Sequence[str]],
) -> float:
    """Share of words whose UPOS, XPOS and universal features are all right."""
    right = total = 0
    for sentence in zip(upos, xpos, feats, predicted_upos, predicted_xpos, predicted_feats,
                        strict=True):
        for u, x, f, pu, px, pf in zip(*sentence, strict=True):
            total += 1
            right += u == pu and x == px and universal_feats(f) == universal_feats(pf)
    return right / max(total, 1)
