"""The running-text view of CoNLL-U (rnnlab.data.ud_document): tokens with SpaceAfter,
multiword tokens with their words, paragraph and document marks, and clear errors."""

from __future__ import annotations

import pytest
from shared_data import shared_file

from rnnlab.data.errors import DataFormatError
from rnnlab.data.ud_document import paragraphs, parse_ud, read_ud

TEXT = """# newdoc id = d1
# newpar
# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\tCase=Nom\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\tMood=Ind\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
3.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t_\t_
4\tknow\tknow\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\tSpaceAfter=No
2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_

# newpar
# text = Ok
1\tOk\tok\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_tokens_words_and_marks():
    first, second, third = parse_ud(TEXT)
    assert [t.form for t in first.tokens] == ["I", "don't", "know", "."]
    assert [t.space_after for t in first.tokens] == [True, True, False, True]
    dont = first.tokens[1]
    assert dont.multiword and [w.form for w in dont.words] == ["do", "n't"]
    assert (dont.words[0].lemma, dont.words[0].upos, dont.words[0].xpos,
            dont.words[0].feats) == ("do", "AUX", "VBP", "Mood=Ind")
    assert len(first.words) == 5  # the empty node 3.1 is skipped
    assert (first.text, first.new_document, first.new_paragraph, first.line) == (
        "I don't know.", True, True, 1)
    assert second.text is None and second.surface() == "Yes!"
    assert not second.new_paragraph and third.new_paragraph
    assert [len(p) for p in paragraphs([first, second, third])] == [2, 1]


def test_a_file_without_marks_is_one_paragraph():
    sentences = parse_ud("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n\n1\tb\t_\t_\t_\t_\t_\t_\t_\t_\n")
    assert [len(p) for p in paragraphs(sentences)] == [2]
    assert parse_ud("") == [] and paragraphs([]) == []


@pytest.mark.parametrize(("text", "message"), [
    ("1\ta\t_\n", r"<string>:1: expected 10 tab-separated columns, found 3"),
    ("1\t\t_\t_\t_\t_\t_\t_\t_\t_\n", "<string>:1: empty FORM"),
    ("2\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", "word ID 2 out of sequence, expected 1"),
    ("x\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", "invalid ID 'x'"),
    ("1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n\n",
     "multiword token 1-2 is not followed by its words"),
    ("1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n3\tb\t_\t_\t_\t_\t_\t_\t_\t_\n",
     "<string>:3: word ID '3' inside multiword token 1-2, expected 2"),
    ("2-3\tab\t_\t_\t_\t_\t_\t_\t_\t_\n", "multiword token 2-3 must span the next words"),
    ("# text = a\n\n", "<string>:2: comment lines without a sentence"),
    ("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n# x\n", "<string>:2: a comment inside a sentence"),
])
def test_malformed_lines_are_clear_errors(text, message):
    with pytest.raises(DataFormatError, match=message):
        parse_ud(text)


def test_ewt_reads_whole():
    sentences = read_ud(shared_file("ud-english-ewt", "dev"))
    assert len(sentences) == 2001
    assert all(s.text is not None for s in sentences)
    assert sum(t.multiword for s in sentences for t in s.tokens) > 100
