"""Property-based tests of every reader (``hypothesis``): whatever the file holds, the
reader either returns what the file says or raises a clear error — a DataFormatError (or
ValueError, FileNotFoundError) in one line that names the file — never another exception.

Well-formed inputs are generated too and must come back exactly (trees, rows, lines,
arrays). The examples are derandomised, so the suite runs the same cases every time; the
budget per test is small enough for the whole file to run in a few seconds.
"""

from __future__ import annotations

import itertools
import json
import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.data import (
    DataFormatError,
    parse_conllu,
    parse_sst_tree,
    read_labelled_text,
    read_names,
    read_parallel,
    read_word_lines,
)
from rnnlab.data.arrays import read_npy
from rnnlab.data.conditioned_text import read_conditioned_texts
from rnnlab.data.sst import SSTTree, read_sst_trees
from rnnlab.data.text import read_chars
from rnnlab.data.vocab import Vocab

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
CLEAR = (DataFormatError, ValueError, FileNotFoundError)
_counter = itertools.count()

# bytes that look like the formats: their syntax characters, some UTF-8, some invalid bytes
SYNTAX = b"()0123456789 \t\n\r,\"#-._|=abcXYZ"
fragments = st.one_of(
    st.binary(max_size=8),
    st.sampled_from([b"(", b")", b"(2 ", b"\t", b"\n", b"\r\n", b'"', b",", b"\xef\xbb\xbf",
                     b"\xff", b"\xc3", b"\xc3\xa9", b"\xe2\x80\xa8", b"1\t", b"# text = ",
                     b"1-2\t", b"8.1\t", b"_", b"\x00"]),
    st.text(alphabet=SYNTAX.decode(), max_size=12).map(str.encode),
)
soup = st.lists(fragments, max_size=30).map(b"".join)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _file(folder: Path, data: bytes, suffix: str = ".txt") -> Path:
    path = folder / f"f{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def _clear(error: Exception, *paths: Path) -> None:
    """A clear error: one line, naming one of ``paths`` when a file was read."""
    message = str(error)
    assert message and "\n" not in message, message
    if paths:
        assert any(str(p) in message for p in paths), message


# ---------------------------------------------------------------------------- SST
LABELS = st.integers(0, 4)
WORDS = st.text(alphabet=string.ascii_letters + "'.,-", min_size=1, max_size=6).filter(
    lambda w: not (w.startswith("-") and w.endswith("-")))  # -LRB- etc. stand for brackets
trees = st.recursive(
    st.builds(lambda label, word: SSTTree(label, word=word), LABELS, WORDS),
    lambda children: st.builds(lambda label, kids: SSTTree(label, children=tuple(kids)),
                               LABELS, st.lists(children, min_size=1, max_size=3)),
    max_leaves=12,
)


def _bracketed(tree: SSTTree) -> str:
    if tree.word is not None:
        return f"({tree.label} {tree.word})"
    return f"({tree.label} " + " ".join(_bracketed(c) for c in tree.children) + ")"


@FUZZ
@given(trees)
def test_sst_trees_round_trip(tree):
    parsed = parse_sst_tree(_bracketed(tree))
    assert [(n.label, n.word) for n in parsed.nodes()] == [(n.label, n.word) for n in tree.nodes()]


@FUZZ
@given(soup)
def test_sst_files_parse_or_fail_clearly(folder, data):
    path = _file(folder, data)
    try:
        trees = read_sst_trees(path)
    except CLEAR as error:
        _clear(error, path)
    else:
        assert all(0 <= node.label <= 4 for tree in trees for node in tree.nodes())


@FUZZ
@given(st.text(alphabet="()0123 ab", max_size=40))
def test_sst_text_parses_or_fails_clearly(text):
    try:
        parse_sst_tree(text)
    except ValueError as error:
        _clear(error)


# -------------------------------------------------------------------- labelled text
cells = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                min_size=1, max_size=10).filter(lambda s: s.strip() and s.strip() == s)
rows = st.lists(st.tuples(cells.filter(lambda s: "," not in s and '"' not in s), cells.filter(
    lambda s: "," not in s and '"' not in s and s.lower() not in ("text", "label"))),
    min_size=1, max_size=5)


@FUZZ
@given(rows, st.sampled_from([".tsv", ".csv"]))
def test_labelled_rows_round_trip(folder, table, suffix):
    separator = "\t" if suffix == ".tsv" else ","
    text = "".join(f"{t}{separator}{label}\n" for t, label in table)
    read = read_labelled_text(_file(folder, text.encode(), suffix))
    assert [(r.text, r.label) for r in read] == table


@FUZZ
@given(soup, st.sampled_from([".tsv", ".csv"]), st.sampled_from([None, True, False]))
def test_labelled_files_parse_or_fail_clearly(folder, data, suffix, header):
    path = _file(folder, data, suffix)
    try:
        rows = read_labelled_text(path, header=header)
    except CLEAR as error:
        _clear(error, path)
    else:
        assert all(r.text and r.label for r in rows)


