"""``rnnlab train seq2seq`` → ``rnnlab translate`` → ``rnnlab eval seq2seq`` on 48 short
German–English pairs of Multi30k (40 to train on, 8 to validate), including resume,
stdin/stdout and the attention heatmap."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from shared_data import multi30k_pairs

from rnnlab.cli import main
from rnnlab.io.serialization import load_arrays
from rnnlab.models.seq2seq import Seq2Seq

TRAIN_PAIRS, VALID_PAIRS = 40, 8


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """train.{de,en} and valid.{de,en}: the first 48 Multi30k training pairs with at most
    five German words."""
    folder = tmp_path_factory.mktemp("multi30k")
    german, english = multi30k_pairs(TRAIN_PAIRS + VALID_PAIRS)
    for lang, lines in (("de", german), ("en", english)):
        (folder / f"train.{lang}").write_text("\n".join(lines[:TRAIN_PAIRS]) + "\n",
                                              encoding="utf-8")
        (folder / f"valid.{lang}").write_text("\n".join(lines[TRAIN_PAIRS:]) + "\n",
                                              encoding="utf-8")
    return folder


def _train(data, out, *extra):
    return main([
        "train", "seq2seq",
        "--src-train", str(data / "train.de"), "--tgt-train", str(data / "train.en"),
        "--src-valid", str(data / "valid.de"), "--tgt-valid", str(data / "valid.en"),
        "--out", str(out), "--embedding-size", "24", "--hidden", "24", "--min-freq", "1",
        "--batch-size", "8", "--lr", "0.01", "--dropout", "0.0", "--lr-schedule", "none",
        "--no-progress", "--seed", "3", *extra,
    ])


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("seq2seq") / "run"
    assert _train(data, out, "--epochs", "30") == 0
    return out


def test_training_writes_a_pickle_free_model_and_logs(trained):
    model_files = sorted(p.name for p in (trained / "model").iterdir())
    assert model_files == [
        "config.json", "source_vocab.json", "target_vocab.json", "weights.safetensors",
    ]
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 30
    assert {"dev_loss", "dev_bleu", "dev_bleu_lc"} <= set(rows[0])
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] / 4


def test_an_interrupted_run_resumes_to_the_same_weights(data, tmp_path, monkeypatch):
    assert _train(data, tmp_path / "straight", "--epochs", "2", "--monitor", "loss") == 0
    calls, loss = [], Seq2Seq.loss

    def interrupted_at_epoch_2_step_2(self, batch):  # 5 steps + 1 dev batch per epoch
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return loss(self, batch)

    monkeypatch.setattr(Seq2Seq, "loss", interrupted_at_epoch_2_step_2)
    assert _train(data, tmp_path / "resumed", "--epochs", "2", "--monitor", "loss") == 130
    monkeypatch.undo()
    assert _train(data, tmp_path / "resumed", "--epochs", "2", "--monitor", "loss",
                  "--resume") == 0
    straight = load_arrays(tmp_path / "straight" / "checkpoint" / "model.safetensors")
    resumed = load_arrays(tmp_path / "resumed" / "checkpoint" / "model.safetensors")
    assert straight.keys() == resumed.keys()
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)


def test_eval_reports_cased_and_lowercased_bleu_as_json(data, trained, capsys, tmp_path):
    hypotheses = tmp_path / "hyp.en"
    args = ["eval", "seq2seq", "--model", str(trained), "--src", str(data / "train.de"),
            "--ref", str(data / "train.en"), "--beam", "3", "--json",
            "--output", str(hypotheses)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sentences"] == TRAIN_PAIRS and result["beam"] == 3
    assert result["attention"] is True
    assert result["bleu_lc"] >= result["bleu"] > 60.0  # it has learnt its 40 training pairs
    assert len(hypotheses.read_text(encoding="utf-8").splitlines()) == TRAIN_PAIRS


def test_translate_reads_stdin_or_a_file_and_draws_attention(data, trained, capsys,
                                                             monkeypatch, tmp_path):
    german = (data / "train.de").read_text(encoding="utf-8").splitlines()[:2]
    english = (data / "train.en").read_text(encoding="utf-8").splitlines()[:2]
    stdin = io.TextIOWrapper(io.BytesIO(("\n".join(german) + "\n").encode("utf-8")))
    monkeypatch.setattr("sys.stdin", stdin)
    picture = tmp_path / "attention.png"
    assert main(["translate", "--model", str(trained / "model"), "--beam", "1",
                 "--show-attention", str(picture)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == english  # two training pairs, learnt
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    output = tmp_path / "out.en"
    assert main(["translate", "--model", str(trained), "--input", str(data / "valid.de"),
                 "--output", str(output)]) == 0
    assert len(output.read_text(encoding="utf-8").splitlines()) == VALID_PAIRS


def test_misaligned_parallel_files_are_reported(data, tmp_path, capsys):
    (tmp_path / "short.en").write_text("A man.\n", encoding="utf-8")
    code = main(["train", "seq2seq", "--src-train", str(data / "train.de"),
                 "--tgt-train", str(tmp_path / "short.en"),
                 "--src-valid", str(data / "valid.de"),
                 "--tgt-valid", str(data / "valid.en"), "--out", str(tmp_path / "run")])
    assert code == 1
    assert "line-aligned" in capsys.readouterr().err


def test_translate_and_eval_refuse_bad_inputs_in_one_line(data, trained, capsys, monkeypatch,
                                                          tmp_path):
    model = str(trained / "model")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"ein hund\nbad \xff\n")))
    assert main(["translate", "--model", model]) == 1
    assert capsys.readouterr().err == ("rnnlab: error: <stdin>:2: invalid UTF-8 byte sequence "
                                       "(invalid start byte)\n")
    empty = tmp_path / "empty.de"
    empty.write_text("", encoding="utf-8")
    assert main(["eval", "seq2seq", "--model", model, "--src", str(empty), "--ref",
                 str(empty)]) == 1
    assert capsys.readouterr().err == (f"rnnlab: error: {empty}: no sentences to translate "
                                       "(the input is empty)\n")
    source = data / "valid.de"
    before = source.read_bytes()
    for argv in (["translate", "--input", str(source)],
                 ["eval", "seq2seq", "--src", str(source), "--ref", str(data / "valid.en")]):
        assert main([*argv, "--model", model, "--output", str(source)]) == 1
        assert f"--output {source} is the " in capsys.readouterr().err
    assert source.read_bytes() == before
