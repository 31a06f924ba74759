"""A model folder on disk, written once for every kind of model and read back checked.

A model folder holds ``weights.safetensors`` (the parameters, by their PyTorch-style
names), ``config.json`` and one JSON file per vocabulary or list the kind needs (declared
in :mod:`rnnlab.models.registry`). ``config.json``, format version 1::

    {"format_version": 1, "kind": "pos_tagger", "config": {...}, "metadata": {...}}

with ``"metadata"`` only for a kind that keeps it (the classifier: how its data were read).
Folders without ``"format_version"`` are version 0, what rnnlab 0.1.0 wrote —
``{"kind", "config"[, "metadata"]}`` — or one of three layouts before it: a flat
``{"kind", <config fields>}``, the classifier's ``{"model": kind, "config", "metadata"}``
and the translator's ``{"format": "rnnlab.seq2seq", "model": {config}}``. All of them load.

Reading checks everything a user's folder can get wrong and names the file and field in a
one-line error: the format version, the config's fields (each of the type its dataclass
declares and in range — :func:`build_config`; none unknown: those come from a newer
rnnlab), each JSON file (present, of the right shape, vocabularies with the special
entries the model needs, distinct, and output vocabularies whose entries the output
format can carry — :mod:`rnnlab.data.fields`), and the weights
(:mod:`rnnlab.models.weights_file`). Nothing in a folder is executed: no pickle.

The registry's model classes inherit ``save()`` and ``load()`` from :class:`FolderIO`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from rnnlab.data.fields import field_problem, first_unfit
from rnnlab.data.vocab import Vocab
from rnnlab.io.folder_swap import PREVIOUS_SUFFIX
from rnnlab.io.serialization import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    load_json,
    save_arrays,
    save_json,
    write_model_folder,
)
from rnnlab.recurrent.arguments import MAX_SIZE

FORMAT_VERSION = 1
RUN_MODEL_DIR = "model"  # where a training run (rnnlab.training.Trainer) keeps its best model
_HEADER_KEYS = {"format_version", "kind", "config", "metadata"}


@dataclass(frozen=True)
class JsonFile:
    """One JSON file beside the weights, ``<name>.json``.

    ``specials``: for a vocabulary (:meth:`Vocab.to_dict`), the special entries the model
    needs ("pad", "unk", "bos", "eos"); ``vocabulary=False`` for a list of strings instead.
    ``nullable``: the file may hold ``null`` (a tagger without an XPOS head). ``only_if``:
    the name of a config field; the file exists only when that field is non-zero.
    ``field``: what every entry is written as in the model's output, ``"word"`` or
    ``"line"`` (:mod:`rnnlab.data.fields`); None for an input-side file.
    ``entries``: what the readers cut the model's input into, so what every entry of a
    vocabulary other than its specials must be to be ever looked up (an entry that cannot
    is a damaged file) — ``"token"``: a whitespace-separated token (not empty, no
    whitespace); ``"form"``: a CoNLL-U word form (not empty, no tab, line break or other
    control character; spaces occur in some treebanks); ``"char"``: one character;
    ``"level"``: ``"token"`` or ``"char"`` as the config's ``level`` field says.
    """

    name: str
    specials: tuple[str, ...] = ()
    vocabulary: bool = True
    nullable: bool = False
    only_if: str | None = None
    field: str | None = None
    entries: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.json"


def strings(name: str, field: str | None = None) -> JsonFile:
    """A file holding a list of strings (label names, training word forms)."""
    return JsonFile(name, vocabulary=False, field=field)


@dataclass(frozen=True)
class Header:
    """What ``config.json`` says: format version, kind, config fields, metadata."""

    version: int
    kind: Any
    config: dict[str, Any]
    metadata: dict[str, Any] | None


class FolderIO:
    """``save()`` and ``load()`` for a model class of the registry (its base beside
    :class:`~rnnlab.nn.module.Module`): :func:`rnnlab.models.registry.save_model_dir` and
    :func:`rnnlab.models.registry.open_model_dir` with the class's kind."""

    def save(self, directory: str | Path, weight_dtype: Any = None) -> Path:
        """Write the model folder; ``weight_dtype=np.float16`` halves the weights file."""
        from rnnlab.models.registry import save_model_dir  # the registry imports the models

        return save_model_dir(self, directory, weight_dtype)

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        """The model saved in ``directory`` (or in a training run's ``directory/model``),
        which must be of this class's kind.

        Raises:
            FileNotFoundError: no model there, or a file it needs missing.
            ValueError: another kind of model, or a broken file (the message names it).
        """
        from rnnlab.models.registry import kind_of, open_model_dir

        return open_model_dir(directory, kind=kind_of(cls).name)


