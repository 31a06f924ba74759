"""LECTURE §5: long-term dependencies — "The cat(s), which already ate …, was/were full".

A network reads the sentence and must tell "was" from "were" after the clause. Two ways to
ask it (``objective``):

* ``"lm"`` (default) — a word-by-word language model (the lecture's many-to-many shape,
  LECTURE §3) trained on whole sentences; at the verb we compare its scores for "was" and
  "were"::

      e_t = E[w_t]    h_t = cell(e_t, h_{t−1})    p(w_{t+1} | w_≤t) = softmax(W_o h_t + b_o)

  This is how agreement shows up in real use: the same state has to predict every word,
  and the verb's number is one bit among all it carries (the setting of Linzen et al. 2016).
* ``"classify"`` — many-to-one: softmax(W_o h_T + b_o) over {was, were} at the last word
  before the verb, trained on that decision alone.

The language model is the default because it is the question the lecture asks; the
classifier is there to compare with: trained on the single decision, all three cells keep
the bit over any distance here, so the gap between them shows only when the state must
also serve the rest of the sentence (see docs/agreement.md for both runs' numbers).

Trained on clauses of up to ``train_distance`` words, tested on up to ``test_distance``:
accuracy against the distance, and against the number of attractors at a fixed distance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import rnnlab
from rnnlab.demos import plotting
from rnnlab.demos.agreement_data import (
    VERBS,
    VOCAB,
    WORD_ID,
    AgreementExample,
    encode,
    make_example,
    max_nouns,
    random_examples,
)
from rnnlab.demos.common import DemoReport, data_rng, start, steps_bar
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.nn import Embedding, Linear
from rnnlab.optim import Adam, clip_grad_norm
from rnnlab.recurrent.factory import CELL_NAMES, make_recurrent

OBJECTIVES = ("lm", "classify")
VERB_IDS = [WORD_ID[v] for v in VERBS]  # was, were


@dataclass
class AgreementConfig:
    """Settings of ``rnnlab demo agreement``."""

    objective: str = "lm"
    cells: tuple[str, ...] = CELL_NAMES
    embedding_size: int = 16
    hidden_size: int = 16
    train_distance: int = 10
    test_distance: int = 40
    clause_nouns: int = 3  # at most this many nouns in a training clause
    attractor_rate: float = 0.2  # share of clause nouns that are attractors
    attractor_distance: int = 13  # fixed distance of the by-attractors test (room for 4)
    steps: int = 400
    batch_size: int = 64
    lr: float = 0.005
    test_count: int = 200  # test sentences per distance / attractor count
    seed: int = 0
    out: str = "runs/demo-agreement"
    progress: bool = True


class AgreementModel(Module):
    """Embedding → recurrent layer → softmax over the vocabulary (``lm``) or {was, were}."""

    def __init__(self, cell: str, objective: str, embedding_size: int, hidden_size: int,
                 ) -> None:
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.cell, self.objective = cell, objective
        self.embedding = Embedding(len(VOCAB), embedding_size, padding_idx=0)
        self.recurrent = make_recurrent(cell, embedding_size, hidden_size)
        self.head = Linear(hidden_size, len(VOCAB) if objective == "lm" else 2)

    def forward(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[Tensor, Tensor]:
        """States h_t (T, B, H), zero past each end, and each sequence's last state (B, H)."""
        states, final = self.recurrent(self.embedding(ids), lengths=lengths)
        h_last = final[0] if isinstance(final, tuple) else final  # LSTM: (h_n, c_n)
        return states, h_last[-1]

    def loss(self, examples: list[AgreementExample]) -> Tensor:
        """``lm``: mean cross-entropy of every next word; ``classify``: of the verb's number."""
        if self.objective == "classify":
            ids, lengths, labels = encode(examples)
            return ops.cross_entropy(self.head(self(ids, lengths)[1]), labels)
        ids, lengths, _ = encode(examples, complete=True)
        states, _ = self(ids[:-1], lengths - 1)
        targets = np.where(ids[1:] == 0, -100, ids[1:])  # padding is not a word to predict
        return ops.cross_entropy(self.head(states), targets, ignore_index=-100)

    def says_plural(self, examples: list[AgreementExample]) -> np.ndarray:
        """Whether the model prefers "were" to "was" after each sentence's clause."""
        ids, lengths, _ = encode(examples)
        with no_grad():
            _, h_last = self(ids, lengths)  # the state after the last word before the verb
            scores = self.head(h_last).data
        if self.objective == "lm":
            scores = scores[:, VERB_IDS]
        return scores[:, 1] > scores[:, 0]


def accuracy(model: AgreementModel, examples: list[AgreementExample]) -> float:
    plural = np.array([e.plural for e in examples])
    return float((model.says_plural(examples) == plural).mean())


def train_agreement(model: AgreementModel, config: AgreementConfig) -> list[float]:
    rng = data_rng(config.seed, 1)
    params = model.parameters()
    optimizer = Adam(params, lr=config.lr)
    losses = []
    with steps_bar(config.steps, f"agreement {model.cell}", config.progress) as bar:
        for _ in range(config.steps):
            examples = random_examples(rng, config.batch_size, config.train_distance,
                                       config.clause_nouns, config.attractor_rate)
            loss = model.loss(examples)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm(params, 5.0)
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
            bar.update()
    return losses


def test_distances(config: AgreementConfig) -> np.ndarray:
    """Every distance up to the training range, then ~20 steps out to ``test_distance``."""
    beyond = np.linspace(config.train_distance, config.test_distance, 21).round().astype(int)
    return np.unique(np.concatenate([np.arange(config.train_distance + 1), beyond]))


