"""Saving and loading weights without pickle: safetensors for arrays, JSON for the rest.

A model directory holds ``weights.safetensors`` and ``config.json`` (and whatever JSON the
model adds, e.g. vocabularies); the folders of rnnlab's models, their layout and checks are
:mod:`rnnlab.models.folder`. Loading never executes code from the file.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from rnnlab.io.atomic import atomic_path, atomic_write_text
from rnnlab.io.folder_swap import replace_folder

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
MODEL_FILE_SUFFIXES = (".json", ".safetensors")  # what a model folder holds, and only that


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


def write_model_folder(directory: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(folder)`` on a fresh folder and make it ``directory`` as one unit
    (:func:`~rnnlab.io.folder_swap.replace_folder`): an interrupted save leaves the old
    model folder or the new one, never a mix of their files. An existing empty folder (such
    as the temporary folder a training run's own switch gives) holds no model to keep and
    is written into directly; an interrupted write leaves it incomplete, which loading
    refuses naming the missing file.

    Raises:
        NotADirectoryError: ``directory`` is a file.
        FileExistsError: ``directory`` holds something a model folder does not (a subfolder,
            a file other than ``*.json`` / ``*.safetensors``), which replacing the folder
            would delete.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(directory))
    entries = sorted(directory.iterdir()) if directory.is_dir() else None
    if entries == []:
        write(directory)
        return directory
    foreign = [entry.name for entry in entries or ()
               if entry.is_dir() or entry.suffix not in MODEL_FILE_SUFFIXES]
    if foreign:
        raise FileExistsError(
            errno.EEXIST, f"holds {foreign[0]!r}, which is not part of a model folder "
            "(saving replaces the whole folder): save into a new or empty folder",
            str(directory))
    replace_folder(directory, write, manifest=False)
    return directory


def save_model_dir(
    directory: str | Path, state: dict[str, np.ndarray], config: dict, **extra_json: Any
) -> Path:
    """Write a model directory as one unit (:func:`write_model_folder`): weights,
    ``config.json`` and one JSON file per extra item."""

    def write(folder: Path) -> None:
        save_arrays(folder / WEIGHTS_FILE, state)
        save_json(folder / CONFIG_FILE, config)
        for name, obj in extra_json.items():
            save_json(folder / f"{name}.json", obj)

    return write_model_folder(directory, write)


def load_model_dir(directory: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory {directory} does not exist")
    return load_arrays(directory / WEIGHTS_FILE), load_json(directory / CONFIG_FILE)