# ----------------------------------------------------------------------- plain text
@FUZZ
@given(soup)
def test_plain_text_reads_or_fails_clearly(folder, data):
    path = _file(folder, data)
    try:
        lines = read_word_lines(path)
        chars = read_chars(path)
    except CLEAR as error:
        _clear(error, path)
    else:
        text = data.decode("utf-8").removeprefix("\ufeff")
        assert "".join(chars) == text.replace("\r\n", "\n")
        assert [w for line in lines for w in line if w != "<eos>"] == text.split()


# -------------------------------------------------------------------- parallel text
@FUZZ
@given(soup, soup)
def test_parallel_text_reads_or_fails_clearly(folder, source, target):
    paths = _file(folder, source, ".de"), _file(folder, target, ".en")
    try:
        pairs = read_parallel(*paths)
    except CLEAR as error:
        _clear(error, *paths)
    else:
        text = source.decode("utf-8").removeprefix("\ufeff")
        assert len(pairs) == text.count("\n") + (not text.endswith("\n") and bool(text))


# --------------------------------------------------------------------- names folder
@FUZZ
@given(st.dictionaries(st.sampled_from(["Dutch", "Greek", "Irish"]), soup, max_size=3),
       st.booleans())
def test_name_folders_read_or_fail_clearly(folder, files, ascii_only):
    directory = folder / f"names{next(_counter)}"
    directory.mkdir()
    for language, data in files.items():
        (directory / f"{language}.txt").write_bytes(data)
    try:
        names = read_names(directory, ascii_only=ascii_only)
    except CLEAR as error:
        _clear(error, directory)
    else:
        assert names and all(n.text and n.label in files for n in names)
        if ascii_only:
            assert all(n.text.isascii() for n in names)


# ------------------------------------------------------------------ conditioned text
arrays = st.one_of(
    st.builds(lambda rows, cols, seed: np.random.default_rng(seed).standard_normal((rows, cols)),
              st.integers(0, 3), st.integers(0, 3), st.integers(0, 9)),
    st.sampled_from([np.zeros(3), np.zeros((2, 2), np.int8), np.array([[np.nan, 1.0]]),
                     np.array(["a", "b"]), np.zeros((1, 2), [("x", "f4"), ("y", "i4")]),
                     np.array([[1, None]], dtype=object), np.zeros((2, 1, 1), np.float16)]),
)


def _npy_bytes(folder: Path, array: np.ndarray) -> bytes:
    path = folder / f"a{next(_counter)}.npy"
    np.save(path, array)
    return path.read_bytes()


@FUZZ
@given(arrays, st.data())
def test_npy_features_read_or_fail_clearly(folder, array, data):
    raw = _npy_bytes(folder, array)
    raw = data.draw(st.sampled_from([raw, raw[: len(raw) // 2], raw[:10], raw + b"\0" * 4,
                                     raw.replace(b"NUMPY", b"NUMPZ")]), label="bytes")
    features = _file(folder, raw, ".npy")
    captions = _file(folder, data.draw(soup, label="captions"))
    try:
        texts = read_conditioned_texts([str(features), str(captions)])
    except CLEAR as error:
        message = str(error)
        assert "pickle" not in message
        _clear(error, features, captions)
    else:
        assert texts.conditions.dtype == np.float32 and len(texts) == len(texts.conditions)
        assert np.isfinite(texts.conditions).all()


@FUZZ
@given(st.binary(max_size=200))
def test_npy_bytes_read_or_fail_clearly(folder, raw):
    path = _file(folder, b"\x93NUMPY" + raw, ".npy")
    try:
        read_npy(path)
    except CLEAR as error:
        assert "pickle" not in str(error)
        _clear(error, path)


# ------------------------------------------------------------------------- CoNLL-U
conllu_fragments = st.one_of(
    fragments,
    st.sampled_from([b"1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n",
                     b"2\tcat\tcat\tNOUN\tNN\t_\t0\troot\t_\t_\n", b"# sent_id = 1\n",
                     b"1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n", b"\n", b"   \n"]),
)


@FUZZ
@given(st.lists(conllu_fragments, max_size=12).map(b"".join))
def test_conllu_text_parses_or_fails_clearly(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # parse_conllu takes text; undecodable bytes are read_utf8's (tested above)
    try:
        sentences = parse_conllu(text, source="fuzz.conllu")
    except CLEAR as error:
        _clear(error, Path("fuzz.conllu"))
    else:
        assert all(len(s.words) == len(s.upos) == len(s.xpos) for s in sentences)


# ------------------------------------------------------------------------ vocabulary
vocab_json = st.fixed_dictionaries(
    {"tokens": st.lists(st.sampled_from(["<pad>", "<unk>", "a", "b", ""]) | st.integers(),
                        max_size=5)},
    optional={key: st.none() | st.sampled_from(["<pad>", "<unk>", "a", 1])
              for key in ("pad", "unk", "bos", "eos")},
).map(lambda d: json.dumps(d).encode())


@FUZZ
@given(vocab_json | soup)
def test_vocabulary_files_load_or_fail_clearly(folder, data):
    path = _file(folder, data, ".json")
    try:
        vocab = Vocab.load(path)
    except DataFormatError as error:
        _clear(error, path)
    else:
        assert vocab.tokens == json.loads(data)["tokens"]