def accuracy_by_distance(model: AgreementModel, config: AgreementConfig) -> np.ndarray:
    """Accuracy at each of :func:`test_distances` (clause nouns drawn as in training)."""
    rng = data_rng(config.seed, 2)
    return np.array([
        accuracy(model, random_examples(rng, config.test_count, int(d), config.clause_nouns,
                                        config.attractor_rate, min_distance=int(d)))
        for d in test_distances(config)
    ])


def accuracy_by_attractors(model: AgreementModel, config: AgreementConfig) -> np.ndarray:
    """Accuracy at distance ``attractor_distance`` with 0, 1, … attractors and no other
    nouns, so that only the attractor count changes."""
    rng = data_rng(config.seed, 3)
    room = max_nouns(config.attractor_distance)
    return np.array([
        accuracy(model, [make_example(rng, bool(rng.integers(2)), config.attractor_distance,
                                      a, other_nouns=0)
                         for _ in range(config.test_count)])
        for a in range(room + 1)
    ])


def plot_results(results: dict, config: AgreementConfig, report: DemoReport) -> None:
    fig, axes = plotting.figure(columns=2)
    for cell, r in results.items():
        axes[0].plot(test_distances(config), r["by_distance"], marker=".",
                     color=plotting.colour(cell), label=cell)
        axes[1].plot(np.arange(len(r["by_attractors"])), r["by_attractors"], marker="o",
                     color=plotting.colour(cell), label=cell)
    axes[0].axvline(config.train_distance, color="gray", ls="--", lw=0.8)
    axes[0].text(config.train_distance, 0.02, " longest training clause", fontsize=7,
                 color="gray")
    axes[0].set_xlabel("words between subject and verb")
    axes[1].set_xlabel(f"attractors (distance {config.attractor_distance})")
    axes[1].set_xticks(np.arange(len(next(iter(results.values()))["by_attractors"])))
    for ax in axes:
        ax.set_ylabel("verb number right")
        ax.set_ylim(-0.02, 1.02)
        ax.axhline(0.5, color="black", lw=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("language model" if config.objective == "lm" else "classifier", fontsize=10)
    report.files.append(plotting.save(fig, report.out_dir / "agreement_accuracy.png"))


def run_agreement(config: AgreementConfig) -> DemoReport:
    """Train each cell (as a language model or a classifier) and test its was/were choice
    by distance and by attractors."""
    if config.objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {config.objective!r}")
    unknown = set(config.cells) - set(CELL_NAMES)
    if unknown:
        raise ValueError(f"unknown cell(s) {sorted(unknown)}; choose from {CELL_NAMES}")
    if max_nouns(config.attractor_distance) < 1:
        raise ValueError("attractor_distance must leave room for at least one attractor (>= 4)")
    report = start(config.out, config.seed)
    asked = "language model" if config.objective == "lm" else "classifier on the last state"
    report.say(f"verb number after a clause, asked of a {asked}")
    report.say(f"trained on clauses of 0 … {config.train_distance} "
               f"words with <= {config.clause_nouns} nouns, each an attractor with probability "
               f"{config.attractor_rate:g}; tested up to {config.test_distance} words")
    for example in random_examples(data_rng(config.seed, 5), 2, config.train_distance,
                                   config.clause_nouns, 0.5, min_distance=config.train_distance):
        report.say(f"  e.g. \"{example.sentence()}\" (distance {example.distance}, "
                   f"{example.attractors} attractor(s))")
    results = {}
    for cell in config.cells:
        rnnlab.seed(config.seed)
        model = AgreementModel(cell, config.objective, config.embedding_size, config.hidden_size)
        began = time.perf_counter()
        losses = train_agreement(model, config)
        results[cell] = {"seconds": time.perf_counter() - began,
                         "final_loss": float(np.mean(losses[-50:])),
                         "by_distance": accuracy_by_distance(model, config),
                         "by_attractors": accuracy_by_attractors(model, config)}
    plot_results(results, config, report)

    inside = test_distances(config) <= config.train_distance
    beyond = ~inside
    report.say("")
    report.say(f"accuracy ({config.test_count} sentences per distance / attractor count):")
    attractor_counts = len(next(iter(results.values()))["by_attractors"])
    report.say(f"  {'cell':<6}{'train s':>8}{'d<=' + str(config.train_distance):>8}"
               f"{'d>' + str(config.train_distance):>8}{f'd={config.test_distance}':>8}   "
               f"by attractors 0 … {attractor_counts - 1} at distance "
               f"{config.attractor_distance}")
    for cell, r in results.items():
        by_attr = " ".join(f"{a:.0%}" for a in r["by_attractors"])
        report.say(f"  {cell:<6}{r['seconds']:>8.1f}{r['by_distance'][inside].mean():>8.1%}"
                   f"{r['by_distance'][beyond].mean():>8.1%}{r['by_distance'][-1]:>8.1%}   "
                   f"{by_attr}")
    report.metrics = {
        cell: {"train_seconds": r["seconds"], "final_loss": r["final_loss"],
               "accuracy_inside": float(r["by_distance"][inside].mean()),
               "accuracy_beyond": float(r["by_distance"][beyond].mean()),
               "by_distance": {int(d): float(a) for d, a in zip(test_distances(config),
                                                                r["by_distance"], strict=True)},
               "by_attractors": [float(a) for a in r["by_attractors"]]}
        for cell, r in results.items()
    }
    report.save_metrics()
    return report
