from pathlib import Path

import pytest

from rnnlab.data import DataFormatError, LabelledText, read_labelled_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def test_tsv_with_detected_header_and_blank_line():
    rows = read_labelled_text(FIXTURES / "reviews.tsv")
    assert rows == [
        LabelledText("A warm, funny film.", "pos"),
        LabelledText('Dull "and" slow.', "neg"),
        LabelledText("I laughed a lot", "pos"),
    ]


def test_csv_with_reversed_header_and_quoted_fields():
    rows = read_labelled_text(FIXTURES / "reviews.csv")
    assert rows == [
        LabelledText("A warm, funny film.", "pos"),
        LabelledText('Dull "and" slow.', "neg"),
        LabelledText("Two\nlines", "pos"),
    ]


def test_header_options(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("good stuff\tpos\nbad stuff\tneg\n", encoding="utf-8")
    assert len(read_labelled_text(path, fmt="tsv")) == 2
    assert read_labelled_text(path, fmt="tsv", header=True) == [LabelledText("bad stuff", "neg")]
    path.write_text("text\tlabel\nok\tpos\n", encoding="utf-8")
    assert read_labelled_text(path, fmt="tsv", header=False)[0] == LabelledText("text", "label")


def test_format_from_extension_or_explicit(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fmt="):
        read_labelled_text(path)
    with pytest.raises(ValueError, match="unknown table format"):
        read_labelled_text(path, fmt="json")  # type: ignore[arg-type]
    assert read_labelled_text(path, fmt="csv") == [LabelledText("a", "b")]


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"),
    [
        ("bad.tsv", "text\tlabel\nok\tpos\nno label here\n", 3, "found 1"),
        ("bad.tsv", "ok\tpos\n\nx\ty\tz\n", 3, "found 3"),
        ("bad.tsv", "ok\tpos\n\tneg\n", 2, "empty text"),
        ("bad.csv", 'text,label\nfine,pos\n"a, b", \n', 3, "empty label"),
        ("bad.csv", 'ok,pos\n"two\nline",pos\nx,y,z\n', 4, "found 3"),
        ("bad.csv", 'ok,pos\n"never closed,pos\n', 2, "malformed CSV row"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, name, content, line, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_labelled_text(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert reason in str(info.value)
