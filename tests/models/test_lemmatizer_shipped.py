"""The shipped English lemmatizer (rnnlab/pretrained/en_ewt_lemmatizer): it loads without
a path, lemmatizes, and scores on UD English EWT test what its README says."""

from __future__ import annotations

from shared_data import shared_file

from rnnlab.models.lemmatizer import DEFAULT_MODEL_DIR, Lemmatizer
from rnnlab.tasks.lemmatization import evaluate, read_lemmatized

README_TEST_ACCURACY = 98.70  # gold UPOS, rnnlab/pretrained/en_ewt_lemmatizer/README.md


def test_the_shipped_model_loads_and_lemmatizes():
    model = Lemmatizer.load()
    assert DEFAULT_MODEL_DIR.name == "en_ewt_lemmatizer"
    assert model.lemmatize(["The", "children", "were", "running", "Москва"],
                           ["DET", "NOUN", "AUX", "VERB", "PROPN"]) == [
        "the", "child", "be", "run", "Москва"]
    size = sum(path.stat().st_size for path in DEFAULT_MODEL_DIR.iterdir())
    assert size <= 10 * 2**20


def test_the_shipped_model_scores_its_readme_figure_on_ewt_test():
    sentences = read_lemmatized(shared_file("ud-english-ewt", "test"))
    result = evaluate(Lemmatizer.load(), sentences)
    assert round(100 * result["lemma_accuracy"], 2) == README_TEST_ACCURACY
