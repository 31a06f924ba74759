"""The CoNLL-U reader on the real UD English EWT files: byte-exact round trips, tags written
into the right columns only, and the memory a read costs per word."""

import tracemalloc

from shared_data import shared_file

from rnnlab.data import format_conllu, read_conllu


def test_train_round_trip_is_byte_identical():
    path = shared_file("ud-english-ewt", "train")
    sentences = read_conllu(path)
    assert len(sentences) == 12544
    assert sum(map(len, sentences)) == 204577
    assert format_conllu(sentences).encode("utf-8") == path.read_bytes()


def test_test_file_with_predictions_changes_only_upos_and_xpos():
    path = shared_file("ud-english-ewt", "test")
    sentences = read_conllu(path)
    assert (len(sentences), sum(map(len, sentences))) == (2077, 25094)
    assert format_conllu(sentences).encode("utf-8") == path.read_bytes()
    upos = [[f"U{i}" for i in range(len(s))] for s in sentences]
    xpos = [["X"] * len(s) for s in sentences]
    old_lines = path.read_text(encoding="utf-8").split("\n")
    new_lines = format_conllu(sentences, upos, xpos).split("\n")
    assert len(new_lines) == len(old_lines)
    words = 0
    for old, new in zip(old_lines, new_lines, strict=True):
        old_cols, new_cols = old.split("\t"), new.split("\t")
        if not old_cols[0].isdigit():
            assert new == old
            continue
        words += 1
        assert new_cols[3:5] == [f"U{int(old_cols[0]) - 1}", "X"]
        assert new_cols[:3] + new_cols[5:] == old_cols[:3] + old_cols[5:]
    assert words == 25094


def test_reading_costs_well_under_a_kilobyte_per_word():
    path = shared_file("ud-english-ewt", "dev")
    tracemalloc.start()
    try:
        sentences = read_conllu(path, progress=False)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    words = sum(map(len, sentences))
    assert peak / words < 1024
    assert kept / words < 300
