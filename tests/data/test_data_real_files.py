"""Checks against the real shared datasets; skipped where they are not present."""

import pytest

from rnnlab.data import default_path, read_conllu, read_sst, read_words

try:
    EWT_DEV = default_path("ud-english-ewt", "dev")
    SST_DEV = default_path("sst", "dev")
    PTB_VALID = default_path("ptb", "valid")
except FileNotFoundError:
    EWT_DEV = SST_DEV = PTB_VALID = None


def _missing(path):
    return path is None or not path.exists()


@pytest.mark.skipif(_missing(EWT_DEV), reason="UD English EWT not available")
def test_ewt_dev_round_trip_is_byte_identical():
    from rnnlab.data import format_conllu

    sentences = read_conllu(EWT_DEV)
    assert len(sentences) == 2001
    assert sum(len(s.words) for s in sentences) == 25147
    assert format_conllu(sentences).encode("utf-8") == EWT_DEV.read_bytes()


@pytest.mark.skipif(_missing(SST_DEV), reason="SST not available")
def test_sst_dev_sizes():
    assert len(read_sst(SST_DEV)) == 1101
    assert len(read_sst(SST_DEV, mode="binary")) == 872


@pytest.mark.skipif(_missing(PTB_VALID), reason="PTB not available")
def test_ptb_valid_word_count():
    assert len(read_words(PTB_VALID)) == 73760
