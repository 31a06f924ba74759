"""Gold CoNLL-U back to running text (rnnlab.data.running_text) and the character labels
a tokenizer learns from it (rnnlab.data.tokenizer_labels), worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import shared_file

from rnnlab.data.errors import DataFormatError
from rnnlab.data.running_text import paragraph_text, running_text, wrap
from rnnlab.data.tokenizer_labels import (
    INSIDE,
    MULTIWORD_END,
    MULTIWORD_SENTENCE_END,
    SENTENCE_END,
    TOKEN_END,
    labelled_paragraphs,
    paragraph_labels,
)
from rnnlab.data.ud_document import parse_ud, read_ud


def line(i, form, misc="_"):
    return f"{i}\t{form}\t_\t_\t_\t_\t_\t_\t_\t{misc}\n"


# "I don't know." + "Ok!" in one paragraph (the first ends without a space after it),
# then "Bye" in the next
TREEBANK = (
    "# newpar\n# text = I don't know.\n" + line(1, "I") + line("2-3", "don't") + line(2, "do")
    + line(3, "n't") + line(4, "know", "SpaceAfter=No") + line(5, ".", "SpaceAfter=No") + "\n"
    + "# text = Ok!\n" + line(1, "Ok", "SpaceAfter=No") + line(2, "!") + "\n"
    + "# newpar\n# text = Bye\n" + line(1, "Bye") + "\n"
)


def test_running_text_joins_sentences_with_a_space_and_paragraphs_with_a_blank_line():
    sentences = parse_ud(TREEBANK)
    assert running_text(sentences) == "I don't know. Ok!\n\nBye\n"
    assert running_text([]) == ""


def test_paragraph_text_keeps_the_treebank_spacing():
    sentences = parse_ud(TREEBANK)
    assert paragraph_text(sentences[:2]) == "I don't know.Ok!"


def test_wrapping_breaks_lines_at_whitespace():
    assert wrap("aa bb cc dd", 5) == "aa bb\ncc dd"
    assert wrap("aaaaaaa bb", 5) == "aaaaaaa\nbb"  # a longer word stays whole
    sentences = parse_ud(TREEBANK)
    assert running_text(sentences, width=8) == "I don't\nknow.\nOk!\n\nBye\n"
    with pytest.raises(ValueError, match="width must be >= 0"):
        running_text(sentences, width=-1)


def test_character_labels_of_a_hand_worked_paragraph():
    first, second = labelled_paragraphs(parse_ud(TREEBANK))
    assert first.text == "I don't know.Ok!"
    expected = np.zeros(len(first.text), np.int8)
    expected[0] = TOKEN_END               # I
    expected[6] = MULTIWORD_END           # don't
    expected[11] = TOKEN_END              # know (SpaceAfter=No)
    expected[12] = SENTENCE_END           # .
    expected[14] = TOKEN_END              # Ok
    expected[15] = SENTENCE_END           # !
    np.testing.assert_array_equal(first.labels, expected)
    assert second.text == "Bye" and list(second.labels) == [INSIDE, INSIDE, SENTENCE_END]


def test_a_form_that_is_not_in_the_text_is_a_clear_error():
    bad = "# text = I do not\n" + line(1, "I") + line(2, "don't") + "\n"
    with pytest.raises(DataFormatError, match=r"f.conllu:1: token 2 \"don't\" is not in the "
                                              r"sentence's # text at character 3"):
        paragraph_labels(parse_ud(bad), "f.conllu")
    extra = "# text = I do\n" + line(1, "I") + "\n"
    with pytest.raises(DataFormatError, match="goes on after its last token"):
        paragraph_labels(parse_ud(extra))


def test_every_ewt_paragraph_fits_its_tokens():
    sentences = read_ud(shared_file("ud-english-ewt", "dev"))
    labelled = labelled_paragraphs(sentences, "dev")
    sentence_ends = sum(int(np.isin(p.labels, (SENTENCE_END, MULTIWORD_SENTENCE_END)).sum())
                        for p in labelled)
    assert sentence_ends == len(sentences)
    forms = "".join(t.form for s in sentences for t in s.tokens)
    assert "".join(running_text(sentences).split()) == forms
    assert "".join("".join(p.text for p in labelled).split()) == forms
