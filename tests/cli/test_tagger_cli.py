"""``rnnlab tag``, ``rnnlab eval tagger`` and ``rnnlab train tagger`` end to end."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from shared_data import ewt_blocks, pick_blocks, tagger_corpus, word_lines, write_conllu_blocks

from rnnlab.cli import main
from rnnlab.data.conllu_io import read_conllu
from rnnlab.models import Tagger, TaggerConfig
from rnnlab.tasks.tagging import TaggerTrainingData, TaggingConfig, train
from rnnlab.training.trainer import TrainerConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tagger"


def _has_range(block) -> bool:
    return any("-" in line.split("\t")[0] for line in block if line[:1].isdigit())


def _has_empty_node(block) -> bool:
    return any("." in line.split("\t")[0] for line in block if line[:1].isdigit())


def _blank_upos(line: str) -> str:
    columns = line.split("\t")
    if columns[0].isdigit():
        columns[3] = "_"
    return "\t".join(columns)


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return tagger_corpus(tmp_path_factory.mktemp("corpus") / "tiny.conllu")


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory) -> tuple[Path, int, int]:
    """EWT dev sentences with what tagging must keep byte for byte: a byte-order mark, a
    comment without a space, a multiword token, an empty node, CRLF line ends in one
    sentence and extra blank lines; the second sentence has its gold UPOS blanked ("_").
    Returns the file, its number of words and the line of the first blanked UPOS."""
    blocks = ewt_blocks("dev")
    multiword = pick_blocks(blocks, 1, _has_range)[0]
    empty_node = pick_blocks(blocks, 1, _has_empty_node)[0]
    short = pick_blocks(blocks, 2, lambda b: 2 <= len(word_lines(b)) <= 5)
    blanked = ["#comment without space"] + [_blank_upos(line) for line in short[0]]
    text = ("\ufeff" + "\n".join(multiword) + "\n\n" + "\n".join(blanked) + "\n\n\n"
            + "\r\n".join(empty_node) + "\r\n\r\n" + "\n".join(short[1]) + "\n\n")
    path = tmp_path_factory.mktemp("roundtrip") / "roundtrip.conllu"
    path.write_bytes(text.encode("utf-8"))
    first_blank = len(multiword) + 2 + next(i for i, line in enumerate(blanked)
                                            if line[:1].isdigit())
    words = sum(len(word_lines(b)) for b in (multiword, short[0], empty_node, short[1]))
    return path, words, first_blank


def _defective(path: Path, change) -> tuple[str, int]:
    """Two short EWT dev sentences written to ``path`` with ``change`` applied to the
    second word line of the second; returns the path and that line's number."""
    first, second = pick_blocks(ewt_blocks("dev"), 2, lambda b: 3 <= len(word_lines(b)) <= 6
                                and not _has_range(b))
    target = second.index(word_lines(second)[1])
    changed = list(second)
    changed[target] = change(changed[target])
    write_conllu_blocks(path, [first, changed])
    return str(path), len(first) + 2 + target


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, corpus_file) -> Path:
    """A tiny trained model (its training output directory)."""
    out = tmp_path_factory.mktemp("tagger")
    sentences = read_conllu(corpus_file)
    config = TaggingConfig(
        model=TaggerConfig(word_dim=16, char_dim=8, char_hidden=16, hidden=32, dropout=0.0,
                           word_dropout=0.0, min_word_freq=1),
        loop=TrainerConfig(epochs=3, lr=0.02, monitor="upos_accuracy", monitor_mode="max",
                           checkpoint_every=0, progress=False),
        batch_size=4,
    )
    train(out, config, prepared=TaggerTrainingData(train=sentences * 8, dev=sentences))
    return out


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def test_conllu_round_trip_changes_only_the_tag_columns(model_dir, roundtrip, tmp_path):
    source, words, _ = roundtrip
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
    assert changed_words == words
    assert b"\r\n" in out.read_bytes() and out.read_bytes().startswith(b"\xef\xbb\xbf")
    # gold-tag columns really are overwritten: the blanked "_" UPOS become tags
    tagged = read_conllu(out)
    assert "_" not in tagged[1].upos


def test_stdin_to_stdout(model_dir, roundtrip, monkeypatch, capsysbinary):
    data = roundtrip[0].read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["tag", "--model", str(model_dir / "model"), "--format", "conllu"]) == 0
    assert len(lines_of(capsysbinary.readouterr().out)) == len(lines_of(data))


