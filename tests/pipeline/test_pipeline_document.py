"""The pipeline's document and its CoNLL-U, on the shipped English models."""

from __future__ import annotations

from pathlib import Path

import pytest
from conllu_checks import check_conllu, check_document

from rnnlab.data.ud_document import parse_ud
from rnnlab.models.tagger import TaggedWord
from rnnlab.pipeline import Document, Pipeline, Sentence, Token, Word
from rnnlab.pipeline.pipeline import joined, pieces

TEXT = ("The river rose overnight. We didn't expect it!\n\n"
        "By noon the road was closed, and the school sent everyone home.\n")


class Dictionary:
    """A lemmatizer of the pipeline's shape: a lookup table, the lower-cased form
    otherwise; it records what it was given."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table, self.calls = table, []

    def lemmatize_many(self, sentences, upos, feats=None):
        self.calls.append((sentences, upos, feats))
        return [[self.table.get(w, w.lower()) for w in words] for words in sentences]


class FeatureTagger:
    """A tagger of the pipeline's shape that predicts FEATS too."""

    def tag_many(self, sentences, batch_size=64, progress=None):
        return [[TaggedWord(w, "X", None, "Number=Sing" if w.isalpha() else None)
                 for w in words] for words in sentences]


@pytest.fixture(scope="module")
def nlp() -> Pipeline:
    return Pipeline(lemmatizer=False)


@pytest.fixture(scope="module")
def document(nlp) -> Document:
    return nlp(TEXT)


def test_sentences_tokens_and_words(document):
    assert [s.text for s in document.sentences] == [
        "The river rose overnight.", "We didn't expect it!",
        "By noon the road was closed, and the school sent everyone home."]
    assert [s.new_paragraph for s in document.sentences] == [True, False, True]
    assert [s.new_document for s in document.sentences] == [True, False, False]
    didnt = document.sentences[1].tokens[1]
    assert didnt.multiword and didnt.id == "2-3"
    assert [(w.id, w.form) for w in didnt.words] == [(2, "did"), (3, "n't")]
    assert [w.upos for w in document.sentences[0].words] == [
        "DET", "NOUN", "VERB", "ADV", "PUNCT"]
    assert document.sentences[0].tokens[3].space_after is False  # "overnight" before "."
    assert all(w.lemma == "_" for w in document.words)  # no lemmatizer
    assert document.sentences[0].words[1].feats == "Number=Sing"  # the tagger's FEATS head
    check_document(document)


def test_conllu_comments_ranges_and_space_after(document):
    conllu = document.to_conllu()
    check_conllu(conllu)
    assert conllu.startswith("# newdoc\n# newpar\n# sent_id = 1\n"
                             "# text = The river rose overnight.\n1\tThe\t")
    assert conllu.count("# newpar\n") == 2 and conllu.count("# newdoc") == 1
    assert "2-3\tdidn't\t_\t_\t_\t_\t_\t_\t_\t_\n2\tdid\t" in conllu
    assert "4\tovernight\t_\tADV\tRB\t_\t_\t_\t_\tSpaceAfter=No\n" in conllu
    gold = parse_ud(conllu)
    assert [t.form for s in gold for t in s.tokens] == [t.form for t in document.tokens]
    assert [s.new_paragraph for s in gold] == [True, False, True]


def test_lemmas_and_features_from_any_objects():
    lemmatizer = Dictionary({"rose": "rise", "didn't": "x"})
    nlp = Pipeline(tagger=FeatureTagger(), lemmatizer=lemmatizer)
    document = nlp("The river rose. It didn't stop.")
    words = document.words
    assert [w.lemma for w in words[:3]] == ["the", "river", "rise"]
    assert [w.feats for w in words[:4]] == ["Number=Sing"] * 3 + ["_"]
    sentences, upos, feats = lemmatizer.calls[0]
    assert sentences[1] == ["It", "did", "n't", "stop", "."]  # words, not tokens
    assert upos[1] == ["X"] * 5 and feats[1][2] == "_"
    assert "3\trose\trise\tX\t_\tNumber=Sing\t" in document.to_conllu()


