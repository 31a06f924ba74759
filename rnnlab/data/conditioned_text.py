"""(condition vector, text) pairs for one-vector-to-sequence generation (LECTURE §3.2).

Two sources, documented for users in ``docs/generation.md``:

* a directory of ``<Label>.txt`` files, one text per line (e.g. ``data/names``): the
  condition is the one-hot vector of the label (the file stem);
* a features file and a captions file: ``features.npy`` holds a 2-D float array (N, D), one
  row per item (an image feature vector, a sentence embedding …), and ``captions.txt`` holds
  N lines, line i being the caption of row i. An item with several captions repeats its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from rnnlab.data.arrays import read_npy
from rnnlab.data.errors import DataFormatError
from rnnlab.data.names import read_names
from rnnlab.data.text_files import read_utf8, split_lines


@dataclass(frozen=True)
class ConditionedTexts:
    """``conditions[i]`` (D,) is the vector that should generate ``texts[i]``.

    ``labels`` names the one-hot dimensions when conditions are categories, else ``None``.
    """

    conditions: np.ndarray
    texts: list[str]
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        if self.conditions.ndim != 2 or len(self.conditions) != len(self.texts):
            raise ValueError(
                f"need one condition row per text: conditions {self.conditions.shape}, "
                f"{len(self.texts)} texts"
            )

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def condition_dim(self) -> int:
        return self.conditions.shape[1]

    def subset(self, indices: np.ndarray) -> ConditionedTexts:
        return ConditionedTexts(
            self.conditions[indices], [self.texts[i] for i in indices], self.labels
        )

    def split(
        self, held_out_fraction: float, seed: int = 0
    ) -> tuple[ConditionedTexts, ConditionedTexts]:
        """A random (train, held-out) split; the same seed always gives the same split."""
        if not 0.0 < held_out_fraction < 1.0:
            raise ValueError(f"held-out fraction must be in (0, 1), got {held_out_fraction}")
        order = np.random.default_rng(seed).permutation(len(self))
        n_held = max(1, round(held_out_fraction * len(self)))
        if n_held >= len(self):
            raise ValueError(f"holding out {held_out_fraction} of {len(self)} texts leaves none "
                             "to train on")
        return self.subset(np.sort(order[n_held:])), self.subset(np.sort(order[:n_held]))


def one_hot(labels: list[str], categories: list[str]) -> np.ndarray:
    """(N, C) float32 rows e_{index of label}."""
    index = {c: i for i, c in enumerate(categories)}
    vectors = np.zeros((len(labels), len(categories)), np.float32)
    vectors[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    return vectors


def labelled_directory(directory: str | PathLike[str], ascii_only: bool = True) -> ConditionedTexts:
    """Every line of every ``<Label>.txt`` in ``directory``, conditioned on its label.

    Duplicate (text, label) pairs are kept once, so a held-out split never holds a copy of
    a training pair; ``ascii_only`` transliterates accented letters (``é`` → ``e``).
    """
    pairs = list(dict.fromkeys((ex.text, ex.label) for ex in read_names(directory, ascii_only)))
    categories = sorted({label for _, label in pairs})
    labels = [label for _, label in pairs]
    return ConditionedTexts(one_hot(labels, categories), [t for t, _ in pairs], categories)


def features_and_captions(
    features_path: str | PathLike[str], captions_path: str | PathLike[str]
) -> ConditionedTexts:
    """Row i of the ``.npy`` array conditions line i of the captions file."""
    path = Path(features_path)
    features = read_npy(path)
    if features.ndim != 2 or not np.issubdtype(features.dtype, np.number):
        raise DataFormatError(
            path, None, f"expected a 2-D numeric array (items, features), got {features.dtype} "
            f"of shape {features.shape}"
        )
    if not np.isfinite(features).all():
        raise DataFormatError(path, None, "features contain NaN or infinite values")
    captions = split_lines(read_utf8(captions_path))
    for number, caption in enumerate(captions, start=1):
        if not caption.strip():
            raise DataFormatError(captions_path, number, "empty caption")
    if not captions:
        raise DataFormatError(captions_path, None, "no captions (the file is empty)")
    if len(captions) != len(features):
        raise DataFormatError(
            captions_path, None,
            f"{len(captions)} captions but {len(features)} feature rows in {path}; line i must "
            "caption row i",
        )
    return ConditionedTexts(features.astype(np.float32), [c.strip() for c in captions])


def read_conditioned_texts(paths: list[str], ascii_only: bool = True) -> ConditionedTexts:
    """A labelled directory (one path) or ``FEATURES.npy CAPTIONS.txt`` (two paths)."""
    if len(paths) == 1 and Path(paths[0]).is_dir():
        return labelled_directory(paths[0], ascii_only)
    if len(paths) == 2:
        features, captions = sorted(paths, key=lambda p: not p.endswith(".npy"))
        if features.endswith(".npy"):
            return features_and_captions(features, captions)
    raise ValueError(
        "--data takes a directory of <Label>.txt files, or FEATURES.npy and CAPTIONS.txt; "
        f"got {paths}"
    )
