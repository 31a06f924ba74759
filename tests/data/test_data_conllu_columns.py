"""The columns, comments and multiword tokens a ConlluSentence reads from its text on demand."""

import pytest
from shared_data import ewt_blocks, pick_blocks

from rnnlab.data import DataFormatError, parse_conllu
from rnnlab.data.conllu_io import MultiwordToken, parse_features

SENTENCE = "\n".join([
    "# newdoc id = doc-1",
    "# newpar",
    "# sent_id = s1",
    "# text = I don't know.",
    "# a free comment without an equals sign",
    "1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing|Person=1\t4\tnsubj\t4:nsubj\t_",
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
    "2\tdo\tdo\tAUX\tVBP\tMood=Ind\t4\taux\t4:aux\t_",
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_",
    "4\tknow\tknow\tVERB\tVB\tVerbForm=Inf\t0\troot\t0:root\tSpaceAfter=No",
    "4.1\tgap\tgap\tX\tXX\t_\t_\t_\t4:dep\t_",
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\tSpaceAfter=No|Note",
]) + "\n\n"


@pytest.fixture(scope="module")
def sentence():
    [parsed] = parse_conllu(SENTENCE)
    return parsed


def test_word_columns_skip_ranges_and_empty_nodes(sentence):
    assert sentence.words == ("I", "do", "n't", "know", ".")
    assert sentence.lemmas == ("I", "do", "not", "know", ".")
    assert sentence.feats == ("Case=Nom|Number=Sing|Person=1", "Mood=Ind", "_", "VerbForm=Inf",
                              "_")
    assert sentence.misc == ("_", "_", "_", "SpaceAfter=No", "SpaceAfter=No|Note")
    assert sentence.column("HEAD") == ("4", "4", "4", "0", "4")
    assert sentence.column("UPOS") == sentence.upos
    assert sentence.space_after == (True, True, True, False, False)
    assert sentence.token_ids == ("1", "2-3", "2", "3", "4", "4.1", "5")


def test_unknown_column_is_a_value_error(sentence):
    with pytest.raises(ValueError, match="unknown CoNLL-U column 'lemma'"):
        sentence.column("lemma")


def test_multiword_tokens(sentence):
    [token] = sentence.multiword_tokens
    assert token == MultiwordToken(start=2, end=3, form="don't", misc="_")
    assert token.id == "2-3"
    assert token.space_after


def test_comments_as_a_dict(sentence):
    assert sentence.comments == {"newdoc": "doc-1", "newpar": None, "sent_id": "s1",
                                 "text": "I don't know."}


def test_comments_keep_the_last_value_and_equals_signs_in_values():
    text = ("# text = a = b\n# text = c = d\n# newdoc\n# newpar id = p2\n# =x\n"
            "1\tc\t_\t_\t_\t_\t_\t_\t_\t_\n")
    [sentence] = parse_conllu(text)
    assert sentence.comments == {"text": "c = d", "newdoc": None, "newpar": "p2"}


def test_parse_features():
    assert parse_features("_") == {}
    assert parse_features("Case=Nom|Number=Sing") == {"Case": "Nom", "Number": "Sing"}
    assert parse_features("SpaceAfter=No|Note") == {"SpaceAfter": "No", "Note": ""}


def test_lines_and_word_line_index_with_crlf_and_bom():
    text = ("\ufeff# c\r\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\r\n"
            "2\tyou\tyou\tPRON\tPRP\t_\t1\tvocative\t1:vocative\t_\r\n\r\n")
    [sentence] = parse_conllu(text)
    assert "".join(sentence.lines) == text
    assert sentence.lines[1].endswith("\r\n")
    assert sentence.word_line_index == (1, 2)
    assert sentence.comments == {}  # "# c" has no "="
    tagged = sentence.with_tags(upos=["X", "Y"], xpos=["x", "y"])
    assert tagged.text == text.replace("INTJ\tUH", "X\tx").replace("PRON\tPRP", "Y\ty")
    assert tagged.lemmas == ("hi", "you")