def test_plain_text_is_tokenised_and_written_as_conllu(model_dir, tmp_path):
    out = tmp_path / "out.conllu"
    assert main(["tag", "--model", str(model_dir), "--input", str(FIXTURES / "sentences.txt"),
                 "--tokenizer", "lines", "--output", str(out)]) == 0
    sentences = read_conllu(out)
    assert [s.words for s in sentences] == [
        ("The", "cats", "were", "full", "."),
        ("I", "do", "n't", "run", "fast", "!"),
        ("Dogs", "bark", "at", "3", "cats", "."),
    ]
    assert [s.comments["sent_id"] for s in sentences] == ["1", "3", "4"]
    assert sentences[1].comments["text"] == "I don't run fast!"
    model = Tagger.load(model_dir / "model")
    assert [s.upos for s in sentences] == [  # the tags the Python API gives the same words
        tuple(t.upos for t in model.tag(s.words)) for s in sentences]
    assert all(len(line.split("\t")) == 10 for s in sentences for line in s.lines
               if line[0].isdigit())


def test_eval_json_keys(model_dir, corpus_file, capsys):
    assert main(["eval", "tagger", "--model", str(model_dir), "--data",
                 str(corpus_file), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"sentences", "tokens", "upos_accuracy", "xpos_accuracy", "unseen_tokens",
            "unseen_upos_accuracy", "unseen_xpos_accuracy", "tokens_per_second", "upos",
            "xpos"} <= set(result)
    assert set(result["upos"]) == {"accuracy", "per_tag", "confusions"}
    assert set(result["upos"]["per_tag"]["NOUN"]) == {"precision", "recall", "f1", "support"}
    words = sum(len(s.words) for s in read_conllu(corpus_file))
    assert result["tokens"] == words and result["unseen_tokens"] == 0


def test_eval_text_report(model_dir, corpus_file, capsys):
    assert main(["eval", "tagger", "--model", str(model_dir), "--data",
                 str(corpus_file)]) == 0
    report = capsys.readouterr().out
    assert "UPOS accuracy" in report and "XPOS accuracy" in report
    assert "unseen words: 0" in report and "most frequent UPOS confusions" in report


def test_eval_needs_gold_upos(model_dir, roundtrip, capsys):
    data, _, first_blank = str(roundtrip[0]), *roundtrip[1:]
    assert main(["eval", "tagger", "--model", str(model_dir), "--data", data]) == 1
    assert f"{data}:{first_blank}: word has no gold UPOS" in capsys.readouterr().err


@pytest.mark.parametrize("command", [
    ["tag", "--input", "{malformed}", "--format", "conllu"],
    ["eval", "tagger", "--data", "{malformed}"],
])
def test_malformed_conllu_names_file_and_line(model_dir, tmp_path, capsys, command):
    malformed, line = _defective(tmp_path / "malformed.conllu",
                                 lambda text: "\t".join(text.split("\t")[:9]))
    argv = [a.replace("{malformed}", malformed) for a in command] + ["--model", str(model_dir)]
    assert main(argv) == 1
    expected = f"{malformed}:{line}: expected 10 tab-separated columns, found 9"
    assert expected in capsys.readouterr().err


def test_invalid_utf8_on_stdin_names_the_line(model_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"fine\nbad \xff byte\n")))
    assert main(["tag", "--model", str(model_dir)]) == 1
    assert "<stdin>:2: invalid UTF-8" in capsys.readouterr().err


def test_training_data_without_upos_names_file_and_line(tmp_path, capsys):
    missing, line = _defective(tmp_path / "missing_upos.conllu", _blank_upos)
    assert main(["train", "tagger", "--train", missing, "--dev", missing,
                 "--out", str(tmp_path / "x"), "--no-progress"]) == 1
    assert f"{missing}:{line}: word has no gold UPOS" in capsys.readouterr().err


def test_missing_model_directory(capsys, tmp_path):
    assert main(["tag", "--model", str(tmp_path / "none"), "--input",
                 str(FIXTURES / "sentences.txt")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_train_command_and_resume(tmp_path, corpus_file, capsys):
    train = str(corpus_file)
    argv = ["train", "tagger", "--train", train, "--dev", train, "--out", str(tmp_path),
            "--epochs", "2", "--batch-size", "4", "--word-dim", "8", "--char-dim", "4",
            "--char-hidden", "8", "--hidden", "8", "--layers", "1", "--crf", "--no-progress"]
    assert main(argv) == 0
    assert (tmp_path / "model" / "weights.safetensors").is_file()
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2
    assert Tagger.load(tmp_path / "model").config.crf
    assert main(argv + ["--resume"]) == 0
    assert "resumed from" in capsys.readouterr().out
