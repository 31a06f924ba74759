"""open_model_dir refuses a broken folder with one line that names the file and the field:
where the model is, config.json's layout, kind and fields, the JSON files beside the
weights, and every tensor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.io import load_arrays, save_arrays
from rnnlab.models import KINDS, ConditionalGenerator, open_model_dir


def _saved(tmp_path: Path, name: str) -> Path:
    return KINDS[name].sample().save(tmp_path / name)


def _edit_json(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _edit_config(directory: Path, **fields) -> None:
    _edit_json(directory / "config.json",
               lambda saved: {**saved, "config": {**saved["config"], **fields}})


def _refused(directory: Path, error: type[Exception], match: str, **options) -> str:
    with pytest.raises(error, match=match) as caught:
        open_model_dir(directory, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------- where
def test_a_missing_path_or_a_folder_without_a_model(tmp_path):
    _refused(tmp_path / "nowhere", FileNotFoundError, "no rnnlab model at .*does not exist")
    (tmp_path / "empty").mkdir()
    _refused(tmp_path / "empty", FileNotFoundError,
             r"no rnnlab model in .*empty: no config.json there, nor in .*empty/model")


# ------------------------------------------------------------------------- config.json
def test_config_json_that_is_not_a_model_config(tmp_path):
    directory = _saved(tmp_path, "language_model")
    (directory / "config.json").write_text('{"kind": "language_model",\n "config": }')
    _refused(directory, ValueError, r"config.json: line 2: invalid JSON")
    (directory / "config.json").write_text("[1, 2]")
    _refused(directory, ValueError, r"config.json: not an rnnlab model config")


def test_unknown_and_unexpected_kinds(tmp_path):
    directory = _saved(tmp_path, "pos_tagger")
    _refused(directory, ValueError, r"holds a tagger \('pos_tagger'\), not a language model",
             kind="language_model")
    with pytest.raises(ValueError, match="not a conditional generator"):
        ConditionalGenerator.load(directory)
    _refused(directory, ValueError, "'banana' is not a model kind", kind="banana")
    _edit_json(directory / "config.json", lambda saved: {**saved, "kind": "spreadsheet"})
    _refused(directory, ValueError, r"config.json: kind 'spreadsheet' is not a model kind "
                                    r"this rnnlab knows \(known: .*pos_tagger")
    _edit_json(directory / "config.json", lambda saved: {k: v for k, v in saved.items()
                                                         if k != "kind"})
    _refused(directory, ValueError, "kind None is not a model kind")


def test_format_versions_from_the_future_or_malformed(tmp_path):
    directory = _saved(tmp_path, "seq2seq")
    _edit_json(directory / "config.json", lambda saved: {**saved, "format_version": 2})
    _refused(directory, ValueError, "format_version 2 is newer than this rnnlab reads "
                                    r"\(1\); upgrade rnnlab")
    for bad in ("1", 0, True):
        _edit_json(directory / "config.json", lambda saved, bad=bad: {**saved,
                                                                      "format_version": bad})
        _refused(directory, ValueError, "format_version must be a positive integer")
    _edit_json(directory / "config.json", lambda saved: {**saved, "format_version": 1,
                                                         "signature": "abc"})
    _refused(directory, ValueError, "config.json: unknown field 'signature'")


def test_config_and_metadata_must_be_objects(tmp_path):
    directory = _saved(tmp_path, "sentence_classifier")
    _edit_json(directory / "config.json", lambda saved: {**saved, "metadata": ["data"]})
    _refused(directory, ValueError, "config.json: 'metadata' must be a JSON object")
    _edit_json(directory / "config.json", lambda saved: {**saved, "metadata": {},
                                                         "config": [1]})
    _refused(directory, ValueError, "config.json: 'config' must be a JSON object")


@pytest.mark.parametrize(("name", "field", "value", "match"), [
    ("pos_tagger", "hidden", "128", "config field 'hidden' must be an integer, got '128'"),
    ("pos_tagger", "hidden", 3.0, "config field 'hidden' must be an integer, got 3.0"),
    ("pos_tagger", "crf", 1, "config field 'crf' must be true or false, got 1"),
    ("pos_tagger", "dropout", "0.3", "config field 'dropout' must be a number"),
    ("language_model", "cell", None, "config field 'cell' must be a string, got None"),
    ("conditional_generator", "labels", ["A", 2],
     "config field 'labels' must be a list of str or null"),
])
def test_config_fields_of_the_wrong_type(tmp_path, name, field, value, match):
    directory = _saved(tmp_path, name)
    _edit_config(directory, **{field: value})
    _refused(directory, ValueError, r"config.json: " + match.replace("(", r"\("))


def test_numbers_may_be_written_without_a_point(tmp_path):
    directory = _saved(tmp_path, "pos_tagger")
    _edit_config(directory, dropout=0)
    assert open_model_dir(directory).config.dropout == 0


def test_unknown_missing_and_invalid_config_fields(tmp_path):
    directory = _saved(tmp_path, "language_model")
    _edit_config(directory, attention_heads=4)
    _refused(directory, ValueError, "config.json: unknown config field 'attention_heads' for "
                                    r"a language model \(written by a newer rnnlab\?\)")
    _edit_json(directory / "config.json", lambda saved: {
        **saved, "config": {k: v for k, v in saved["config"].items()
                            if k not in ("vocab_size", "attention_heads")}})
    _refused(directory, ValueError, "config.json: config field 'vocab_size' is missing")
    _edit_config(directory, vocab_size=len(KINDS["language_model"].sample().vocab),
                 cell="transformer")
    _refused(directory, ValueError, "config.json: invalid language model config: cell must be")


# ------------------------------------------------------------------- the JSON files
def test_a_missing_json_file(tmp_path):
    directory = _saved(tmp_path, "pos_tagger")
    (directory / "chars.json").unlink()
    _refused(directory, FileNotFoundError, r"chars.json is missing \(a tagger needs it\)")


def test_vocabularies_need_their_special_entries(tmp_path):
    directory = _saved(tmp_path, "conditional_generator")
    _edit_json(directory / "vocab.json", lambda vocab: {**vocab, "bos": None})
    _refused(directory, ValueError, "vocab.json: the vocabulary has no 'bos' entry, which a "
                                    "conditional generator needs")
    directory = _saved(tmp_path, "pos_tagger")
    _edit_json(directory / "words.json", lambda vocab: {**vocab, "unk": None})
    _refused(directory, ValueError, "words.json: the vocabulary has no 'unk' entry")


def test_malformed_vocabularies_and_lists(tmp_path):
    directory = _saved(tmp_path, "sentence_classifier")
    _edit_json(directory / "vocab.json", lambda vocab: {**vocab, "tokens": "abc"})
    _refused(directory, ValueError, "vocab.json: vocabulary dict needs 'tokens'")
    (directory / "vocab.json").write_text("null")
    _refused(directory, ValueError, "vocab.json: expected a vocabulary")
    directory = _saved(tmp_path / "again", "sentence_classifier")
    (directory / "labels.json").write_text('{"neg": 0}')
    _refused(directory, ValueError, "labels.json: expected a list of strings")


def test_files_that_disagree_with_the_config(tmp_path):
    directory = _saved(tmp_path, "language_model")
    _edit_config(directory, vocab_size=99)
    _refused(directory, ValueError, r"language_model: vocab has \d+ tokens, config says 99")


# ----------------------------------------------------------------------- the weights
def _edit_weights(directory: Path, change) -> None:
    weights = load_arrays(directory / "weights.safetensors")
    change(weights)
    save_arrays(directory / "weights.safetensors", weights)


def test_tensors_missing_extra_or_misshapen(tmp_path):
    directory = _saved(tmp_path, "pos_tagger")
    _edit_weights(directory, lambda w: w.pop("upos_head.bias"))
    _refused(directory, ValueError, "weights.safetensors: no tensor 'upos_head.bias', which "
                                    "the config builds")
    directory = _saved(tmp_path / "b", "pos_tagger")
    _edit_weights(directory, lambda w: w.update(extra=np.zeros(2, np.float32)))
    _refused(directory, ValueError, "weights.safetensors: tensor 'extra' is not one the "
                                    "config builds")
    directory = _saved(tmp_path / "c", "pos_tagger")
    _edit_weights(directory, lambda w: w.update({"upos_head.bias": np.zeros(2, np.float32)}))
    _refused(directory, ValueError, r"tensor 'upos_head.bias' has shape \(2,\); the config "
                                    r"builds \(\d+,\)")


def test_tensors_must_be_finite_floating_point(tmp_path):
    directory = _saved(tmp_path, "seq2seq")
    _edit_weights(directory, lambda w: w.update(
        {"output.bias": w["output.bias"].astype(np.int32)}))
    _refused(directory, ValueError, "tensor 'output.bias' is int32; weights must be floating "
                                    "point")
    directory = _saved(tmp_path / "b", "seq2seq")
    _edit_weights(directory, lambda w: w["output.bias"].__setitem__(0, np.nan))
    _refused(directory, ValueError, "tensor 'output.bias' holds NaN or infinite values")


def test_missing_or_corrupt_weights_file(tmp_path):
    directory = _saved(tmp_path, "language_model")
    (directory / "weights.safetensors").write_bytes(b"not safetensors")
    _refused(directory, ValueError, "weights.safetensors: not a valid safetensors file")
    (directory / "weights.safetensors").unlink()
    _refused(directory, FileNotFoundError, "no weights file")


def test_the_command_line_prints_the_one_line(tmp_path, capsys):
    directory = _saved(tmp_path, "pos_tagger")
    _edit_config(directory, hidden="big")
    assert main(["export", str(directory), "--out", str(tmp_path / "t.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "config field 'hidden' must be an integer" in err
