"""Refusals of empty or misaligned inputs name the file they are about (issue 17 item 3):
an empty or whitespace-only ``classify --input``, ``eval lm --data`` and ``train lm
--train``; ``eval seq2seq`` references that are empty or not line-aligned with the
sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.models import KINDS

BLANK = {"empty": "", "whitespace-only": "  \n\t\n \r\n\n"}


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnnlab: error: "), err
    return err.removeprefix("rnnlab: error: ").rstrip("\n")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    return {name: KINDS[name].sample().save(folder / name)
            for name in ("sentence_classifier", "language_model", "seq2seq")}


@pytest.mark.parametrize("content", sorted(BLANK))
def test_classify_names_an_empty_input(models, tmp_path, capsys, content):
    path = tmp_path / "in.txt"
    path.write_text(BLANK[content])
    assert main(["classify", "--model", str(models["sentence_classifier"]), "--input",
                 str(path)]) == 1
    assert error_line(capsys) == f"{path}: no texts to classify (the input is empty)"


@pytest.mark.parametrize("content", sorted(BLANK))
def test_eval_lm_refuses_a_file_without_text(models, tmp_path, capsys, content):
    path = tmp_path / "in.txt"
    path.write_text(BLANK[content])
    assert main(["eval", "lm", "--model", str(models["language_model"]), "--data",
                 str(path)]) == 1
    assert error_line(capsys) == f"{path}: no text to score (the input is empty)"


def test_train_lm_names_a_file_without_text(tmp_path, capsys):
    path = tmp_path / "train.txt"
    path.write_text(BLANK["whitespace-only"])
    assert main(["train", "lm", "--train", str(path), "--level", "word", "--out",
                 str(tmp_path / "run"), "--no-progress"]) == 1
    assert error_line(capsys) == f"{path}: empty file: there is no text to model"


def test_train_lm_names_a_file_too_short_to_split(tmp_path, capsys):
    path = tmp_path / "train.txt"
    path.write_text("word\n")
    assert main(["train", "lm", "--train", str(path), "--level", "word", "--out",
                 str(tmp_path / "run"), "--no-progress"]) == 1
    assert error_line(capsys).startswith(f"{path}: --dev-fraction 0.1 of its 2 tokens leaves")


@pytest.mark.parametrize("refs", ["a b\n", "a b\nc d\nd e\n"])
def test_eval_seq2seq_names_misaligned_files(models, tmp_path, capsys, refs):
    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("a b\nc d\n")
    ref.write_text(refs)
    assert main(["eval", "seq2seq", "--model", str(models["seq2seq"]), "--src", str(src),
                 "--ref", str(ref)]) == 1
    lines = refs.count("\n")
    assert error_line(capsys) == (f"--src {src} has 2 lines but --ref {ref} has {lines}; "
                                  "the two must be line-aligned")


def test_eval_seq2seq_names_empty_references(models, tmp_path, capsys):
    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("a b\nc d\n")
    ref.write_text(" \n\n")
    assert main(["eval", "seq2seq", "--model", str(models["seq2seq"]), "--src", str(src),
                 "--ref", str(ref)]) == 1
    assert error_line(capsys) == f"{ref}: no reference translations (the input is empty)"
