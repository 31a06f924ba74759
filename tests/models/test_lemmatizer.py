"""The lemmatizer (rnnlab.models.lemmatizer): dictionary first, then the network's edit
choice (identity, lower-case, generate) and greedy character decoding; saving and
loading; what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import random as rnd
from rnnlab.models import open_model_dir
from rnnlab.models.lemmatizer import (
    GENERATE,
    IDENTITY,
    LOWER,
    Lemmatizer,
    LemmatizerConfig,
    dictionary_entries,
    edit_of,
)
from rnnlab.optim import Adam

WORDS = [
    ("saw", "VERB", "Tense=Past", "see"), ("saw", "VERB", "Tense=Past", "see"),
    ("saw", "NOUN", "Number=Sing", "saw"), ("cats", "NOUN", "Number=Plur", "cat"),
    ("The", "DET", "_", "the"), ("Paris", "PROPN", "Number=Sing", "Paris"),
    ("walked", "VERB", "Tense=Past", "walk"), ("left", "VERB", "_", "leave"),
    ("left", "ADJ", "_", "left"), ("left", "VERB", "_", "leave"),
]
SMALL = LemmatizerConfig(char_dim=8, hidden=8, min_char_freq=1, dropout=0.0)


@pytest.fixture
def model() -> Lemmatizer:
    rnd.seed(3)
    return Lemmatizer.build(WORDS, SMALL)


def _force_edit(model: Lemmatizer, edit: int) -> None:
    """Make the edit classifier choose ``edit`` for every word."""
    model.edit_head.weight.data[:] = 0.0
    model.edit_head.bias.data[:] = 0.0
    model.edit_head.bias.data[edit] = 10.0


# ------------------------------------------------------------------ dictionary
def test_edit_of_names_the_three_edits():
    assert edit_of("cats", "cats") == IDENTITY
    assert edit_of("The", "the") == LOWER
    assert edit_of("cats", "cat") == GENERATE
    assert edit_of("the", "the") == IDENTITY  # lower-casing that changes nothing is identity


def test_dictionary_entries_count_each_form_tag_lemma():
    entries = dictionary_entries(WORDS)
    assert "saw\tVERB\tsee\t2" in entries and "saw\tNOUN\tsaw\t1" in entries
    assert entries == sorted(entries)


def test_lookup_by_form_and_tag(model):
    assert model.lookup("saw", "VERB") == "see"
    assert model.lookup("saw", "NOUN") == "saw"
    assert model.lookup("left", "ADJ") == "left"
    assert model.lookup("saw", "ADJ") is None  # a seen form with another tag: the network
    assert model.lookup("dogs", "NOUN") is None
    assert "saw" in model.train_forms and "dogs" not in model.train_forms


def test_the_most_frequent_lemma_wins_ties_the_first():
    words = [("saw", "VERB", "_", "see"), ("saw", "VERB", "_", "saw"),
             ("saw", "VERB", "_", "see"), ("x", "X", "_", "b"), ("x", "X", "_", "a")]
    model = Lemmatizer.build(words, SMALL)
    assert model.lookup("saw", "VERB") == "see" and model.lookup("x", "X") == "a"


def test_dictionary_hits_never_touch_the_network(model, monkeypatch):
    def refuse(words, batch_size=256):
        raise AssertionError("the network ran for a seen word")

    monkeypatch.setattr(model, "predict_unseen", refuse)
    assert model.lemmatize_many([["The", "cats", "saw", "Paris"]],
                                [["DET", "NOUN", "NOUN", "PROPN"]]) == [["the", "cat", "saw",
                                                                         "Paris"]]


def test_unseen_words_go_through_the_network_once_each(model, monkeypatch):
    calls = []

    def network(words, batch_size=256):
        calls.append(list(words))
        return [f"<{form}>" for form, _, _ in words]

    monkeypatch.setattr(model, "predict_unseen", network)
    lemmas = model.lemmatize_many([["dogs", "saw", "dogs"], ["dogs", "ran", "saw"]],
                                  [["NOUN", "VERB", "NOUN"], ["NOUN", "VERB", "ADJ"]])
    assert lemmas == [["<dogs>", "see", "<dogs>"], ["<dogs>", "<ran>", "<saw>"]]
    assert calls == [[("dogs", "NOUN", "_"), ("ran", "VERB", "_"), ("saw", "ADJ", "_")]]
    calls.clear()  # FEATS a model does not read do not split a form into two passes
    model.lemmatize_many([["dogs", "dogs"]], [["NOUN", "NOUN"]], [["Number=Plur", "_"]])
    assert calls == [[("dogs", "NOUN", "_")]]


# ------------------------------------------------------------------ the network
def test_identity_and_lower_edits_return_the_form(model):
    _force_edit(model, IDENTITY)
    assert model.lemmatize(["Tasks", "SaTe"], ["NOUN", "VERB"]) == ["Tasks", "SaTe"]
    _force_edit(model, LOWER)
    assert model.lemmatize(["Tasks", "SaTe"], ["NOUN", "VERB"]) == ["tasks", "sate"]


def test_a_lemma_is_never_empty(model):
    _force_edit(model, GENERATE)
    output = model.seq2seq.output
    output.weight.data[:] = 0.0
    output.bias.data[:] = 0.0
    output.bias.data[model.target.eos_id] = 10.0  # the decoder ends at once
    assert model.lemmatize(["dogs"], ["NOUN"]) == ["dogs"]


def test_an_unknown_output_character_copies_the_attended_source_character(model):
    _force_edit(model, GENERATE)
    output = model.seq2seq.output
    output.weight.data[:] = 0.0
    output.bias.data[:] = 0.0
    output.bias.data[model.target.unk_id] = 10.0  # <unk> at every step, up to the limit
    (lemma,) = model.lemmatize(["tacs"], ["NOUN"])
    assert len(lemma) == len("tacs") + SMALL.max_extra_chars
    assert set(lemma) <= set("tacs")


def test_long_unseen_words_keep_their_form(model):
    _force_edit(model, LOWER)
    long_word = "a" * (SMALL.max_word_chars + 1)
    assert model.lemmatize([long_word, "Tasks"], ["X", "NOUN"]) == [long_word, "tasks"]


def test_words_in_an_unknown_script_keep_their_form(model):
    _force_edit(model, LOWER)
    assert not model.readable("Москва") and model.readable("Caté")  # é unknown, 1 of 4
    assert model.lemmatize(["Москва", "Caté"], ["PROPN", "NOUN"]) == ["Москва", "caté"]


def test_the_network_learns_suffixes_and_copying():
    """Trained briefly on -s, -ing, capitalised names (kept) and capitals (lower-cased),
    the network lemmatizes stems it never saw."""
    generator = np.random.default_rng(0)
    letters = list("abdeiklmnoprtu")
    stems = sorted({"".join(generator.choice(letters, generator.integers(3, 6)))
                    for _ in range(600)})

    def forms(stem):
        return [(stem + "s", "NOUN", "_", stem), (stem + "ing", "VERB", "_", stem),
                (stem.capitalize(), "PROPN", "_", stem.capitalize()),
                (stem.upper(), "X", "_", stem)]

    train = [w for stem in stems[:-20] for w in forms(stem)]
    test = [w for stem in stems[-20:] for w in forms(stem)]
    rnd.seed(0)
    model = Lemmatizer.build(train, LemmatizerConfig(char_dim=12, hidden=24, dropout=0.1,
                                                     min_char_freq=1))
    optimizer = Adam(model.parameters(), lr=0.02)
    order = np.random.default_rng(1)
    for _ in range(100):
        batch = model.encode([train[i] for i in order.choice(len(train), 48, replace=False)])
        loss = model.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predicted = model.predict_unseen([(f, u, x) for f, u, x, _ in test])
    right = [p == lemma for p, (*_, lemma) in zip(predicted, test, strict=True)]
    by_kind = {upos: np.mean([r for r, w in zip(right, test, strict=True) if w[1] == upos])
               for upos in ("NOUN", "VERB", "PROPN", "X")}
    assert by_kind["PROPN"] == 1.0 and by_kind["X"] == 1.0  # the learned copy edits
    assert by_kind["NOUN"] >= 0.8 and by_kind["VERB"] >= 0.8, by_kind


# ------------------------------------------------------------------ files
def test_save_and_load_round_trip(model, tmp_path):
    _force_edit(model, GENERATE)
    words, upos = ["dogs", "saw", "Berlin"], ["NOUN", "VERB", "PROPN"]
    before = model.lemmatize(words, upos)
    model.save(tmp_path / "m")
    loaded = open_model_dir(tmp_path / "m", kind="lemmatizer")
    assert isinstance(loaded, Lemmatizer)
    assert loaded.lemmatize(words, upos) == before
    assert loaded.dictionary == model.dictionary and loaded.config == model.config
    assert Lemmatizer.load(tmp_path / "m").lemmatize(words, upos) == before


def test_float16_weights_load(model, tmp_path):
    model.save(tmp_path / "m16", weight_dtype=np.float16)
    loaded = Lemmatizer.load(tmp_path / "m16")
    assert loaded.lemmatize(["saw"], ["VERB"]) == ["see"]


def test_a_damaged_dictionary_is_refused_naming_the_folder(model, tmp_path):
    directory = model.save(tmp_path / "m")
    (directory / "dictionary.json").write_text('["saw\\tVERB"]', encoding="utf-8")
    with pytest.raises(ValueError, match="dictionary entry 0"):
        open_model_dir(directory)


def test_feats_reach_the_network_of_a_model_that_reads_them():
    rnd.seed(0)
    model = Lemmatizer.build(WORDS, LemmatizerConfig(char_dim=4, hidden=4, min_char_freq=1,
                                                     use_feats=True))
    with_feats = model.source_ids("dogs", "NOUN", "Number=Plur|Foo=Bar")
    assert model.source.tokens[with_feats[1]] == "Number=Plur"
    assert with_feats[2] == model.source.unk_id  # a feature training never saw
    assert len(with_feats) == 3 + len("dogs")
    plain = Lemmatizer.build(WORDS, SMALL)
    assert len(plain.source_ids("dogs", "NOUN", "Number=Plur")) == 1 + len("dogs")


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("sentences, upos, feats, message", [
    ("The cats", [["DET", "NOUN"]], None, "not a string"),
    (["The", "cats"], [["DET"], ["NOUN"]], None, "is a string"),
    ([["The", "cats"]], [["DET"]], None, "2 words but upos"),
    ([["The", ""]], [["DET", "NOUN"]], None, "non-empty strings"),
    ([["The", "cats"]], [["DET", "NOUN"]], [["_"]], "2 words but feats"),
    ([["The"]], [["DET"], ["NOUN"]], None, "one list per sentence"),
])
def test_bad_input_is_refused(model, sentences, upos, feats, message):
    with pytest.raises(ValueError, match=message):
        model.lemmatize_many(sentences, upos, feats)


def test_lemmatize_refuses_a_string(model):
    with pytest.raises(ValueError, match="not a string"):
        model.lemmatize("The cats", ["DET", "NOUN"])


def test_empty_input_gives_empty_output(model):
    assert model.lemmatize_many([], []) == []
    assert model.lemmatize_many([[]], [[]]) == [[]]


def test_build_refuses_no_words():
    with pytest.raises(ValueError, match="zero training words"):
        Lemmatizer.build([], SMALL)


@pytest.mark.parametrize("field, value", [("hidden", 0), ("dropout", 1.0),
                                          ("max_word_chars", -1)])
def test_config_refuses_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        LemmatizerConfig(**{field: value})
