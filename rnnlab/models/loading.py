"""Load any saved rnnlab model by what its ``config.json`` says it is."""

from __future__ import annotations

from pathlib import Path

from rnnlab.io.serialization import CONFIG_FILE, load_json
from rnnlab.models import classifier, conditional_generator, language_model, seq2seq, tagger

_LOADERS = {
    tagger.MODEL_KIND: tagger.Tagger.load,
    classifier.MODEL_KIND: classifier.SentenceClassifier.load,
    language_model.KIND: language_model.LanguageModel.load,
    conditional_generator.KIND: conditional_generator.ConditionalGenerator.load,
    seq2seq.KIND: seq2seq.Seq2Seq.load,
}


def load_model(directory: str | Path):
    """The tagger, classifier, language model, conditional generator or seq2seq model saved
    in ``directory`` — or in ``directory/model``, where training puts the best one.

    Raises:
        FileNotFoundError: no model directory there.
        ValueError: the directory holds no rnnlab model.
    """
    directory = Path(directory)
    if not (directory / CONFIG_FILE).is_file() and (directory / "model" / CONFIG_FILE).is_file():
        directory = directory / "model"
    if not (directory / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"no rnnlab model in {directory} (no {CONFIG_FILE})")
    saved = load_json(directory / CONFIG_FILE)
    kind = saved.get("kind") if isinstance(saved, dict) else None
    if kind is None and isinstance(saved, dict):  # layouts of earlier versions
        kind = saved.get("model") if isinstance(saved.get("model"), str) else (
            seq2seq.KIND if saved.get("format") == "rnnlab.seq2seq" else None)
    if kind not in _LOADERS:
        raise ValueError(f"{directory} holds no rnnlab model this version can load "
                         f"(kind {kind!r}; known: {', '.join(sorted(_LOADERS))})")
    return _LOADERS[kind](directory)
