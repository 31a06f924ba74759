"""Taggers averaged: how far an ensemble of trained taggers gets on gold tokens.

Each tagger's softmax probabilities of every head (UPOS, XPOS, FEATS) are averaged word by
word, tags aligned by name (vocabularies may differ), and the best-scoring tag is taken;
accuracies are plain per-word tag equality with the gold columns (FEATS as the whole
string, not the CoNLL 2018 UFeats subset). Every single model is scored the same way
beside the ensemble::

    .venv/bin/python benchmarks/tasks/tagger_ensemble.py --split test \\
        rnnlab/pretrained/en_ewt_tagger tests/fixtures/en_ewt_tagger_2026_11_27
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from rnnlab.data.conllu_io import read_conllu
from rnnlab.data.paths import shared_data_dir
from rnnlab.engine.tensor import Tensor
from rnnlab.models.tagger import Tagger

HEADS = ("upos", "xpos", "feats")
Probabilities = dict[str, list[tuple[list[str], np.ndarray] | None]]


def head_probabilities(model: Tagger, sentences: Sequence[Sequence[str]],
                       batch_size: int = 64) -> Probabilities:
    """Per head, per sentence: (tag names, (words, tags) softmax probabilities), or None
    where the model has no such head; batched as ``Tagger.predict_tags`` batches."""
    out: Probabilities = {head: [None] * len(sentences) for head in HEADS}
    order = np.argsort([-len(s) for s in sentences], kind="stable")
    rows: dict[str, int] = {}
    for i in order:
        for word in sentences[i]:
            rows.setdefault(word, len(rows))
    forms = list(rows)
    form_ids = model._form_ids(forms)
    with model._evaluating():
        vectors = model.char_encoder.form_vectors(forms, model.chars.token_to_id,
                                                  model.config.max_word_chars,
                                                  model.chars.pad_id)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = [sentences[i] for i in chunk]
            index = np.zeros((len(chunk), len(batch[0])), np.int64)
            for row, sentence in enumerate(batch):
                index[row, : len(sentence)] = [rows[w] for w in sentence]
            index = index.T
            ids, padding = model._word_ids(batch, form_ids, index)
            scores = model._scores(ids, padding, Tensor(vectors[index]))
            for head in HEADS:
                values = getattr(scores, head)
                if values is None:
                    continue
                z = values.data - values.data.max(axis=2, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=2, keepdims=True)
                names = getattr(model, f"{head}_vocab").tokens
                for row, i in enumerate(chunk):
                    out[head][i] = (names, p[: len(sentences[i]), row])
    return out


def averaged_tags(members: Sequence[Probabilities], head: str, i: int) -> list[str] | None:
    """The tags of sentence ``i`` under the members' averaged probabilities (None when a
    member lacks the head)."""
    total: dict[str, np.ndarray] = {}
    for member in members:
        entry = member[head][i]
        if entry is None:
            return None
        names, p = entry
        for k, name in enumerate(names):
            total[name] = total.get(name, 0.0) + p[:, k]
    names = list(total)
    return [names[j] for j in np.stack([total[n] for n in names], 1).argmax(1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="tagger model folders")
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    args = parser.parse_args(argv)
    gold = read_conllu(shared_data_dir() / "ud-english-ewt" / f"en_ewt-ud-{args.split}.conllu")
    sentences = [list(s.words) for s in gold]
    members = [head_probabilities(Tagger.load(path), sentences) for path in args.models]
    subsets = [[k] for k in range(len(members))]
    if len(members) > 1:
        subsets.append(list(range(len(members))))
    print(f"| models ({args.split}) | UPOS % | XPOS % | FEATS (whole string) % |")
    print("|---|---:|---:|---:|")
    for subset in subsets:
        cells = []
        for head in HEADS:
            right = total = 0
            for i, sentence in enumerate(gold):
                tags = averaged_tags([members[k] for k in subset], head, i)
                if tags is None:
                    break
                reference = getattr(sentence, head)
                right += sum(a == b for a, b in zip(tags, reference, strict=True))
                total += len(reference)
            cells.append(f"{100 * right / total:.2f}" if total else "—")
        names = " + ".join(args.models[k] for k in subset)
        print(f"| {names} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
