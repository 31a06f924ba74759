"""SST-2 test accuracy split by whether a sentence contains a word the model never saw.

For each configuration folder (``OUT/sst2/<variant>`` of ``benchmarks/tasks/sst.py``), loads
every ``seed*/model``, marks each test sentence that has a (normalised) token outside that
model's vocabulary, and prints the accuracy on those sentences and on the rest, averaged
over the seeds — what character features buy, and where::

    .venv/bin/python benchmarks/tasks/sst_unseen.py runs/sst-bi2-12/sst2/lstm-bi2-max-e100 \\
        runs/sst-chars/sst2/lstm-bi2-max-e100-chars
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from rnnlab.data.paths import shared_data_dir
from rnnlab.data.sst import read_sst_trees, sst_examples
from rnnlab.models.classifier import SentenceClassifier


def split_accuracy(model: SentenceClassifier, examples: list) -> tuple[float, float, int]:
    """(accuracy on sentences with an unseen word, on the others, how many have one)."""
    gold = np.array([e.label for e in examples])
    unseen = np.array([any(t not in model.vocab for t in model.normalise(e.tokens))
                       for e in examples])
    right = model.predict_proba([e.tokens for e in examples]).argmax(axis=1) == gold
    return float(right[unseen].mean()), float(right[~unseen].mean()), int(unseen.sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configurations", nargs="+", help="folders holding seed*/model")
    parser.add_argument("--data", default=None, help="SST folder (default: the shared data)")
    args = parser.parse_args(argv)
    data = Path(args.data) if args.data else shared_data_dir() / "sst"
    test = sst_examples(read_sst_trees(data / "test.txt"), "binary")
    first = SentenceClassifier.load(sorted(Path(args.configurations[0]).glob("seed*/model"))[0])
    forms = [t for e in test for t in first.normalise(e.tokens)]
    unseen = Counter(t for t in forms if t not in first.vocab)
    print(f"{args.configurations[0]}: {sum(unseen.values())} of {len(forms)} test tokens "
          f"({100 * sum(unseen.values()) / len(forms):.1f} %) are outside the vocabulary; "
          f"most frequent: {', '.join(w for w, _ in unseen.most_common(12))}\n")
    print("| model | seeds | sentences with an unseen word | accuracy % | others | accuracy % |")
    print("|---|---:|---:|---:|---:|---:|")
    for folder in map(Path, args.configurations):
        scores = [split_accuracy(SentenceClassifier.load(model), test)
                  for model in sorted(folder.glob("seed*/model"))]
        if not scores:
            raise SystemExit(f"{folder}: no seed*/model folders")
        with_unseen, without, count = np.mean(scores, axis=0)
        print(f"| {folder} | {len(scores)} | {count:.0f} | {100 * with_unseen:.2f} | "
              f"{len(test) - count:.0f} | {100 * without:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
