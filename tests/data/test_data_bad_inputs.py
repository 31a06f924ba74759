"""Issue 17's bad inputs to the readers: each is one clear error naming the file, or is
read correctly — never a RecursionError, EOFError, ZeroDivisionError or numpy's advice to
enable pickle."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from rnnlab.data import DataFormatError, parse_sst_tree, read_labelled_text, read_names
from rnnlab.data.arrays import read_npy
from rnnlab.data.conditioned_text import ConditionedTexts, features_and_captions
from rnnlab.data.fields import field_problem, first_unfit
from rnnlab.data.sst import read_sst_trees, sst_examples
from rnnlab.data.text_files import read_utf8, read_utf8_stream
from rnnlab.data.vocab import Vocab


# -------------------------------------------------------------------------- SST trees
@pytest.mark.parametrize("depth", [999, 10_000])
def test_sst_trees_of_any_depth_parse(depth):
    """A recursive parser stopped near 500 levels with a RecursionError."""
    text = "(1 " * depth + "(3 word)" + ")" * depth
    tree = parse_sst_tree(text)
    assert tree.leaves() == ["word"]
    assert sum(1 for _ in tree.nodes()) == depth + 1
    examples = sst_examples([tree], phrases=True)
    assert len(examples) == depth + 1 and examples[-1].label == 3
    assert all(example.tokens == ["word"] for example in examples)


def test_a_deep_unbalanced_tree_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.txt"
    path.write_text("(2 (2 ok))\n" + "(1 " * 10_000 + "(3 word)" + ")" * 9_999 + "\n")
    with pytest.raises(DataFormatError, match=r"deep.txt:2: malformed tree: unbalanced "
                                              r"brackets: missing '\)'"):
        read_sst_trees(path)


@pytest.mark.parametrize(("text", "message"), [
    ("(3 (2 a) (4 b)", r"unbalanced brackets: missing '\)'"),
    ("(3 (2 a) (4 b)))", r"unexpected '\)' after the end of the tree"),
    ("(3 (2 a) b)", r"unexpected 'b' inside a phrase"),
    ("(3 )", "node with a label but neither a word nor children"),
    ("(7 a)", "invalid label '7'"),
    ("( (2 a))", "expected a label after"),
    ("(2 a b)", r"expected '\)' after the word 'a'"),
    ("a", r"expected '\(', found 'a'"),
    ("(2", r"unbalanced brackets"),
    ("(2 (2", r"unbalanced brackets"),
    ("", "empty tree"),
])
def test_malformed_trees(text, message):
    with pytest.raises(ValueError, match=message):
        parse_sst_tree(text)


def test_tree_pre_order_and_leaves_are_unchanged():
    tree = parse_sst_tree(r"(3 (2 -LRB-) (4 (2 and\/or) (3 fine)))")
    assert tree.leaves() == ["(", "and/or", "fine"]
    assert [node.label for node in tree.nodes()] == [3, 2, 4, 2, 3]
    examples = sst_examples([tree], mode="binary", phrases=True)
    assert [(e.tokens, e.label) for e in examples] == [
        (["(", "and/or", "fine"], 1), (["and/or", "fine"], 1), (["fine"], 1)]


# ---------------------------------------------------------------------------- UTF-8
def test_invalid_utf8_names_the_line_and_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first\nna\xefve\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=r"latin1.txt:2: invalid UTF-8 byte sequence at "
                                              r"byte 8 \(invalid continuation byte\)"):
        read_utf8(path)


def test_streams_are_read_as_strictly_as_files():
    assert read_utf8_stream(io.BytesIO("\ufeffa\nb\n".encode())) == "a\nb\n"
    with pytest.raises(DataFormatError, match=r"<stdin>:3: invalid UTF-8 byte sequence at "
                                              r"byte 4 \(invalid start byte\)"):
        read_utf8_stream(io.BytesIO(b"a\nb\n\xff\n"))
    with pytest.raises(DataFormatError, match=r"^pipe:1: invalid UTF-8"):
        read_utf8_stream(io.BytesIO(b"\xc3"), name="pipe")


# ---------------------------------------------------------------------- labelled text
@pytest.mark.parametrize("label", ["a\x1fb", "x\u2028y"])
def test_a_label_no_prediction_line_could_carry(tmp_path, label):
    path = tmp_path / "data.tsv"
    path.write_text(f"good text\tpos\nbad text\t{label}\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"data.tsv:2: the label .* holds a"):
        read_labelled_text(path)


def test_a_quoted_line_break_in_a_csv_label(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('text,label\n"fine",pos\n"bad","ne\ng"\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"data.csv:3: the label 'ne\\ng' holds a "
                                              r"control character \(U\+000A\)"):
        read_labelled_text(path)


def test_labels_with_spaces_are_fine(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("a text\tvery positive\n", encoding="utf-8")
    assert read_labelled_text(path)[0].label == "very positive"


# -------------------------------------------------------------------------- names
def test_a_names_folder_whose_files_are_empty(tmp_path):
    for language in ("Dutch", "Greek"):
        (tmp_path / f"{language}.txt").write_text("\n  \n", encoding="utf-8")
    for ascii_only in (False, True):
        with pytest.raises(DataFormatError, match=r"no names in its 2 .txt file\(s\)$"):
            read_names(tmp_path, ascii_only=ascii_only)
    (tmp_path / "Greek.txt").write_text("Ωμέγα\n", encoding="utf-8")
    assert [n.text for n in read_names(tmp_path)] == ["Ωμέγα"]
    (tmp_path / "Greek.txt").write_text("Ωμ\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="after the conversion to ASCII"):
        read_names(tmp_path, ascii_only=True)


def test_a_split_that_leaves_nothing_to_train_on():
    one = ConditionedTexts(np.eye(1, dtype=np.float32), ["only"])
    with pytest.raises(ValueError, match="holding out 0.1 of 1 texts leaves none to train on"):
        one.split(0.1)
    two = ConditionedTexts(np.eye(2, dtype=np.float32), ["a", "b"])
    train, held = two.split(0.5)
    assert len(train) == len(held) == 1


# ---------------------------------------------------------------------------- .npy
@pytest.fixture
def captions(tmp_path):
    path = tmp_path / "captions.txt"
    path.write_text("one\ntwo\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"),
    (b"just some text, not an array", r"not a .npy array file \(the magic string"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': 'x'}  \n", "not a .npy array file"),
    (b"\x93NUMPY\x03\x00", r"not a .npy array file \(.npy format version 3.0\)"),
    (b"PK\x03\x04 a zip", "not a .npy array file"),
])
def test_npy_files_that_are_not_arrays(tmp_path, content, message):
    path = tmp_path / "features.npy"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=r"features.npy: " + message) as caught:
        read_npy(path)
    assert "pickle" not in str(caught.value) and "\n" not in str(caught.value)


def test_npy_object_arrays_and_truncated_files(tmp_path, captions):
    np.save(tmp_path / "objects.npy", np.array([[1, "a"], [None, 2]], dtype=object))
    with pytest.raises(DataFormatError, match="holds Python objects") as caught:
        features_and_captions(tmp_path / "objects.npy", captions)
    assert "pickle" not in str(caught.value)
    np.save(tmp_path / "whole.npy", np.ones((2, 100), np.float32))
    data = (tmp_path / "whole.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])
    with pytest.raises(DataFormatError, match="cut.npy: truncated: the header promises 800 "
                                              "bytes of data, the file holds 792"):
        features_and_captions(tmp_path / "cut.npy", captions)
    with pytest.raises(FileNotFoundError, match="no .npy file at"):
        read_npy(tmp_path / "missing.npy")


def test_npy_arrays_still_load(tmp_path, captions):
    np.save(tmp_path / "f.npy", np.arange(6, dtype=np.float64).reshape(2, 3))
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert read_npy(tmp_path / "fortran.npy").tolist() == [[0, 1, 2], [3, 4, 5]]
    data = features_and_captions(tmp_path / "f.npy", captions)
    assert data.conditions.dtype == np.float32 and data.texts == ["one", "two"]


def test_empty_captions_and_zero_feature_rows(tmp_path):
    (tmp_path / "none.txt").write_text("", encoding="utf-8")
    np.save(tmp_path / "empty.npy", np.zeros((0, 4), np.float32))
    with pytest.raises(DataFormatError, match="none.txt: no captions"):
        features_and_captions(tmp_path / "empty.npy", tmp_path / "none.txt")


# -------------------------------------------------------------------------- fields
@pytest.mark.parametrize(("text", "kind", "problem"), [
    ("", "word", "is empty"),
    ("A\nB", "word", r"holds a control character \(U\+000A\)"),
    ("BAD TAG", "word", r"holds whitespace \(U\+0020\)"),
    ("a\u00a0b", "word", "holds whitespace"),
    ("a\u2029", "line", "holds a paragraph separator"),
    ("a\tb", "line", "holds a control character"),
    ("\ud800", "line", "lone surrogate"),
])
def test_field_problems(text, kind, problem):
    assert re.search(problem, field_problem(text, kind) or "")


@pytest.mark.parametrize(("text", "kind"), [
    ("NOUN", "word"), ("-LRB-", "word"), ("soft\u00adhyphen", "word"), ("very good", "line"),
    ("naïve", "word"),
])
def test_fit_fields(text, kind):
    assert field_problem(text, kind) is None


def test_first_unfit_names_the_entry():
    assert first_unfit(["A", "B C", ""], "word") == (1, "B C", "holds whitespace (U+0020)")
    assert first_unfit(["A"], "line") is None
    with pytest.raises(ValueError, match="field kind must be one of"):
        field_problem("A", "column")


# ------------------------------------------------------------------------ vocabulary
@pytest.mark.parametrize(("content", "message"), [
    (b'{"tokens": ["a"', r"vocab.json:1: invalid JSON"),
    (b"[" * 100_000, "vocab.json: JSON nested too deeply"),
    (b"[]", r"vocab.json: not a vocabulary \(expected a JSON object\)"),
    (b'{"tokens": ["<unk>"], "pad": "<pad>"}', "vocab.json: pad token '<pad>' is not in"),
    (b'{"tokens": ["\xff"]}', "vocab.json:1: invalid UTF-8 byte sequence at byte 13"),
])
def test_vocabulary_files_that_are_not_vocabularies(tmp_path, content, message):
    path = tmp_path / "vocab.json"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=message):
        Vocab.load(path)
