"""Reading classification data for the classifier: SST trees (every node's label, tokens,
-LRB-/-RRB-, binary mapping, distinct phrases) and users' TSV/CSV files, and the errors a
malformed file gives (naming the file and the line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlab.data.errors import DataFormatError
from rnnlab.tasks.classification import (
    SST_LABELS,
    data_format,
    label_ids,
    read_sentences,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "classifier"
TREES = FIXTURES / "trees.txt"

# Every node of trees.txt in pre-order with its 0-4 label; a phrase seen before ("." of
# the third tree) is kept only once.
ALL_NODES = [
    ("It 's a gem .", 3), ("It", 2), ("'s a gem .", 4), ("'s a gem", 3), ("'s", 2),
    ("a gem", 4), ("a", 3), ("gem", 4), (".", 2),
    ("( The plot ) drags", 1), ("(", 2), ("The plot ) drags", 1), ("The plot", 1),
    ("The", 2), ("plot", 0), (") drags", 2), (")", 2), ("drags", 1),
    ("A film .", 2), ("A film", 2), ("A", 2), ("film", 2),
    ("Awful , truly awful", 0), ("Awful ,", 0), ("Awful", 0), (",", 2), ("truly awful", 1),
    ("truly", 2), ("awful", 0),
]


def _pairs(data):
    return [(" ".join(tokens), label) for tokens, label in zip(data.tokens, data.labels,
                                                                strict=True)]


def test_every_labelled_node_of_the_treebank_becomes_an_example():
    data = read_sentences(TREES, "sst", sst_classes=5, phrases=True)
    names = SST_LABELS[5]
    assert _pairs(data) == [(text, names[label]) for text, label in ALL_NODES]
    assert label_ids(data, names, TREES) == [label for _, label in ALL_NODES]


def test_brackets_come_back_as_characters():
    data = read_sentences(TREES, "sst", sst_classes=5)
    assert data.tokens[1] == ["(", "The", "plot", ")", "drags"]
    assert not any(t.startswith("-") and t.endswith("-") for s in data.tokens for t in s)


def test_sentences_only_uses_root_labels():
    data = read_sentences(TREES, "sst", sst_classes=5)
    assert _pairs(data) == [
        ("It 's a gem .", "positive"), ("( The plot ) drags", "negative"),
        ("A film .", "neutral"), ("Awful , truly awful", "very negative"),
    ]


def test_binary_drops_neutral_and_merges_the_ends():
    sentences = read_sentences(TREES, "sst", sst_classes=2)
    assert _pairs(sentences) == [
        ("It 's a gem .", "positive"), ("( The plot ) drags", "negative"),
        ("Awful , truly awful", "negative"),
    ]
    phrases = read_sentences(TREES, "sst", sst_classes=2, phrases=True)
    expected = [(text, "negative" if label < 2 else "positive")
                for text, label in ALL_NODES if label != 2]
    assert _pairs(phrases) == expected


def test_tsv_and_csv_rows_are_tokenised_like_the_treebank():
    tsv = read_sentences(FIXTURES / "reviews.tsv", "tsv")
    assert len(tsv.tokens) == 16 and set(tsv.labels) == {"pos", "neg"}
    csv = read_sentences(FIXTURES / "reviews.csv", "csv")
    assert csv.tokens[0] == ["a", "wonderful", ",", "moving", "film"]
    assert csv.labels == ["pos", "neg"]


def test_format_follows_the_extension_unless_given():
    assert data_format("x.tsv", None) == "tsv"
    assert data_format("x.CSV", None) == "csv"
    assert data_format("train.txt", None) == "sst"
    assert data_format("x.txt", "tsv") == "tsv"


@pytest.mark.parametrize(
    ("name", "fmt", "where", "why"),
    [
        ("bad_tree.txt", "sst", ":2:", "malformed tree"),
        ("bad_label_tree.txt", "sst", ":2:", "invalid label"),
        ("bad_columns.tsv", "tsv", ":3:", "expected 2 columns"),
        ("bad_quote.csv", "csv", ":2:", "malformed CSV"),
    ],
)
def test_malformed_files_name_the_file_and_line(name, fmt, where, why):
    with pytest.raises(DataFormatError) as caught:
        read_sentences(FIXTURES / name, fmt)
    message = str(caught.value)
    assert message.startswith(str(FIXTURES / name) + where)
    assert why in message


def test_a_label_the_model_does_not_know_is_reported_with_the_file():
    data = read_sentences(FIXTURES / "unknown_label.tsv", "tsv")
    with pytest.raises(DataFormatError, match=r"unknown_label.tsv: example 2: label 'meh'"):
        label_ids(data, ["neg", "pos"], FIXTURES / "unknown_label.tsv")


def test_phrases_need_trees():
    with pytest.raises(ValueError, match="--phrases needs SST trees"):
        read_sentences(FIXTURES / "reviews.tsv", "tsv", phrases=True)


def test_repeated_sentences_all_count_but_repeated_phrases_train_once(tmp_path):
    trees = tmp_path / "twice.txt"
    line = TREES.read_text().splitlines()[0]
    trees.write_text(f"{line}\n{line}\n")
    assert len(read_sentences(trees, "sst", sst_classes=5).tokens) == 2
    phrases = read_sentences(trees, "sst", sst_classes=5, phrases=True)
    assert _pairs(phrases) == [(text, SST_LABELS[5][label]) for text, label in ALL_NODES[:9]]