# ----------------------------------------------------------------------------- where
def resolve_model_dir(path: str | Path) -> Path:
    """The model folder at ``path``: ``path`` itself when it holds ``config.json``, else a
    training run's ``path/model``. A folder a save left missing (stopped between the two
    renames that switch a new model folder in, :mod:`rnnlab.io.folder_swap`) is found as
    the complete ``NAME.previous`` beside it.

    Raises:
        FileNotFoundError: ``path`` does not exist, or holds no model either way.
    """
    path = Path(path)
    if not path.exists():
        path = _switched_out(path)
        if not path.exists():
            raise FileNotFoundError(f"no rnnlab model at {path}: it does not exist")
    if (path / CONFIG_FILE).is_file():
        return path
    run_model = _switched_out(path / RUN_MODEL_DIR)
    if (run_model / CONFIG_FILE).is_file():
        return run_model
    raise FileNotFoundError(f"no rnnlab model in {path}: no {CONFIG_FILE} there, nor in "
                            f"{path / RUN_MODEL_DIR}")


def _switched_out(folder: Path) -> Path:
    """``folder``, or its ``NAME.previous`` when ``folder`` is missing and that holds a
    model."""
    previous = folder.with_name(folder.name + PREVIOUS_SUFFIX)
    if not folder.exists() and (previous / CONFIG_FILE).is_file():
        return previous
    return folder