def test_steps_left_out_and_model_folders(tmp_path):
    from rnnlab.pipeline.pipeline import SHIPPED_TOKENIZER

    nlp = Pipeline(tokenizer=str(SHIPPED_TOKENIZER), tagger=False, lemmatizer=False)
    document = nlp("Two words.")
    assert [(w.form, w.upos, w.xpos) for w in document.words] == [
        ("Two", "_", "_"), ("words", "_", "_"), (".", "_", "_")]
    with pytest.raises(ValueError, match="no tokenizer: give it pre-tokenized"):
        Pipeline(tokenizer=False, tagger=False)("Raw text.")
    with pytest.raises(TypeError, match="lemmatize_many"):
        Pipeline(tagger=False, lemmatizer=object())
    with pytest.raises(TypeError, match="tag_many"):
        Pipeline(tokenizer=False, tagger=42)
    with pytest.raises(FileNotFoundError):
        Pipeline(tokenizer=tmp_path / "missing", tagger=False)


def test_a_lemmatizer_that_loses_words_is_an_error():
    class Short:
        def lemmatize_many(self, sentences, upos, feats=None):
            return [words[:-1] for words in sentences]

    with pytest.raises(ValueError, match="number of lemmas"):
        Pipeline(tokenizer=False, tagger=False, lemmatizer=Short())([["a", "b"]])


def test_pretokenized_input_skips_the_tokenizer(nlp):
    document = nlp([["I", "do", "n't", "know", "."], ["Yes"]])
    assert document.text == "I do n't know . Yes"
    assert [[w.form for w in s.words] for s in document.sentences] == [
        ["I", "do", "n't", "know", "."], ["Yes"]]
    assert [s.new_paragraph for s in document.sentences] == [True, False]
    assert not any(t.multiword for t in document.tokens)
    assert [w.upos for w in document.sentences[0].words] == ["PRON", "AUX", "PART", "VERB",
                                                             "PUNCT"]
    check_document(document)


@pytest.mark.parametrize(("value", "error", "message"), [
    (["I", "know"], TypeError, "each a list of words; item 0 is a str"),
    ([["I"], []], ValueError, "sentence 1 has no words"),
    ([["I", ""]], ValueError, "sentence 0, word 1: words must be non-empty strings"),
    ([["a\tb"]], ValueError, "a tab or a line break"),
    ([["a\u2028b"]], ValueError, "a tab or a line break"),
    (b"bytes", TypeError, "got a bytes"),
    (42, TypeError, "got a int"),
])
def test_bad_pretokenized_input(nlp, value, error, message):
    with pytest.raises(error, match=message):
        nlp(value)


def test_long_sentences_are_tagged_in_pieces(monkeypatch):
    words = [["w", "x", "y", "z", "v"], ["a"]]
    parts, counts = pieces(words, 2)
    assert parts == [["w", "x"], ["y", "z"], ["v"], ["a"]] and counts == [3, 1]
    assert joined(parts, counts) == words
    tagger, lemmatizer = FeatureTagger(), Dictionary({})
    monkeypatch.setattr("rnnlab.pipeline.pipeline.MAX_WORDS", 2)
    document = Pipeline(tokenizer=False, tagger=tagger, lemmatizer=lemmatizer)(words)
    assert lemmatizer.calls[0][0] == parts  # each step reads pieces of at most 2 words
    assert [[w.id for w in s.words] for s in document.sentences] == [[1, 2, 3, 4, 5], [1]]
    assert [w.upos for w in document.words] == ["X"] * 6


def test_hand_built_document_writes_conllu():
    sentence = Sentence((
        Token("Don't", 0, 5, False, (Word(1, "Do", "do", "AUX", "VB"),
                                     Word(2, "n't", "not", "PART", "RB"))),
        Token("!", 5, 6, True, (Word(3, "!", "!", "PUNCT", ".", "_"),)),
    ), new_paragraph=True, new_document=True)
    assert Document("Don't!", (sentence,)).to_conllu() == (
        "# newdoc\n# newpar\n# sent_id = 1\n# text = Don't!\n"
        "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "1\tDo\tdo\tAUX\tVB\t_\t_\t_\t_\t_\n2\tn't\tnot\tPART\tRB\t_\t_\t_\t_\t_\n"
        "3\t!\t!\tPUNCT\t.\t_\t_\t_\t_\t_\n\n")
    assert Document("", ()).to_conllu() == ""


def test_rnnlab_pipeline_is_a_lazy_attribute():
    import rnnlab

    assert rnnlab.Pipeline is Pipeline and "Pipeline" in dir(rnnlab)


def test_importing_rnnlab_leaves_the_pipeline_unloaded():
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    probe = ("import json, sys, rnnlab\nfirst = 'rnnlab.pipeline' in sys.modules\n"
             "import rnnlab.pipeline\nprint(json.dumps([first, 'numpy' in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True,
                            text=True, check=True, env={**os.environ, "PYTHONPATH": str(root)})
    assert json.loads(result.stdout) == [False, False]  # the models load when a Pipeline does
