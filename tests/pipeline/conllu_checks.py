"""What every test of the pipeline asks of its CoNLL-U: the format's rules, and a
document whose tokens are the pieces of its text."""

from __future__ import annotations

from rnnlab.data.ud_document import parse_ud
from rnnlab.pipeline import Document


def check_conllu(conllu: str) -> None:
    """Ten columns on every token line, word IDs 1, 2, … in each sentence, each range
    ``N-M`` straight before its words N … M, a ``# sent_id`` (1, 2, …) and a ``# text``
    before each sentence, no empty FORM, and the whole file readable by the CoNLL-U reader."""
    assert conllu == "" or conllu.endswith("\n\n")
    blocks = conllu.split("\n\n")[:-1] if conllu else []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        comments = [line for line in lines if line.startswith("#")]
        assert f"# sent_id = {number}" in comments
        assert any(line.startswith("# text = ") for line in comments)
        expected, range_end = 1, 0
        for line in lines[len(comments):]:
            columns = line.split("\t")
            assert len(columns) == 10 and columns[1], line
            assert all(c == c.strip() and c for c in columns), line
            if "-" in columns[0]:
                first, last = map(int, columns[0].split("-"))
                assert first == expected and last > first
                range_end = last
            else:
                assert int(columns[0]) == expected, line
                if expected <= range_end:
                    assert columns[9] == "_"  # SpaceAfter sits on the range line
                expected += 1
        assert range_end < expected
    assert len(parse_ud(conllu)) == len(blocks)


def check_document(document: Document) -> None:
    """Each token is its piece of the text, tokens in order, ``space_after`` as the text
    says, and the CoNLL-U valid."""
    text, previous = document.text, 0
    for sentence in document.sentences:
        assert sentence.tokens
        for token in sentence.tokens:
            assert text[token.start:token.end] == token.form
            assert token.start >= previous and not text[previous:token.start].strip()
            assert token.space_after == (token.end == len(text) or text[token.end].isspace())
            previous = token.end
    assert not text[previous:].strip()
    check_conllu(document.to_conllu())
