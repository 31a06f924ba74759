"""Open the model a command is given: a model folder or a training run's folder."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from rnnlab.models import load_model

M = TypeVar("M")


def open_model(path: str | Path, cls: type[M] | tuple[type, ...]) -> M:
    """The model of type ``cls`` (or of one of a tuple of types) saved in ``path`` (a model
    folder, or a run folder holding one in ``model/``).

    Raises:
        FileNotFoundError: no model there.
        ValueError: the folder holds another kind of model.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"model folder {path} does not exist")
    model = load_model(path)
    if not isinstance(model, cls):
        wanted = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise ValueError(f"{path} holds a {type(model).__name__}, not a {wanted}")
    return model
