from pathlib import Path

import pytest

from rnnlab.data import LabelledText, read_names, to_ascii

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def test_reads_names_labelled_by_file_stem():
    names = read_names(FIXTURES / "names")
    assert names == [
        LabelledText("Bélanger", "French"),
        LabelledText("Dubois", "French"),
        LabelledText("Müller", "German"),
        LabelledText("Krauß", "German"),
        LabelledText("Schmidt", "German"),
    ]


def test_ascii_normalisation():
    names = read_names(FIXTURES / "names", ascii_only=True)
    assert [n.text for n in names] == ["Belanger", "Dubois", "Muller", "Krauss", "Schmidt"]
    converted = to_ascii("Śliwiński Łukasz Ærøskøbing Żaneta ñ")
    assert converted == "Sliwinski Lukasz AEroskobing Zaneta n"
    assert to_ascii("東京") == ""


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_names(tmp_path)
