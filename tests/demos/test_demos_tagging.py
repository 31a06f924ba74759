"""The main job: the shipped tagger lays out word over UPOS over XPOS."""

from rnnlab.cli import main
from rnnlab.demos.tagging import TaggingDemoConfig, aligned, run_tagging_demo
from rnnlab.models.tagger import TaggedWord


def test_aligned_columns_share_widths():
    text = aligned([TaggedWord("cats", "NOUN", "NNS"), TaggedWord("were", "AUX", "VBD")])
    assert text.splitlines() == ["cats  were", "NOUN  AUX", "NNS   VBD"]


def test_demo_tags_the_lecture_sentence_with_the_shipped_model():
    out = run_tagging_demo(TaggingDemoConfig(sentences=["The cats were full ."]))
    words, upos, xpos = out.splitlines()[1:4]
    assert words.split() == ["The", "cats", "were", "full", "."]
    assert upos.split()[1] == "NOUN" and xpos.split()[1] == "NNS"
    assert upos.split()[-1] == "PUNCT"


def test_demo_command_accepts_sentences(capsys):
    assert main(["demo", "tagger", "Dogs bark ."]) == 0
    assert "Dogs" in capsys.readouterr().out
