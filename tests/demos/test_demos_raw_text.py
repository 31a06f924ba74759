"""``rnnlab demo pipeline``: the shipped pipeline on the built-in paragraph, or on text given."""

from __future__ import annotations

from rnnlab.cli import main
from rnnlab.data.ud_document import parse_ud
from rnnlab.demos.raw_text import TEXT, run_pipeline_demo


def test_the_demo_shows_the_text_and_its_conllu():
    out = run_pipeline_demo()
    header, quoted, conllu = out.split("\n\n", 2)
    assert "3 sentences" in header and "shipped UD English EWT 2.16 models" in header
    assert quoted.startswith("> Dr. Ellis hasn't left") and TEXT.split("\n")[-2] in quoted
    sentences = parse_ud(conllu + "\n\n")
    assert [s.text for s in sentences][2] == "Tomorrow we'll test it on 3,200 letters from " \
                                             "the 1890s."
    assert [w.form for w in sentences[0].tokens[2].words] == ["has", "n't"]
    assert sentences[0].new_document and sentences[2].new_paragraph


def test_the_command_takes_text(capsys):
    assert main(["demo", "pipeline", "It works. Really."]) == 0
    out = capsys.readouterr().out
    assert "2 sentences, 5 tokens, 5 words" in out and "# text = Really." in out
