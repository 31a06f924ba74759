"""Empty inputs and empty evaluation or dev sets are errors that name the file, raised
before training starts — never an accuracy of 0.0 over 0 examples, a NaN dev loss, an
IndexError inside sacrebleu or a ZeroDivisionError (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.data import DataFormatError
from rnnlab.models import KINDS
from rnnlab.tasks import classification, generation, language_modelling, translation
from rnnlab.training import TrainerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TREES = "(3 (2 It) (4 (2 's) (3 fine)))\n(1 (2 too) (0 bad))\n"
NEUTRAL = "(2 (2 It) (2 (2 's) (2 there)))\n(2 (2 just) (2 so))\n"
LOOP = TrainerConfig(epochs=1, progress=False, checkpoint_every=0)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------- classification
def test_a_binary_sst_dev_set_of_only_neutral_trees(tmp_path):
    data = classification.ClassificationData(_write(tmp_path / "train.txt", TREES),
                                             _write(tmp_path / "dev.txt", NEUTRAL), classes=2)
    config = classification.ClassificationConfig(data, loop=LOOP)
    with pytest.raises(DataFormatError, match=r"dev.txt: no dev examples \(2 SST classes leave "
                                              r"out the neutral sentences\)"):
        classification.train(tmp_path / "run", config, verbose=False)
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_an_empty_dev_file(tmp_path):
    data = classification.ClassificationData(str(FIXTURES / "classifier" / "reviews.tsv"),
                                             _write(tmp_path / "dev.tsv", ""))
    with pytest.raises(DataFormatError, match=r"dev.tsv: no dev examples$"):
        classification.prepare(data, classification.ClassifierOptions())


@pytest.mark.parametrize("content", ["", "\n\n", "text\tlabel\n"])
def test_evaluating_a_classifier_on_no_examples(tmp_path, content):
    model = KINDS["sentence_classifier"].sample()
    path = _write(tmp_path / "empty.tsv", content)
    data = classification.read_for_model(model, path)
    with pytest.raises(DataFormatError, match="empty.tsv: no labelled examples to evaluate"):
        classification.evaluate(model, data, path)


def test_scoring_no_examples_is_not_a_number():
    with pytest.raises(ValueError, match="there are no examples to score"):
        classification.score(np.zeros((0, 2)), [], ["a", "b"])


# ------------------------------------------------------------------------- translation
def test_evaluating_a_translator_on_empty_files():
    model = KINDS["seq2seq"].sample()
    with pytest.raises(ValueError, match="there are no source sentences to translate and score"):
        translation.evaluate(model, [], [])


def test_a_translation_dev_set_without_a_non_empty_pair(tmp_path):
    lines = "ein hund\neine katze\n"
    data = translation.ParallelData(
        _write(tmp_path / "train.de", lines), _write(tmp_path / "train.en", "a dog\na cat\n"),
        _write(tmp_path / "dev.de", "\n\n"), _write(tmp_path / "dev.en", "a\n\n"), min_freq=1)
    with pytest.raises(DataFormatError, match=r"dev.de: no non-empty dev pairs \(with .*dev.en\)"):
        translation.prepare(data)


# ------------------------------------------------------------------ language modelling
@pytest.mark.parametrize("level", ["word", "char"])
def test_an_empty_language_modelling_file(tmp_path, level):
    text = _write(tmp_path / "text.txt", "the cat sat on the mat\n" * 5)
    empty = _write(tmp_path / "empty.txt", "")
    for data in (language_modelling.LanguageModelData(empty, level=level),
                 language_modelling.LanguageModelData(text, dev=empty, level=level),
                 language_modelling.LanguageModelData(text, dev=text, test=empty, level=level)):
        with pytest.raises(DataFormatError, match="empty.txt: empty file: there is no text"):
            language_modelling.prepare(data)


# -------------------------------------------------------------------------- generation
def test_a_names_folder_of_empty_files(tmp_path):
    for language in ("Dutch", "Greek"):
        _write(tmp_path / f"{language}.txt", "")
    with pytest.raises(DataFormatError, match=r"no names in its 2 .txt file\(s\)"):
        generation.prepare(generation.GeneratorData([str(tmp_path)]))


def test_a_names_folder_of_one_name(tmp_path):
    _write(tmp_path / "Dutch.txt", "Jansen\n")
    with pytest.raises(ValueError, match="of 1 texts leaves none to train on"):
        generation.prepare(generation.GeneratorData([str(tmp_path)]))
