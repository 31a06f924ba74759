import shutil
from pathlib import Path

import pytest
from shared_data import ewt_blocks, pick_blocks, word_lines, write_conllu_blocks

from rnnlab.data import DataFormatError, format_conllu, parse_conllu, read_conllu, write_conllu

GOOD_LINE = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_"


def _ids(block):
    return [line.split("\t")[0] for line in block if line[:1].isdigit()]


@pytest.fixture(scope="module")
def sample_blocks():
    """Three EWT dev sentences: the first with a multiword token, the first with an empty
    node, the first of two words."""
    blocks = ewt_blocks("dev")
    return (pick_blocks(blocks, 1, lambda b: any("-" in i for i in _ids(b)))
            + pick_blocks(blocks, 1, lambda b: any("." in i for i in _ids(b)))
            + pick_blocks(blocks, 1, lambda b: len(word_lines(b)) == 2))


@pytest.fixture(scope="module")
def sample(sample_blocks, tmp_path_factory) -> Path:
    return write_conllu_blocks(tmp_path_factory.mktemp("conllu") / "sample.conllu",
                               sample_blocks)


def test_reads_words_and_tags_of_syntactic_words_only(sample, sample_blocks):
    sentences = read_conllu(sample)
    assert len(sentences) == 3
    for sentence, block in zip(sentences, sample_blocks, strict=True):
        columns = [line.split("\t") for line in word_lines(block)]
        assert sentence.words == tuple(c[1] for c in columns)
        assert sentence.upos == tuple(c[3] for c in columns)
        assert sentence.xpos == tuple(c[4] for c in columns)
        sent_id = next(line for line in block if line.startswith("# sent_id = "))
        assert sentence.comments["sent_id"] == sent_id.removeprefix("# sent_id = ")
    # the multiword token and the empty node are kept among the token lines, not in words
    first_range = next(i for i in _ids(sample_blocks[0]) if "-" in i)
    start, end = map(int, first_range.split("-"))
    assert (start, end) in [(t.start, t.end) for t in sentences[0].multiword_tokens]
    assert first_range in sentences[0].token_ids
    empty = next(i for i in _ids(sample_blocks[1]) if "." in i)
    assert empty in sentences[1].token_ids
    assert empty not in sentences[1].words
    assert sentences[0].token_ids == tuple(_ids(sample_blocks[0]))


def test_unchanged_round_trip_is_byte_identical(sample, tmp_path):
    out = tmp_path / "out.conllu"
    write_conllu(out, read_conllu(sample))
    assert out.read_bytes() == sample.read_bytes()


def test_round_trip_keeps_crlf_bom_and_odd_blank_lines(tmp_path):
    text = "\ufeff# c\r\n" + GOOD_LINE + "\r\n\r\n\r\n# d\n" + GOOD_LINE
    path = tmp_path / "odd.conllu"
    path.write_bytes(text.encode("utf-8"))
    sentences = read_conllu(path)
    assert len(sentences) == 2
    assert sentences[0].words == ("Hi",)
    out = tmp_path / "out.conllu"
    write_conllu(out, sentences)
    assert out.read_bytes() == path.read_bytes()


def test_predictions_change_only_upos_and_xpos(sample, tmp_path):
    sentences = read_conllu(sample)
    upos = [["X"] * len(s.words) for s in sentences]
    xpos = [[f"T{i}" for i in range(len(s.words))] for s in sentences]
    out = tmp_path / "pred.conllu"
    write_conllu(out, sentences, upos=upos, xpos=xpos)
    old_lines = sample.read_text(encoding="utf-8").split("\n")
    new_lines = out.read_text(encoding="utf-8").split("\n")
    assert len(old_lines) == len(new_lines)
    changed = 0
    for old, new in zip(old_lines, new_lines, strict=True):
        old_cols, new_cols = old.split("\t"), new.split("\t")
        is_word = len(old_cols) == 10 and old_cols[0].isdigit()
        if not is_word:
            assert new == old  # comments, blank lines, ranges, empty nodes untouched
            continue
        changed += 1
        assert new_cols[3] == "X"
        assert new_cols[4] == f"T{int(old_cols[0]) - 1}"
        assert new_cols[:3] + new_cols[5:] == old_cols[:3] + old_cols[5:]
    assert changed == sum(len(s.words) for s in sentences)
    reread = read_conllu(out)
    assert reread[1].upos == ("X",) * len(sentences[1].words)
    assert reread[0].upos == ("X",) * len(sentences[0].words)
    assert reread[0].column("UPOS") == reread[0].upos


