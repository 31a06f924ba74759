"""Saving and loading weights without pickle: safetensors for arrays, JSON for the rest.

A model directory holds ``weights.safetensors`` and ``config.json`` (and whatever JSON the
model adds, e.g. vocabularies). Loading never executes code from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from rnnlab.io.atomic import atomic_path, atomic_write_text

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"


def save_arrays(
    path: str | Path, arrays: dict[str, np.ndarray], metadata: dict | None = None
) -> None:
    """Write ``{name: array}`` to a safetensors file atomically."""
    contiguous = {k: np.array(v, order="C", copy=None) for k, v in arrays.items()}  # keeps 0-d
    meta = {k: str(v) for k, v in (metadata or {}).items()}
    with atomic_path(path) as tmp:
        save_file(contiguous, str(tmp), metadata=meta or None)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        return load_file(str(path))
    except Exception as error:  # safetensors raises its own error types
        raise ValueError(f"{path}: not a valid safetensors file ({error})") from error


def save_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def load_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: line {error.lineno}: invalid JSON ({error.msg})") from error


def save_model_dir(
    directory: str | Path, state: dict[str, np.ndarray], config: dict, **extra_json: Any
) -> Path:
    """Write a model directory: weights, ``config.json`` and one JSON file per extra item."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_arrays(directory / WEIGHTS_FILE, state)
    save_json(directory / CONFIG_FILE, config)
    for name, obj in extra_json.items():
        save_json(directory / f"{name}.json", obj)
    return directory


def load_model_dir(directory: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory {directory} does not exist")
    return load_arrays(directory / WEIGHTS_FILE), load_json(directory / CONFIG_FILE)


def save_model(
    directory: str | Path,
    kind: str,
    state: dict[str, np.ndarray],
    config: dict,
    metadata: dict | None = None,
    **extra_json: Any,
) -> Path:
    """Write a model of ``kind``: weights, and ``config.json`` in the one layout every model
    uses, ``{"kind": kind, "config": {...}}`` (plus ``"metadata"`` when given), and one
    JSON file per extra item (vocabularies, label names)."""
    saved = {"kind": kind, "config": config}
    if metadata is not None:
        saved["metadata"] = metadata
    return save_model_dir(directory, state, saved, **extra_json)


# The layouts written before every model used {"kind", "config"}: kept readable so that
# models saved by earlier versions still load.
_LEGACY_FORMATS = {"rnnlab.seq2seq": "seq2seq"}  # {"format": ..., "model": {config}}


def _kind_config_metadata(saved: Any) -> tuple[str | None, dict, dict | None]:
    """(kind, config, metadata) of a ``config.json`` in the current or a legacy layout."""
    if not isinstance(saved, dict):
        return None, {}, None
    if "format" in saved and isinstance(saved.get("model"), dict):  # seq2seq, v0
        return _LEGACY_FORMATS.get(saved["format"]), saved["model"], None
    if isinstance(saved.get("model"), str) and "config" in saved:  # classifier, v0
        return saved["model"], saved["config"], saved.get("metadata")
    kind = saved.get("kind")
    if "config" in saved and isinstance(saved["config"], dict):
        return kind, saved["config"], saved.get("metadata")
    return kind, {k: v for k, v in saved.items() if k != "kind"}, None  # flat, v0


def load_model_of_kind(
    directory: str | Path, kind: str, description: str
) -> tuple[dict[str, np.ndarray], dict, dict | None]:
    """Load a model directory written by :func:`save_model` for ``kind`` (or by an earlier
    version's layout); return its weights, config and metadata (``None`` if it has none).
    A directory holding another kind of model is a ``ValueError`` that says so."""
    weights, saved = load_model_dir(directory)
    found, config, metadata = _kind_config_metadata(saved)
    if found != kind:
        holds = f"a {found!r} model" if found else "no rnnlab model"
        raise ValueError(f"{directory} holds {holds}, not a {description}")
    return weights, config, metadata
