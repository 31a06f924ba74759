"""Saving and loading weights without pickle: safetensors for arrays, JSON for the rest.

A model directory holds ``weights.safetensors`` and ``config.json`` (and whatever JSON the
model adds, e.g. vocabularies); the folders of rnnlab's models, their layout and checks are
:mod:`rnnlab.models.folder`. Loading never executes code from the file.
"""

from __future__ import annotations

import json
import os
import re
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
        try:
            save_file(contiguous, str(tmp), metadata=meta or None)
        except OSError:
            raise
        except Exception as error:  # safetensors reports a failed write as its own error
            found = re.search(r"os error (\d+)", str(error))
            if found is None:
                raise
            code = int(found.group(1))
            raise OSError(code, os.strerror(code), str(path)) from error


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
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: invalid UTF-8 at byte {error.start} ({error.reason})") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply to read") from None


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