def test_with_tags_returns_a_copy_and_updates_the_text(sample):
    sentence = read_conllu(sample)[2]  # two words
    gold = sentence.upos
    tagged = sentence.with_tags(upos=["NOUN", "SYM"])
    assert tagged.upos == ("NOUN", "SYM")
    assert tagged.xpos == sentence.xpos
    assert tagged.column("UPOS") == ("NOUN", "SYM")
    assert tagged.column("XPOS") == sentence.xpos
    assert sentence.upos == gold and gold != ("NOUN", "SYM")
    assert sentence.column("UPOS") == gold
    assert parse_conllu(tagged.text)[0].upos == ("NOUN", "SYM")


def test_bad_predictions_rejected(sample):
    sentences = read_conllu(sample)
    with pytest.raises(ValueError, match="tags for a sentence"):
        format_conllu(sentences, upos=[["X"]] * 3)
    with pytest.raises(ValueError, match="sentences"):
        format_conllu(sentences, upos=[["X"] * len(sentences[0].words)])
    with pytest.raises(ValueError, match="whitespace"):
        sentences[2].with_tags(upos=["A B", "X"])


@pytest.mark.parametrize(
    ("lines", "bad_line", "reason"),
    [
        (["# sent_id = a", "1\tHi\thi\tINTJ\tUH\t_\t0\troot"], 2, "expected 10 tab-separated"),
        ([GOOD_LINE, "x\tthere\t_\t_\t_\t_\t1\tdep\t_\t_"], 2, "invalid ID 'x'"),
        ([GOOD_LINE, "3\tthere\t_\t_\t_\t_\t1\tdep\t_\t_"], 2, "expected 2"),
        ([GOOD_LINE, "2\tthere\t_\t_\t_\t_\tone\tdep\t_\t_"], 2, "invalid HEAD"),
        ([GOOD_LINE, "2\t\t_\t_\t_\t_\t1\tdep\t_\t_"], 2, "column FORM is empty"),
        (["1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_", GOOD_LINE], 1, "ends at word 2"),
        ([GOOD_LINE, "3.1\tx\t_\t_\t_\t_\t_\t_\t_\t_"], 2, "empty node 3.1"),
        ([GOOD_LINE, "", "# only a comment"], 3, "no word lines"),
        ([GOOD_LINE, "", "0.1\tx\t_\t_\t_\t_\t_\t_\t_\t_"], 3, "no word lines"),
        ([GOOD_LINE, "1 Hi hi INTJ UH _ 0 root 0:root _"], 2, "found 1"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, lines, bad_line, reason):
    path = tmp_path / "broken.conllu"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_conllu(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{bad_line}: ")
    assert reason in message
    assert info.value.line == bad_line
    assert isinstance(info.value, ValueError)


def test_error_line_numbers_count_from_file_start(sample, tmp_path):
    path = tmp_path / "late.conllu"
    shutil.copy(sample, path)
    with path.open("a", encoding="utf-8") as f:
        f.write("# sent_id = bad\n1\tA\n\n")
    n_lines = sample.read_text(encoding="utf-8").count("\n")
    with pytest.raises(DataFormatError, match=rf"late\.conllu:{n_lines + 2}: expected 10"):
        read_conllu(path)


def test_invalid_utf8_is_a_format_error(tmp_path):
    path = tmp_path / "latin1.conllu"
    path.write_bytes(GOOD_LINE.encode() + b"\n\n# caf\xe9\n" + GOOD_LINE.encode() + b"\n")
    with pytest.raises(DataFormatError, match=r"latin1\.conllu:3: invalid UTF-8"):
        read_conllu(path)


def test_parse_conllu_from_string_and_empty_input():
    assert parse_conllu("") == []
    assert parse_conllu("\n\n") == []
    [sentence] = parse_conllu(GOOD_LINE + "\n\n")
    assert sentence.words == ("Hi",)
    assert sentence.text == GOOD_LINE + "\n\n"
    with pytest.raises(DataFormatError, match="<string>:1:"):
        parse_conllu("1\tx\n")
