"""The registry of model kinds: what rnnlab knows about each kind of model, in one place.

A kind is what a model folder's ``config.json`` names (``"pos_tagger"``, …). Its entry
says which class and config dataclass it is, which JSON files sit beside the weights (and
what each must hold), whether ``config.json`` carries free-form metadata, and how to
build a tiny model of it and what that model computes (:mod:`rnnlab.models.samples`), for
tests and export checks. Saving and opening a folder is written once, here and in
:mod:`rnnlab.models.folder`; each model class adds only what is its own:

* ``model.to_files()`` — ``{file name: Vocab | list[str] | None}``, the files of its entry;
* ``cls.from_files(config, files)`` — a model with fresh weights around those files;
  :func:`open_model_dir` then checks and loads the weights;

and inherits ``save()``/``load()`` from :class:`~rnnlab.models.folder.FolderIO`.

The command line, ``rnnlab.models.load_model`` and the ONNX exporters
(:mod:`rnnlab.export.onnx`, keyed by these names) all go through this table; adding a
kind is one entry here, a class with ``to_files``/``from_files``, and an exporter (or a
stated refusal) there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.io.serialization import CONFIG_FILE, WEIGHTS_FILE, load_arrays
from rnnlab.models import samples
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier
from rnnlab.models.conditional_generator import ConditionalGenerator, ConditionalGeneratorConfig
from rnnlab.models.folder import (
    JsonFile,
    build_config,
    read_header,
    read_json_files,
    resolve_model_dir,
    strings,
    write_model_dir,
)
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig
from rnnlab.models.lemmatizer import Lemmatizer, LemmatizerConfig
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig
from rnnlab.models.tagger import Tagger, TaggerConfig
from rnnlab.models.tokenizer import Tokenizer, TokenizerConfig
from rnnlab.models.weights_file import build_within, check_index, check_weights, read_index


@dataclass(frozen=True)
class ModelKind:
    """One kind of model (module docstring).

    ``description`` names it in messages ("not a tagger"); ``files`` are the JSON files
    beside the weights, in the order ``from_files`` receives them; ``metadata``: whether
    ``config.json`` carries the model's ``metadata`` dict; ``sample`` builds a tiny model of
    this kind and ``sample_output`` is what such a model computes on a small fixed input.
    """

    name: str
    description: str
    model_class: type
    config_class: type
    files: tuple[JsonFile, ...]
    sample: Callable[[], Any]
    sample_output: Callable[[Any], np.ndarray]
    metadata: bool = False


KINDS: dict[str, ModelKind] = {kind.name: kind for kind in (
    ModelKind(
        "pos_tagger", "tagger", Tagger, TaggerConfig,
        files=(JsonFile("words", ("pad", "unk"), entries="form"),
               JsonFile("chars", ("pad", "unk"), entries="char"),
               JsonFile("upos", field="word"), JsonFile("xpos", nullable=True, field="word"),
               JsonFile("feats", only_if="feats", field="word"),
               strings("train_forms")),
        sample=samples.tagger, sample_output=samples.tagger_output),
    ModelKind(
        "sentence_classifier", "sentence classifier", SentenceClassifier, ClassifierConfig,
        files=(JsonFile("vocab", ("pad", "unk"), entries="token"), strings("labels", field="line"),
               JsonFile("chars", ("pad", "unk"), only_if="char_dim", entries="char")),
        sample=samples.classifier, sample_output=samples.classifier_output, metadata=True),
    ModelKind(
        "language_model", "language model", LanguageModel, LanguageModelConfig,
        files=(JsonFile("vocab", ("unk",), entries="level"),),
        sample=samples.language_model, sample_output=samples.language_model_output),
    ModelKind(
        "conditional_generator", "conditional generator", ConditionalGenerator,
        ConditionalGeneratorConfig,
        files=(JsonFile("vocab", ("pad", "unk", "bos", "eos"), entries="level"),),
        sample=samples.conditional_generator,
        sample_output=samples.conditional_generator_output),
    ModelKind(
        "seq2seq", "seq2seq model", Seq2Seq, Seq2SeqConfig,
        files=(JsonFile("source_vocab", ("pad", "unk"), entries="token"),
               JsonFile("target_vocab", ("pad", "unk", "bos", "eos"), field="word")),
        sample=samples.seq2seq, sample_output=samples.seq2seq_output),
    ModelKind(
        "tokenizer", "tokenizer", Tokenizer, TokenizerConfig,
        files=(JsonFile("chars", ("pad", "unk"), entries="char"), strings("multiword"),
               strings("usual_multiword"),
               JsonFile("lexicon", vocabulary=False, only_if="lexicon")),
        sample=samples.tokenizer, sample_output=samples.tokenizer_output),
    ModelKind(
        "lemmatizer", "lemmatizer", Lemmatizer, LemmatizerConfig,
        files=(JsonFile("source", ("pad", "unk")),
               JsonFile("target", ("pad", "unk", "bos", "eos"), field="line"),
               strings("dictionary")),
        sample=samples.lemmatizer, sample_output=samples.lemmatizer_output),
)}


def model_kind(name: str) -> ModelKind:
    """The entry of the kind called ``name``.

    Raises:
        ValueError: no such kind (the message lists the known ones).
    """
    if name not in KINDS:
        raise ValueError(f"{name!r} is not a model kind (known: {', '.join(sorted(KINDS))})")
    return KINDS[name]


def kind_of(model: Any) -> ModelKind:
    """The entry of ``model`` — a model or a model class — by its class (or the nearest
    registered class it derives from).

    Raises:
        ValueError: not a registered kind of model.
    """
    model_class = model if isinstance(model, type) else type(model)
    by_class = {kind.model_class: kind for kind in KINDS.values()}
    for cls in model_class.__mro__:
        if cls in by_class:
            return by_class[cls]
    raise ValueError(f"a {model_class.__name__} is not a registered kind of model "
                     f"(known: {', '.join(sorted(KINDS))})")


def save_model_dir(model: Any, directory: str | Path, weight_dtype: Any = None) -> Path:
    """Write ``model`` as a model folder (:mod:`rnnlab.models.folder`); ``weight_dtype``
    (e.g. ``np.float16``, which halves the file) stores the weights in another float type."""
    kind = kind_of(model)
    state = model.state_dict()
    if weight_dtype is not None:
        state = {name: value.astype(weight_dtype) for name, value in state.items()}
    nullable = {spec.name for spec in kind.files if spec.nullable}
    files = {name: value for name, value in model.to_files().items()
             if value is not None or name in nullable}  # a file only_if another field
    return write_model_dir(directory, kind.name, state, model.config, files,
                           model.metadata if kind.metadata else None)


def open_model_dir(path: str | Path, kind: str | tuple[str, ...] | None = None) -> Any:
    """The model saved at ``path`` — a model folder, or a training run's folder holding one
    in ``model/`` — checked throughout and in evaluation mode.

    ``kind`` (a registry name, e.g. ``"pos_tagger"``, or a tuple of names) insists on that
    kind of model (or one of those kinds).

    Raises:
        FileNotFoundError: no such folder, no model in it, or a file the kind needs missing.
        ValueError: anything else wrong with the folder, in one line naming the file and
            field: an unknown or unexpected kind, a newer format version, a config field
            unknown, of the wrong type or out of range, sizes that build more parameters
            than the weights file holds or than memory takes, a vocabulary without a
            special entry the model needs or with an entry its output cannot carry, a
            tensor missing, extra, misshapen, not floating point or not finite. The weights
            file's header is checked before the model is built, and the model before the
            values are read (:mod:`rnnlab.models.weights_file`).
    """
    directory = resolve_model_dir(path)
    header = read_header(directory)
    if not isinstance(header.kind, str) or header.kind not in KINDS:
        raise ValueError(f"{directory / CONFIG_FILE}: kind {header.kind!r} is not a model kind "
                         f"this rnnlab knows (known: {', '.join(sorted(KINDS))})")
    found = KINDS[header.kind]
    wanted = (kind,) if isinstance(kind, str) else kind
    if wanted is not None and found not in [model_kind(name) for name in wanted]:
        names = " or ".join(KINDS[name].description for name in wanted)
        raise ValueError(f"{directory} holds a {found.description} ({found.name!r}), not a "
                         f"{names}")
    config = build_config(found.config_class, header.config, directory / CONFIG_FILE,
                          found.description)
    files = read_json_files(directory, found.files, config, found.description)
    weights_path = directory / WEIGHTS_FILE
    index = read_index(weights_path)
    model = build_within(directory, index, config,
                         lambda: found.model_class.from_files(config, files))
    if found.metadata:
        model.metadata = dict(header.metadata or {})
    check_index(weights_path, {name: entry.shape for name, entry in index.items()}, model)
    weights = load_arrays(weights_path)
    check_weights(weights_path, weights, model)
    model.load_state_dict(weights)
    model.eval()
    return model
