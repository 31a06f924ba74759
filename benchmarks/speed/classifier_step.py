"""CPU time of one sentence-classifier training step, split into forward + backward,
gradient clipping and the Adam update — with dense Adam and with lazy embedding updates.

The SST setup in miniature: a 17,000-word vocabulary of 300-d embeddings, a bidirectional
LSTM of 150 per direction, max pooling, batches of 64 random "phrases" of 1–19 tokens.
One BLAS thread; times are ``time.process_time`` per step, averaged over 35 steps after 5.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/speed/classifier_step.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("RNNLAB_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from rnnlab.data.vocab import Vocab  # noqa: E402
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier, make_batches  # noqa: E402
from rnnlab.optim import Adam, clip_grad_norm  # noqa: E402

VOCAB, BATCHES, WARMUP = 17000, 40, 5


def measure(lazy: bool) -> tuple[float, float, float]:
    vocab = Vocab(["<pad>", "<unk>"] + [f"w{i}" for i in range(VOCAB - 2)])
    config = ClassifierConfig(vocab_size=VOCAB, num_classes=2, word_dropout=0.1)
    model = SentenceClassifier(config, vocab, ["neg", "pos"], rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    sequences = [list(rng.integers(2, VOCAB, size=rng.integers(1, 20)))
                 for _ in range(64 * BATCHES)]
    labels = list(rng.integers(0, 2, size=len(sequences)))
    optimizer = Adam(model.parameters(), lr=1e-3,
                     lazy_rows=[model.embedding.weight] if lazy else ())
    model.train()
    totals = np.zeros(3)
    for step, batch in enumerate(make_batches(sequences, labels, 64, rng)):
        t0 = time.process_time()
        optimizer.zero_grad()
        model.loss(batch).backward()
        t1 = time.process_time()
        clip_grad_norm(model.parameters(), 5.0)
        t2 = time.process_time()
        optimizer.step()
        t3 = time.process_time()
        if step >= WARMUP:
            totals += (t1 - t0, t2 - t1, t3 - t2)
    return tuple(1e3 * totals / (BATCHES - WARMUP))


def main() -> None:
    print("| Adam | forward + backward ms | clip ms | update ms | step ms |")
    print("|---|---:|---:|---:|---:|")
    for lazy in (False, True):
        fb, clip, update = measure(lazy)
        print(f"| {'lazy embedding rows' if lazy else 'dense'} | {fb:.1f} | {clip:.1f} | "
              f"{update:.1f} | {fb + clip + update:.1f} |")


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
