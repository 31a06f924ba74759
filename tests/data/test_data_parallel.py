from pathlib import Path

import pytest

from rnnlab.data import DataFormatError, read_parallel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def test_reads_aligned_pairs():
    pairs = read_parallel(FIXTURES / "tiny.de", FIXTURES / "tiny.en")
    assert pairs[0] == ("Ein Hund rennt.", "A dog runs.")
    assert pairs[2] == ("Hallo „Welt“!", 'Hello "world"!')
    assert len(pairs) == 3


def test_line_count_mismatch_names_both_files():
    with pytest.raises(DataFormatError) as info:
        read_parallel(FIXTURES / "short.de", FIXTURES / "tiny.en")
    message = str(info.value)
    assert "short.de" in message and "tiny.en" in message
    assert "1 lines" in message and "has 3" in message
