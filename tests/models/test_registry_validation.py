"""open_model_dir's checks beyond the layout (test_registry_errors.py): config values in
range, sizes that would need more memory than the weights file (or the machine) holds,
output vocabularies that would break the output lines, the weights file's header read
before anything is built, and JSON that is not UTF-8 or nested without end. Each is one
line naming the file and the field or tensor (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnlab.io import load_arrays, save_arrays
from rnnlab.models import KINDS, open_model_dir, weights_file


def _saved(tmp_path: Path, name: str) -> Path:
    return KINDS[name].sample().save(tmp_path / name)


def _edit_json(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _edit_config(directory: Path, **fields) -> None:
    _edit_json(directory / "config.json",
               lambda saved: {**saved, "config": {**saved["config"], **fields}})


def _refused(directory: Path, match: str, error: type[Exception] = ValueError) -> str:
    with pytest.raises(error, match=match) as caught:
        open_model_dir(directory)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------ config.json
@pytest.mark.parametrize("text", ["[]", "null", '"a string"', "3"])
def test_config_json_that_is_not_an_object(tmp_path, text):
    directory = _saved(tmp_path, "pos_tagger")
    (directory / "config.json").write_text(text)
    _refused(directory, r"config.json: not an rnnlab model config \(expected a JSON object\)")


def test_json_that_is_not_utf8_or_nested_without_end(tmp_path):
    directory = _saved(tmp_path, "language_model")
    (directory / "config.json").write_bytes(b'{"kind": "\xff"}')
    _refused(directory, r"config.json: invalid UTF-8 at byte 10 \(invalid start byte\)")
    directory = _saved(tmp_path / "b", "language_model")
    (directory / "vocab.json").write_text("[" * 100_000)
    _refused(directory, "vocab.json: JSON nested too deeply to read")


@pytest.mark.parametrize(("name", "field", "value", "match"), [
    ("pos_tagger", "hidden", 0, "'hidden' must be from 1 to 16,777,216, got 0"),
    ("pos_tagger", "layers", -2, "'layers' must be from 1 to 16,777,216, got -2"),
    ("pos_tagger", "hidden", 2**40, "'hidden' must be from 1 to 16,777,216"),
    ("language_model", "embedding_dim", 0, "'embedding_dim' must be from 1 to"),
    ("sentence_classifier", "char_dim", -1, "'char_dim' must be from 0 to"),
    ("seq2seq", "decoder_hidden_size", -1, "'decoder_hidden_size' must be from 0 to"),
    ("conditional_generator", "condition_dim", 0, "'condition_dim' must be from 1 to"),
    ("pos_tagger", "dropout", float("nan"), "'dropout' must be a finite number, got nan"),
    ("language_model", "init_scale", float("inf"), "'init_scale' must be a finite number"),
    ("language_model", "dropout", 1.5, r"'dropout' must be in \[0, 1\), got 1.5"),
    ("seq2seq", "dropout", -0.1, r"'dropout' must be in \[0, 1\)"),
    ("sentence_classifier", "word_dropout", 1, r"'word_dropout' must be in \[0, 1\), got 1"),
])
def test_config_values_out_of_range(tmp_path, name, field, value, match):
    directory = _saved(tmp_path, name)
    _edit_config(directory, **{field: value})
    _refused(directory, r"config.json: config field " + match)


@pytest.mark.parametrize(("name", "field"), [
    ("pos_tagger", "hidden"), ("pos_tagger", "word_dim"), ("language_model", "hidden_size"),
    ("seq2seq", "embedding_size"), ("conditional_generator", "hidden_size"),
    ("sentence_classifier", "attention_dim"),
])
def test_sizes_that_build_more_than_the_weights_file_holds(tmp_path, name, field):
    """``hidden: 10000000`` used to allocate tens of GiB before failing; it is now refused
    before any layer of that size is drawn."""
    directory = _saved(tmp_path, name)
    _edit_config(directory, **{field: 10_000_000})
    _refused(directory, rf"config.json: the config's sizes \(largest: '{field}' = 10000000\) "
                        r"build more parameters than the [\d,]+ values of weights.safetensors "
                        r"\(at least [\d,]+\)")


def test_a_deep_stack_is_counted_too(tmp_path):
    directory = _saved(tmp_path, "seq2seq")
    _edit_config(directory, num_layers=100_000)
    _refused(directory, r"largest: 'num_layers' = 100000\) build more parameters")


def test_a_weights_file_larger_than_memory(tmp_path, monkeypatch):
    directory = _saved(tmp_path, "language_model")
    monkeypatch.setattr(weights_file, "available_memory", lambda: 1000)
    _refused(directory, r"weights.safetensors is [\d.]+ KiB, more than the 1000.0 B of memory")


# ------------------------------------------------------------------------ vocabularies
@pytest.mark.parametrize("tag", ["A\nB", "BAD TAG", "", "A\tB", "X\u2028Y", "\u00a0"])
@pytest.mark.parametrize("file", ["upos.json", "xpos.json"])
def test_tags_that_would_break_conllu(tmp_path, tag, file):
    """``tag --format text`` wrote such tags into its columns as they were."""
    directory = _saved(tmp_path, "pos_tagger")
    _edit_json(directory / file, lambda v: {**v, "tokens": v["tokens"] + [tag]})
    _refused(directory, rf"{file}: entry \d+ \(.*\) (is empty|holds .*), which the model's "
                        "output cannot carry")


def test_labels_and_target_words_that_would_break_output_lines(tmp_path):
    directory = _saved(tmp_path, "sentence_classifier")
    _edit_json(directory / "labels.json", lambda labels: labels[:-1] + ["pos\nitive"])
    _refused(directory, r"labels.json: entry 2 \('pos\\nitive'\) holds a control character")
    _edit_json(directory / "labels.json", lambda labels: labels[:-1] + ["very positive"])
    assert open_model_dir(directory).labels[-1] == "very positive"
    directory = _saved(tmp_path, "seq2seq")
    _edit_json(directory / "target_vocab.json",
               lambda v: {**v, "tokens": v["tokens"][:-1] + ["two words"]})
    _refused(directory, r"target_vocab.json: entry \d+ \('two words'\) holds whitespace")


def test_input_vocabularies_may_hold_anything_but_need_distinct_specials(tmp_path):
    directory = _saved(tmp_path, "pos_tagger")
    _edit_json(directory / "words.json", lambda v: {**v, "tokens": v["tokens"] + ["New York"]})
    _refused(directory, r"weights.safetensors: tensor 'word_embedding.weight' has shape")
    directory = _saved(tmp_path / "b", "pos_tagger")
    _edit_json(directory / "words.json", lambda v: {**v, "unk": v["pad"]})
    _refused(directory, r"words.json: two special entries are the same token")


# ----------------------------------------------------------------------------- weights
@pytest.mark.parametrize(("dtype", "name"), [(np.int32, "int32"), (np.bool_, "bool"),
                                             (np.uint8, "uint8"), (np.int64, "int64")])
def test_tensors_that_are_not_floating_point_are_refused_from_the_header(tmp_path, dtype, name):
    directory = _saved(tmp_path, "pos_tagger")
    weights = load_arrays(directory / "weights.safetensors")
    weights["upos_head.bias"] = weights["upos_head.bias"].astype(dtype)
    save_arrays(directory / "weights.safetensors", weights)
    _refused(directory, rf"tensor 'upos_head.bias' is {name}; weights must be floating point")


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, tuple[int, ...], bytes]]
                       ) -> None:
    """A safetensors file written by hand: name → (type code, shape, raw bytes)."""
    header, blob = {}, b""
    for name, (code, shape, raw) in tensors.items():
        header[name] = {"dtype": code, "shape": list(shape),
                        "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + blob)


def test_bfloat16_tensors(tmp_path):
    """NumPy has no bfloat16: such a file used to fail inside safetensors' loader."""
    directory = _saved(tmp_path, "language_model")
    weights = load_arrays(directory / "weights.safetensors")
    tensors = {k: ("F32", v.shape, v.astype(np.float32).tobytes()) for k, v in weights.items()}
    shape = weights["decoder.bias"].shape
    tensors["decoder.bias"] = ("BF16", shape, b"\0\0" * int(np.prod(shape)))
    _write_safetensors(directory / "weights.safetensors", tensors)
    _refused(directory, r"tensor 'decoder.bias' is bfloat16; weights must be floating point")


def test_float16_and_float64_weights_load_as_float32(tmp_path):
    directory = _saved(tmp_path, "seq2seq")
    weights = load_arrays(directory / "weights.safetensors")
    save_arrays(directory / "weights.safetensors",
                {k: v.astype(np.float64) for k, v in weights.items()})
    model = open_model_dir(directory)
    assert all(p.data.dtype == np.float32 for p in model.parameters())


def test_tensor_names_are_matched_before_anything_is_read(tmp_path, monkeypatch):
    directory = _saved(tmp_path, "pos_tagger")
    weights = load_arrays(directory / "weights.safetensors")
    weights["upos_head.b"] = weights.pop("upos_head.bias")
    save_arrays(directory / "weights.safetensors", weights)

    def unread(path):
        raise AssertionError("the values were read")

    monkeypatch.setattr("rnnlab.models.registry.load_arrays", unread)
    _refused(directory, "no tensor 'upos_head.bias', which the config builds")
