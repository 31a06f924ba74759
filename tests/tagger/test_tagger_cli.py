"""``rnnlab tag``, ``rnnlab eval tagger`` and ``rnnlab train tagger`` end to end."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.data.conllu_io import read_conllu
from rnnlab.models import Tagger, TaggerConfig
from rnnlab.models.tagger_training import TaggerTrainingData, train_tagger
from rnnlab.training.trainer import TrainerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tagger"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A tiny trained model (its training output directory)."""
    out = tmp_path_factory.mktemp("tagger")
    sentences = read_conllu(FIXTURES / "tiny_train.conllu")
    train_tagger(
        TaggerTrainingData(train=sentences * 8, dev=sentences), out,
        TaggerConfig(word_dim=16, char_dim=8, char_hidden=16, hidden=32, dropout=0.0,
                     word_dropout=0.0, min_word_freq=1),
        TrainerConfig(epochs=3, lr=0.02, monitor="upos_accuracy", monitor_mode="max",
                      checkpoint_every=0, progress=False),
        batch_size=4,
    )
    return out


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def test_conllu_round_trip_changes_only_the_tag_columns(model_dir, tmp_path):
    source = FIXTURES / "roundtrip.conllu"
    out = tmp_path / "tagged.conllu"
    assert main(["tag", "--model", str(model_dir), "--input", str(source),
                 "--output", str(out)]) == 0
    before, after = lines_of(source.read_bytes()), lines_of(out.read_bytes())
    assert len(before) == len(after)
    model = Tagger.load(model_dir / "model")
    changed_words = 0
    for old, new in zip(before, after, strict=True):
        old_cols, new_cols = old.split(b"\t"), new.split(b"\t")
        if len(old_cols) == 10 and old_cols[0].lstrip(b"\xef\xbb\xbf").isdigit():
            assert old_cols[:3] + old_cols[5:] == new_cols[:3] + new_cols[5:]
            assert new_cols[3].decode() in model.upos_vocab
            assert new_cols[4].decode() in model.xpos_vocab
            changed_words += 1
        else:  # comments, multiword tokens, empty nodes, blank lines: byte for byte
            assert old == new
    assert changed_words == 19
    assert b"\r\n" in out.read_bytes() and out.read_bytes().startswith(b"\xef\xbb\xbf")
    # gold-tag columns really are overwritten: "_" UPOS of sentence rt-2 become tags
    tagged = read_conllu(out)
    assert "_" not in tagged[1].upos


def test_stdin_to_stdout(model_dir, monkeypatch, capsysbinary):
    data = (FIXTURES / "roundtrip.conllu").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["tag", "--model", str(model_dir / "model"), "--format", "conllu"]) == 0
    assert len(lines_of(capsysbinary.readouterr().out)) == len(lines_of(data))


def test_plain_text_is_tokenised_and_written_as_conllu(model_dir, tmp_path):
    out = tmp_path / "out.conllu"
    assert main(["tag", "--model", str(model_dir), "--input",
                 str(FIXTURES / "sentences.txt"), "--output", str(out)]) == 0
    sentences = read_conllu(out)
    assert [s.words for s in sentences] == [
        ("The", "cats", "were", "full", "."),
        ("I", "do", "n't", "run", "fast", "!"),
        ("Dogs", "bark", "at", "3", "cats", "."),
    ]
    assert [s.tokenlist.metadata["sent_id"] for s in sentences] == ["1", "3", "4"]
    assert sentences[1].tokenlist.metadata["text"] == "I don't run fast!"
    assert sentences[0].upos == ("DET", "NOUN", "AUX", "ADJ", "PUNCT")
    assert all(len(line.split("\t")) == 10 for s in sentences for line in s.lines
               if line[0].isdigit())


def test_eval_json_keys(model_dir, capsys):
    assert main(["eval", "tagger", "--model", str(model_dir), "--data",
                 str(FIXTURES / "tiny_train.conllu"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"sentences", "tokens", "upos_accuracy", "xpos_accuracy", "unseen_tokens",
            "unseen_upos_accuracy", "unseen_xpos_accuracy", "tokens_per_second", "upos",
            "xpos"} <= set(result)
    assert set(result["upos"]) == {"accuracy", "per_tag", "confusions"}
    assert set(result["upos"]["per_tag"]["NOUN"]) == {"precision", "recall", "f1", "support"}
    assert result["tokens"] == 46 and result["unseen_tokens"] == 0


def test_eval_text_report(model_dir, capsys):
    assert main(["eval", "tagger", "--model", str(model_dir), "--data",
                 str(FIXTURES / "tiny_train.conllu")]) == 0
    report = capsys.readouterr().out
    assert "UPOS accuracy" in report and "XPOS accuracy" in report
    assert "unseen words: 0" in report and "most frequent UPOS confusions" in report


def test_eval_needs_gold_upos(model_dir, capsys):
    data = str(FIXTURES / "roundtrip.conllu")
    assert main(["eval", "tagger", "--model", str(model_dir), "--data", data]) == 1
    assert f"{data}:13: word has no gold UPOS" in capsys.readouterr().err


@pytest.mark.parametrize("command", [
    ["tag", "--input", "{malformed}", "--format", "conllu"],
    ["eval", "tagger", "--data", "{malformed}"],
])
def test_malformed_conllu_names_file_and_line(model_dir, capsys, command):
    malformed = str(FIXTURES / "malformed.conllu")
    argv = [a.replace("{malformed}", malformed) for a in command] + ["--model", str(model_dir)]
    assert main(argv) == 1
    assert f"{malformed}:9: expected 10 tab-separated columns, found 9" in capsys.readouterr().err


def test_invalid_utf8_on_stdin_names_the_line(model_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"fine\nbad \xff byte\n")))
    assert main(["tag", "--model", str(model_dir)]) == 1
    assert "<stdin>:2: invalid UTF-8" in capsys.readouterr().err


def test_training_data_without_upos_names_file_and_line(tmp_path, capsys):
    missing = str(FIXTURES / "missing_upos.conllu")
    assert main(["train", "tagger", "--train", missing, "--dev", missing,
                 "--out", str(tmp_path / "x"), "--no-progress"]) == 1
    assert f"{missing}:7: word has no gold UPOS" in capsys.readouterr().err


def test_missing_model_directory(capsys, tmp_path):
    assert main(["tag", "--model", str(tmp_path / "none"), "--input",
                 str(FIXTURES / "sentences.txt")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_train_command_and_resume(tmp_path, capsys):
    train = str(FIXTURES / "tiny_train.conllu")
    argv = ["train", "tagger", "--train", train, "--dev", train, "--out", str(tmp_path),
            "--epochs", "2", "--batch-size", "4", "--word-dim", "8", "--char-dim", "4",
            "--char-hidden", "8", "--hidden", "8", "--layers", "1", "--crf", "--no-progress"]
    assert main(argv) == 0
    assert (tmp_path / "model" / "weights.safetensors").is_file()
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2
    assert Tagger.load(tmp_path / "model").config.crf
    assert main(argv + ["--resume"]) == 0
    assert "resumed from" in capsys.readouterr().out