# ---------------------------------------------------------------------------- writing
def write_model_dir(
    directory: str | Path,
    kind: str,
    state: Mapping[str, np.ndarray],
    config: Any,
    files: Mapping[str, Vocab | list[str] | None],
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write weights, ``config.json`` (format version 1) for ``config`` (a dataclass) and
    one JSON file per entry of ``files`` (a :class:`Vocab` as its :meth:`~Vocab.to_dict`),
    the folder as one unit (:func:`~rnnlab.io.serialization.write_model_folder`)."""
    header = {"format_version": FORMAT_VERSION, "kind": kind,
              "config": dataclasses.asdict(config)}
    if metadata is not None:
        header["metadata"] = metadata

    def write(folder: Path) -> None:
        save_arrays(folder / WEIGHTS_FILE, dict(state))
        save_json(folder / CONFIG_FILE, header)
        for name, value in files.items():
            save_json(folder / f"{name}.json", value.to_dict() if isinstance(value, Vocab)
                      else value)

    return write_model_folder(directory, write)


# ---------------------------------------------------------------------------- reading
def read_header(directory: Path) -> Header:
    """The version, kind, config fields and metadata of ``directory/config.json``, in any
    layout this version reads (module docstring)."""
    path = directory / CONFIG_FILE
    saved = load_json(path)
    if not isinstance(saved, dict):
        raise ValueError(f"{path}: not an rnnlab model config (expected a JSON object)")
    if "format_version" not in saved:
        return _checked_metadata(_version_0(saved), path)
    version = saved["format_version"]
    if type(version) is not int or version < 1:
        raise ValueError(f"{path}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {version} is newer than this rnnlab reads "
                         f"({FORMAT_VERSION}); upgrade rnnlab")
    unknown = sorted(set(saved) - _HEADER_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown field {unknown[0]!r} (written by a newer rnnlab?)")
    header = Header(version, saved.get("kind"), saved.get("config"), saved.get("metadata"))
    if not isinstance(header.config, dict):
        raise ValueError(f"{path}: 'config' must be a JSON object")
    return _checked_metadata(header, path)


def _checked_metadata(header: Header, path: Path) -> Header:
    if header.metadata is not None and not isinstance(header.metadata, dict):
        raise ValueError(f"{path}: 'metadata' must be a JSON object")
    return header


def _version_0(saved: dict[str, Any]) -> Header:
    """The layouts written before config.json carried a format version."""
    if "format" in saved and isinstance(saved.get("model"), dict):  # the translator's
        kind = "seq2seq" if saved["format"] == "rnnlab.seq2seq" else saved["format"]
        return Header(0, kind, saved["model"], None)
    if isinstance(saved.get("model"), str) and isinstance(saved.get("config"), dict):
        return Header(0, saved["model"], saved["config"], saved.get("metadata"))  # classifier
    if isinstance(saved.get("config"), dict):
        return Header(0, saved.get("kind"), saved["config"], saved.get("metadata"))
    return Header(0, saved.get("kind"), {k: v for k, v in saved.items() if k != "kind"}, None)


def build_config(config_class: type, fields: dict[str, Any], path: Path,
                 description: str) -> Any:
    """``config_class(**fields)`` once every field is known, of its declared type and in
    range; the dataclass's own checks (``__post_init__``) give the remaining errors.

    The ranges hold for every kind's config: an integer is a size or a count, from 1 to
    :data:`~rnnlab.recurrent.arguments.MAX_SIZE` (from 0 where the field's default is 0,
    "none": ``char_dim``, ``decoder_hidden_size``); a number is finite, and a dropout rate
    (a field whose name ends in ``dropout``) lies in [0, 1).
    """
    declared = {f.name: f for f in dataclasses.fields(config_class)}
    hints = typing.get_type_hints(config_class)
    for name, value in fields.items():
        if name not in declared:
            raise ValueError(f"{path}: unknown config field {name!r} for a {description} "
                             "(written by a newer rnnlab?)")
        if not _matches(value, hints[name]):
            raise ValueError(f"{path}: config field {name!r} must be {_describe(hints[name])}, "
                             f"got {value!r}")
        problem = _out_of_range(name, value, hints[name], declared[name].default)
        if problem:
            raise ValueError(f"{path}: config field {name!r} must be {problem}, got {value!r}")
    for name, field in declared.items():
        required = (field.default is dataclasses.MISSING
                    and field.default_factory is dataclasses.MISSING)
        if required and name not in fields:
            raise ValueError(f"{path}: config field {name!r} is missing")
    try:
        return config_class(**fields)
    except ValueError as error:
        raise ValueError(f"{path}: invalid {description} config: {error}") from None


def _out_of_range(name: str, value: Any, hint: Any, default: Any) -> str | None:
    """What a config value of type ``hint`` must be when it is out of range
    (:func:`build_config`)."""
    if hint is int:
        low = 0 if default == 0 else 1
        return None if low <= value <= MAX_SIZE else f"from {low} to {MAX_SIZE:,}"
    if hint is float:
        if not math.isfinite(value):
            return "a finite number"
        if name.endswith("dropout") and not 0.0 <= value < 1.0:
            return "in [0, 1)"
    return None


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a config field's type (int, float, bool, str, list[...],
    unions with None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is float:
        return type(value) in (int, float)
    if hint in (int, bool, str):
        return type(value) is hint
    raise TypeError(f"config fields of type {hint} are not supported in model folders")


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(option) for option in typing.get_args(hint))
    if origin is list:
        return f"a list of {typing.get_args(hint)[0].__name__}"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string",
            type(None): "null"}[hint]


def read_json_files(
    directory: Path, specs: tuple[JsonFile, ...], config: Any, description: str
) -> dict[str, Vocab | list[str] | None]:
    """The files ``specs`` declare, checked and converted (vocabularies to :class:`Vocab`);
    a file whose ``only_if`` field is zero in ``config`` is not read and is None."""
    files: dict[str, Vocab | list[str] | None] = {}
    for spec in specs:
        if spec.only_if is not None and not getattr(config, spec.only_if):
            files[spec.name] = None
            continue
        path = directory / spec.filename
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (a {description} needs it)")
        value = load_json(path)
        if value is None and spec.nullable:
            files[spec.name] = None
        elif spec.vocabulary:
            files[spec.name] = _vocabulary(value, spec, path, description)
            _check_entries(files[spec.name], spec, path, config)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            files[spec.name] = _fit_for_output(value, spec, path)
        else:
            raise ValueError(f"{path}: expected a list of strings")
    return files


def _fit_for_output(entries: list[str], spec: JsonFile, path: Path) -> list[str]:
    """``entries`` when the output can carry each one (``spec.field``), else the error."""
    unfit = None if spec.field is None else first_unfit(entries, spec.field)
    if unfit is not None:
        index, entry, problem = unfit
        raise ValueError(f"{path}: entry {index} ({entry!r}) {problem}, which the model's "
                         "output cannot carry")
    return entries


def _entry_problem(entry: str, kind: str) -> str | None:
    """Why ``entry`` can never be one unit of input of ``kind`` (:class:`JsonFile`)."""
    if kind == "char":
        return None if len(entry) == 1 else f"is {len(entry)} characters, not one"
    if kind == "token":
        return field_problem(entry, "line") or (
            "holds whitespace" if len(entry.split()) != 1 or entry != entry.strip() else None)
    return field_problem(entry, "line")  # "form"


def _check_entries(vocab: Vocab, spec: JsonFile, path: Path, config: Any) -> None:
    """Refuse a vocabulary entry the model's input can never hold (``spec.entries``)."""
    kind = spec.entries
    if kind == "level":
        kind = "char" if getattr(config, "level", "word") == "char" else "token"
    if kind is None:
        return
    specials = set(vocab.specials)
    for index, entry in enumerate(vocab.tokens):
        problem = None if entry in specials else _entry_problem(entry, kind)
        if problem is not None:
            raise ValueError(f"{path}: entry {index} ({entry!r}) {problem}, so no input can "
                             "ever match it (a damaged vocabulary)")


def _vocabulary(value: Any, spec: JsonFile, path: Path, description: str) -> Vocab:
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a vocabulary (a JSON object with 'tokens')")
    try:
        vocab = Vocab.from_dict(value)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    for special in spec.specials:
        if value.get(special) is None:
            raise ValueError(f"{path}: the vocabulary has no {special!r} entry, which a "
                             f"{description} needs")
    specials = vocab.specials
    if len(set(specials)) != len(specials):
        raise ValueError(f"{path}: two special entries are the same token: {specials}")
    _fit_for_output(vocab.tokens, spec, path)
    return vocab
