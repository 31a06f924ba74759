"""Where the shared datasets live, and the file names of their splits."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RNNLAB_DATA"

# Datasets without splits: dataset -> path relative to the data folder.
_SINGLE = {"tinyshakespeare": "tinyshakespeare/input.txt", "names": "names"}
# Datasets with splits: dataset -> {split: relative path}; "{lang}" is filled in for
# parallel data.
_SPLITS: dict[str, dict[str, str]] = {
    "ud-english-ewt": {
        split: f"ud-english-ewt/en_ewt-ud-{split}.conllu" for split in ("train", "dev", "test")
    },
    "ptb": {split: f"ptb/ptb.{split}.txt" for split in ("train", "valid", "test")},
    "sst": {split: f"sst/{split}.txt" for split in ("train", "dev", "test")},
    "multi30k": {
        split: f"multi30k/{split}.{{lang}}" for split in ("train", "val", "test_2016_flickr")
    },
}
# Other names accepted for a split; the first one the dataset has is used.
_SPLIT_ALIASES = {
    "dev": ("dev", "valid", "val"),
    "valid": ("valid", "dev", "val"),
    "val": ("val", "dev", "valid"),
    "validation": ("dev", "valid", "val"),
    "test": ("test", "test_2016_flickr"),
}
_LANGS = ("de", "en")


def shared_data_dir() -> Path:
    """The folder holding the datasets.

    ``$RNNLAB_DATA`` when set; otherwise the first existing of ``../shared/data`` relative
    to the current directory and ``shared/data`` next to the repository that contains this
    package.

    Raises:
        FileNotFoundError: ``$RNNLAB_DATA`` is unset and neither default folder exists.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    candidates = [
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"no data folder found (tried {tried}); set {ENV_VAR}")


def default_path(dataset: str, split: str | None = None, lang: str | None = None) -> Path:
    """Path of a known dataset's split under :func:`shared_data_dir`.

    Datasets and splits: ``ud-english-ewt`` (train/dev/test), ``ptb`` (train/valid/test),
    ``tinyshakespeare`` (no split: the single ``input.txt``), ``sst`` (train/dev/test),
    ``multi30k`` (train/val/test, with ``lang`` ``"de"`` or ``"en"``; test is
    ``test_2016_flickr``) and ``names`` (no split: the folder of ``<Language>.txt`` files).
    ``dev``, ``valid``, ``val`` and ``validation`` are interchangeable. The path is not
    checked for existence.
    """
    if dataset in _SINGLE:
        if split is not None or lang is not None:
            raise ValueError(f"dataset {dataset!r} has no splits or languages; leave them out")
        return shared_data_dir() / _SINGLE[dataset]
    if dataset not in _SPLITS:
        known = ", ".join([*_SPLITS, *_SINGLE])
        raise ValueError(f"unknown dataset {dataset!r}; known: {known}")
    files = _SPLITS[dataset]
    if split is None:
        raise ValueError(f"dataset {dataset!r} needs a split: {', '.join(files)}")
    name = next((files[s] for s in _SPLIT_ALIASES.get(split, (split,)) if s in files), None)
    if name is None:
        raise ValueError(f"dataset {dataset!r} has no split {split!r}; known: {', '.join(files)}")
    if "{lang}" in name:
        if lang not in _LANGS:
            raise ValueError(f"dataset {dataset!r} needs lang, one of {', '.join(_LANGS)}")
        name = name.format(lang=lang)
    elif lang is not None:
        raise ValueError(f"dataset {dataset!r} has no languages; leave lang out")
    return shared_data_dir() / name
