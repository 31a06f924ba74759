"""The segmentation lexicon (rnnlab.models.segmentation_lexicon): what it learns from small
hand-made training paragraphs, how it changes the token ends of hand-made label
probabilities, how a tokenizer saves it, and folders without one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab.data.tokenizer_labels import INSIDE, LABELS, TOKEN_END, LabelledParagraph
from rnnlab.models import KINDS, open_model_dir
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation import decode, space_mask
from rnnlab.models.segmentation_lexicon import MIN_PAIRED, SegmentationLexicon
from rnnlab.models.tokenizer import Tokenizer, TokenizerConfig


def paragraph(marked: str) -> LabelledParagraph:
    """A training paragraph written with ``|`` between the tokens of a run of non-space
    characters: ``"non-stop well|-|known"``."""
    text, labels = [], []
    for i, chunk in enumerate(marked.split(" ")):
        if i:
            text.append(" ")
            labels.append(INSIDE)
        for token in chunk.split("|"):
            text.append(token)
            labels += [INSIDE] * (len(token) - 1) + [TOKEN_END]
    return LabelledParagraph("".join(text), np.array(labels, np.int8))


def probabilities(text: str, ends: dict[int, float]) -> np.ndarray:
    """Label probabilities of ``text``: a token end with probability ``ends[i]`` at
    character ``i`` (0 elsewhere)."""
    p = np.zeros((len(text), len(LABELS)), np.float32)
    for i in range(len(text)):
        p[i, TOKEN_END] = ends.get(i, 0.0)
        p[i, INSIDE] = 1.0 - p[i, TOKEN_END]
    return p


def forms(lexicon: SegmentationLexicon | None, text: str, ends: dict[int, float]) -> list[str]:
    (sentence,) = decode(text, 0, len(text), probabilities(text, ends), MultiwordExpander(),
                         lexicon)
    return [t.form for t in sentence.tokens]


# ------------------------------------------------------------------ learning
HYPHENS = ["non-stop", "non-stop", "non-stop", "well|-|known", "well|-|known", "well|-|known",
           "re-do", "two|-|way", "co-op", "x|-|ray"]


def test_a_character_never_cut_on_one_side_only_is_paired():
    lexicon = SegmentationLexicon.build([paragraph(" ".join(HYPHENS))])
    assert lexicon.paired == {"-"}
    # one cut on one side only (``Nov.`` + ``28``) among ten: "." is not paired
    dots = ["a.b"] * (MIN_PAIRED - 1) + ["Nov.|28"]
    assert SegmentationLexicon.build([paragraph(" ".join(HYPHENS + dots))]).paired == {"-"}
    # fewer than MIN_PAIRED occurrences: not enough to tell
    assert SegmentationLexicon.build([paragraph(" ".join(HYPHENS[:-1]))]).paired == set()


def test_the_word_before_a_paired_character_is_kept_when_seen_often_and_always_alike():
    lexicon = SegmentationLexicon.build([paragraph(" ".join(HYPHENS))])
    assert lexicon.before == {("-", "non"): False, ("-", "well"): True}  # re, two, co, x: once


def test_forms_are_cut_as_training_cuts_them_in_three_quarters_of_their_occurrences():
    text = "on Sat. on Sat. on Sat. at #|1 at #|1 a|. A|. A|. A. (|<|>|) (|<|>|)"
    lexicon = SegmentationLexicon.build([paragraph(text)])
    assert lexicon.forms["Sat."] == () and lexicon.forms["#1"] == (1,)
    assert "A." not in lexicon.forms  # one token twice out of three: less than 3/4
    assert lexicon.forms["<>"] == (1,) and lexicon.forms["(<>)"] == (1, 2, 3)
    assert "at" not in lexicon.forms  # a word of letters: never cut by the labels anyway
    assert "a." not in lexicon.forms  # cut once: forms of several tokens need two


def test_entries_survive_saving_and_bad_entries_are_refused():
    lexicon = SegmentationLexicon.build([paragraph(" ".join(HYPHENS) + " #|1 #|1 Sat.")])
    again = SegmentationLexicon(lexicon.entries)
    assert (again.paired, again.before, again.forms) == (
        lexicon.paired, lexicon.before, lexicon.forms)
    for bad in ["paired", "paired\t--", "before\t-\tnon\tmaybe", "form", "form\tab\ta\tc",
                "other\tx"]:
        with pytest.raises(ValueError, match="lexicon entry 1 .* is not 'paired<tab>C'"):
            SegmentationLexicon([bad])


# ------------------------------------------------------------------ decoding
PAIRED = SegmentationLexicon(["paired\t-", "before\t-\tnon\tjoined", "before\t-\ttwo\tcut"])


def test_the_two_cuts_around_a_paired_character_are_decided_together():
    text = "anti-American"  # the labels alone: a token end at "-" only (0.6) → "anti-" "American"
    assert forms(None, text, {4: 0.6}) == ["anti-", "American"]
    assert forms(PAIRED, text, {4: 0.6}) == ["anti-American"]  # 0.0 + 0.6 < 1: neither
    assert forms(PAIRED, text, {3: 0.45, 4: 0.6}) == ["anti", "-", "American"]  # 1.05: both
    assert forms(PAIRED, "a - b", {}) == ["a", "-", "b"]  # whitespace: not between letters
    assert forms(PAIRED, "a-b-c", {0: 0.9, 1: 0.9}) == ["a", "-", "b-c"]  # each on its own


def test_a_known_word_before_a_paired_character_decides_it():
    assert forms(PAIRED, "non-stop", {2: 0.9, 3: 0.9}) == ["non-stop"]
    assert forms(PAIRED, "NON-stop", {2: 0.9, 3: 0.9}) == ["NON-stop"]  # any case
    assert forms(PAIRED, "two-way", {}) == ["two", "-", "way"]
    assert forms(PAIRED, "few-way", {}) == ["few-way"]  # unknown: the probabilities


def test_a_form_is_cut_as_training_cut_it_where_it_is_a_run_of_whole_tokens():
    lexicon = SegmentationLexicon(["form\tSat.", "form\t#1\t#\t1", "form\t$$", "form\t$$$$"])
    assert forms(lexicon, "on Sat. ok", {5: 0.9}) == ["on", "Sat.", "ok"]
    assert forms(lexicon, "Sat..", {2: 0.9, 3: 0.9}) == ["Sat.", "."]
    assert forms(lexicon, "Sat..", {2: 0.9}) == ["Sat", ".."]  # "Sat." ends inside a token
    assert forms(lexicon, "xSat.", {0: 0.9, 3: 0.9}) == ["x", "Sat."]
    assert forms(lexicon, "#1 #12", {}) == ["#", "1", "#12"]  # "#12" is not "#1"
    # the longest form from each token start, then on after it
    assert forms(lexicon, "$$$$$", {0: 0.9, 1: 0.9, 2: 0.9, 3: 0.9}) == ["$$$$", "$"]
    assert forms(lexicon, "$$ $$", {0: 0.9, 3: 0.9}) == ["$$", "$$"]  # never over whitespace


def test_sentence_ends_and_offsets_stay_with_the_labels():
    lexicon = SegmentationLexicon(["paired\t-", "form\tetc."])
    text = "ab-cd etc. Next"
    p = probabilities(text, {1: 0.7, 2: 0.7, 8: 0.9})
    p[9, :] = 0.0
    p[9, LABELS.index("sentence end")] = 1.0
    first, second = decode(text, 0, len(text), p, MultiwordExpander(), lexicon)
    assert [(t.form, t.start, t.end, t.space_after) for t in first.tokens] == [
        ("ab", 0, 2, False), ("-", 2, 3, False), ("cd", 3, 5, True), ("etc.", 6, 10, True)]
    assert [t.form for t in second.tokens] == ["Next"]


@pytest.mark.parametrize("text", ["", "-", "a-", "-a", " - ", "x\u2028-\u2028y", "😀-😀",
                                  "\ud800-a", "a-b" * 50_000])
def test_odd_text_keeps_every_character_and_whitespace_as_a_cut(text):
    lexicon = SegmentationLexicon(["paired\t-", "form\t-a", "form\ta-b\ta\t-\tb"])
    space = space_mask(text)
    ends = lexicon.cut(text, np.full(len(text), 0.5), space, ~space)
    assert ends.dtype == bool and len(ends) == len(text)
    assert not (ends & space).any()
    follows = np.append(space[1:], True) & ~space
    assert ends[follows].all()


# ------------------------------------------------------------------ the model folder
def test_a_tokenizer_saves_its_lexicon_and_an_old_folder_loads_without_one(tmp_path):
    model = KINDS["tokenizer"].sample()
    assert model.config.lexicon and model.lexicon is not None
    folder = model.save(tmp_path / "new")
    assert json.loads((folder / "lexicon.json").read_text()) == model.lexicon.entries
    loaded = open_model_dir(folder, kind="tokenizer")
    assert loaded.lexicon.forms == model.lexicon.forms and loaded.lexicon.paired == {"-"}

    model.set_lexicon(None)  # a folder as rnnlab wrote it before the lexicon
    old = model.save(tmp_path / "old")
    config = json.loads((old / "config.json").read_text())
    del config["config"]["lexicon"]
    (old / "config.json").write_text(json.dumps(config))
    assert not (old / "lexicon.json").exists()
    assert open_model_dir(old, kind="tokenizer").lexicon is None


def test_config_and_lexicon_must_agree():
    model = KINDS["tokenizer"].sample()
    with pytest.raises(ValueError, match="config.lexicon needs lexicon entries, and only then"):
        Tokenizer(TokenizerConfig(lexicon=True), model.chars)
    with pytest.raises(ValueError, match="config.lexicon needs lexicon entries, and only then"):
        Tokenizer(TokenizerConfig(), model.chars, lexicon=[])
