"""Writing predicted FEATS into CoNLL-U: only that column of word lines changes."""

from __future__ import annotations

import pytest

from rnnlab.data.conllu_io import format_conllu, parse_conllu

TEXT = ("# text = I don't\r\n"
        "1\tI\tI\tPRON\tPRP\tCase=Nom\t2\tnsubj\t_\t_\r\n"
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
        "2\tdo\tdo\tAUX\tVBP\t_\t0\troot\t_\tSpaceAfter=No\r\n"
        "3\tn't\tnot\tPART\tRB\t_\t2\tadvmod\t_\t_\r\n"
        "\r\n")


def test_feats_replace_the_column_and_keep_every_other_byte():
    sentences = parse_conllu(TEXT)
    out = format_conllu(sentences, feats=[["Number=Sing", "Mood=Ind", "Polarity=Neg"]])
    lines, before = out.split("\n"), TEXT.split("\n")
    assert lines[1] == "1\tI\tI\tPRON\tPRP\tNumber=Sing\t2\tnsubj\t_\t_\r"
    assert lines[3] == "2\tdo\tdo\tAUX\tVBP\tMood=Ind\t0\troot\t_\tSpaceAfter=No\r"
    assert [lines[i] for i in (0, 2, 5)] == [before[i] for i in (0, 2, 5)]
    assert parse_conllu(out)[0].feats == ("Number=Sing", "Mood=Ind", "Polarity=Neg")
    assert format_conllu(sentences, upos=[["X", "X", "X"]]).split("\n")[1].split("\t")[5] == (
        "Case=Nom")  # without FEATS the column is kept


@pytest.mark.parametrize("feats", [["a b", "_", "_"], ["", "_", "_"], ["_"]])
def test_invalid_feats_are_refused(feats):
    with pytest.raises(ValueError, match="FEATS"):
        parse_conllu(TEXT)[0].with_tags(feats=feats)
