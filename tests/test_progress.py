"""Progress bars of reading, tagging, evaluating, classifying and translating: off when
standard error is not a terminal, on when asked for, quiet on a terminal for short loops."""

import io
import sys

import pytest
from shared_data import shared_file

from rnnlab import progress
from rnnlab.data import read_conllu
from rnnlab.models import samples
from rnnlab.tasks import tagging, translation

SENTENCES = [["The", "cat", "sat", "."], ["Dogs", "ran", "!"]] * 40


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_means_a_terminal(monkeypatch, capsys):
    assert progress.enabled(None) is False  # capsys: not a terminal
    assert progress.enabled(True) and not progress.enabled(False)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert progress.enabled(None) is True


def test_an_automatic_bar_stays_quiet_for_a_short_loop(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.progress_bar(3, "work", "item", None) as bar:
        bar.update(3)
    assert terminal.getvalue() == ""
    with progress.progress_bar(3, "work", "item", True) as bar:
        bar.update(3)
    assert "work" in terminal.getvalue()


def test_reading_shows_a_bar_only_when_asked(capsys):
    path = shared_file("ud-english-ewt", "dev")
    read_conllu(path)
    assert capsys.readouterr().err == ""
    read_conllu(path, progress=True)
    err = capsys.readouterr().err
    assert "reading" in err and "sent/s" in err


@pytest.fixture(scope="module")
def tagger():
    return samples.tagger()


def test_tagging_bar_counts_words(tagger, capsys):
    quiet = tagger.predict(SENTENCES)
    assert capsys.readouterr().err == ""
    shown = tagger.predict(SENTENCES, batch_size=8, progress=True)
    err = capsys.readouterr().err
    assert "tagging" in err and "word/s" in err and "280" in err  # 80 sentences, 280 words
    assert shown == quiet
    tagger.tag_many(SENTENCES, progress=False)
    assert capsys.readouterr().err == ""


def test_evaluating_a_tagger_passes_progress_on(tagger, capsys):
    class Gold:
        def __init__(self, words):
            self.words, self.upos, self.xpos = words, ["NOUN"] * len(words), ["_"] * len(words)

    gold = [Gold(words) for words in SENTENCES]
    tagging.evaluate(tagger, gold)
    assert capsys.readouterr().err == ""
    report = tagging.evaluate(tagger, gold, progress=True)
    assert report["tokens"] == 280
    assert "tagging" in capsys.readouterr().err


def test_translating_bar_counts_sentences(capsys):
    model = samples.seq2seq()
    sources = ["the cat sat .", "a dog ran !"] * 5
    options = translation.DecodingOptions(beam=2, batch_size=4, max_length_extra=2)
    quiet = translation.translate(model, sources, options)
    assert capsys.readouterr().err == ""
    shown = translation.translate(model, sources, options, progress=True)
    err = capsys.readouterr().err
    assert "translating" in err and "sent/s" in err
    assert [t.text for t in shown] == [t.text for t in quiet]


def test_classifying_bar_counts_sentences(capsys):
    model = samples.classifier()
    quiet = model.predict_proba(SENTENCES)
    assert capsys.readouterr().err == ""
    shown = model.predict_proba(SENTENCES, progress=True)
    err = capsys.readouterr().err
    assert "classifying" in err and "sent/s" in err
    assert (shown == quiet).all()