def test_tags_of_a_bom_line_are_replaced_after_the_bom():
    text = "\ufeff1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
    [sentence] = parse_conllu(text)
    assert sentence.words == ("Hi",)
    assert sentence.with_tags(upos=["X"]).text == text.replace("INTJ", "X")


def test_accessors_match_the_columns_of_real_sentences():
    blocks = pick_blocks(ewt_blocks("dev"), 20, lambda b: any("-" in line.split("\t")[0]
                                                              for line in b if "\t" in line))
    sentences = parse_conllu("".join("\n".join(block) + "\n\n" for block in blocks))
    for sentence, block in zip(sentences, blocks, strict=True):
        rows = [line.split("\t") for line in block if line and not line.startswith("#")]
        words = [cols for cols in rows if cols[0].isdigit()]
        assert sentence.lemmas == tuple(cols[2] for cols in words)
        assert sentence.feats == tuple(cols[5] for cols in words)
        assert sentence.misc == tuple(cols[9] for cols in words)
        assert sentence.space_after == tuple("SpaceAfter=No" not in cols[9] for cols in words)
        assert [(t.id, t.form, t.misc) for t in sentence.multiword_tokens] == [
            (cols[0], cols[1], cols[9]) for cols in rows if "-" in cols[0]]
        comments = dict(line[2:].split(" = ", 1) for line in block if " = " in line
                        and line.startswith("# "))
        assert sentence.comments["sent_id"] == comments["sent_id"]
        assert sentence.comments["text"] == comments["text"]
        for key in ("newdoc", "newpar"):
            assert sentence.comments.get(key) == comments.get(f"{key} id")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1\tHi\t \tINTJ\tUH\t_\t0\troot\t0:root\t_", "column LEMMA is empty"),
        ("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t\u3000", "column MISC is empty"),
        ("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t3-2:dep\t_", "invalid DEPS '3-2:dep'"),
        ("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root|2-1:x\t_", "'2-1' is not a valid ID"),
        ("1\tHi\thi\tINTJ\tUH\t_\t01\troot\t0:root\t_", "invalid HEAD '01'"),
        ("1\tHi\thi\tINTJ\tUH\t_\t\u0661\troot\t0:root\t_", "invalid HEAD"),
    ],
)
def test_more_malformed_lines_name_the_line(line, reason):
    good = "1\tA\ta\tDET\tDT\t_\t0\troot\t0:root\t_"
    with pytest.raises(DataFormatError) as info:
        parse_conllu(f"{good}\n\n# c\n{line}\n", source="x.conllu")
    assert str(info.value).startswith("x.conllu:4: ")
    assert reason in str(info.value)


def test_deps_with_a_forward_range_or_free_text_are_kept():
    for deps in ("2-3:dep", "not-a-list", "_"):
        line = f"1\tHi\thi\tINTJ\tUH\t_\t0\troot\t{deps}\t_\n"
        assert parse_conllu(line)[0].column("DEPS") == (deps,)


def test_sentences_longer_than_a_thousand_words():
    lines = [f"{i}\tw{i}\t_\tX\t_\t_\t{i - 1}\tdep\t_\t_" for i in range(1, 1206)]
    [sentence] = parse_conllu("\n".join(lines) + "\n")
    assert len(sentence) == 1205 and sentence.words[-1] == "w1205"
    assert sentence.column("HEAD")[-1] == "1204"
    skipped = lines[:1100] + lines[1101:]
    with pytest.raises(DataFormatError, match="<string>:1101: word ID 1102 out of sequence, "
                                              "expected 1101"):
        parse_conllu("\n".join(skipped))
    bad_head = [*lines[:1050], lines[1050].replace("\t1050\t", "\t01050\t"), *lines[1051:]]
    with pytest.raises(DataFormatError, match="<string>:1051: invalid HEAD '01050'"):
        parse_conllu("\n".join(bad_head))
