"""rnnlab.tasks.translation from Python and through ``rnnlab train seq2seq``: training and
evaluation without the CLI, resume honouring a larger --epochs, --resume without the data
and model flags, a budget inside the first epoch leaving an evaluated loadable model."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.models import Seq2Seq
from rnnlab.tasks import translation
from rnnlab.training.run_folder import LoopOverrides

GERMAN = ["ein hund", "eine katze", "ein mann", "eine frau", "ein kind", "ein hund läuft",
          "eine katze schläft", "ein mann läuft", "eine frau schläft", "ein kind läuft"]
ENGLISH = ["a dog", "a cat", "a man", "a woman", "a child", "a dog runs", "a cat sleeps",
           "a man runs", "a woman sleeps", "a child runs"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("parallel")
    for name, lines in (("train.de", GERMAN), ("train.en", ENGLISH),
                        ("dev.de", GERMAN[:4]), ("dev.en", ENGLISH[:4])):
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def tiny_config(data: Path, epochs: int = 1, monitor: str = "bleu", **loop):
    return translation.TranslationConfig(
        translation.ParallelData(str(data / "train.de"), str(data / "train.en"),
                                 str(data / "dev.de"), str(data / "dev.en"), min_freq=1),
        model=translation.TranslatorOptions(embed_dim=8, hidden_size=8, dropout=0.0),
        loop=replace(translation.default_loop(), epochs=epochs, lr=0.02, progress=False,
                     monitor=monitor, checkpoint_every=0, **loop),
        batch_size=4,
    )


def epochs_logged(run: Path) -> list[int]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_the_monitor_decides_the_monitor_mode():
    assert tiny_config(Path("x"), monitor="bleu").loop.monitor_mode == "max"
    assert tiny_config(Path("x"), monitor="loss").loop.monitor_mode == "min"
    with pytest.raises(ValueError, match="--monitor must be bleu or loss"):
        tiny_config(Path("x"), monitor="accuracy")


def test_train_translate_and_evaluate_from_python(data, tmp_path):
    result = translation.train(tmp_path / "run", tiny_config(data, epochs=2))
    assert json.loads((tmp_path / "run" / "run.json").read_text())["task"] == translation.TASK
    assert epochs_logged(tmp_path / "run") == [1, 2]
    assert {"dev_loss", "dev_bleu", "dev_bleu_lc"} <= set(result.outcome.history[0])
    report = translation.evaluate(result.model, GERMAN[:4], ENGLISH[:4],
                                  translation.DecodingOptions(beam=1, batch_size=100))
    best = result.outcome.history[result.outcome.best_epoch - 1]
    assert report.bleu == pytest.approx(best["dev_bleu"])
    assert len(report.hypotheses) == 4 and report.as_dict()["sentences"] == 4
    beams = translation.translate(result.model, GERMAN[:2], translation.DecodingOptions(beam=3))
    assert len(beams) == 2
    with pytest.raises(ValueError, match="line-aligned"):
        translation.evaluate(result.model, GERMAN[:2], ENGLISH[:3])


def test_resume_with_more_epochs_is_honoured(data, tmp_path):
    run = tmp_path / "run"
    translation.train(run, tiny_config(data, epochs=1, monitor="loss"))
    result = translation.train(run, resume=True, overrides=LoopOverrides(epochs=2))
    assert epochs_logged(run) == [1, 2] and result.config.loop.epochs == 2


def test_a_budget_inside_the_first_epoch_leaves_an_evaluated_model(data, tmp_path):
    run = tmp_path / "run"
    result = translation.train(run, tiny_config(data, epochs=2, time_budget_minutes=1e-9))
    stop = result.outcome.budget_stop
    assert result.outcome.best_epoch == 0 and stop["step"] == 1 and "dev_bleu" in stop
    assert Seq2Seq.load(run / "model").config.hidden_size == 8


def test_cli_resume_without_data_or_model_flags(data, tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "seq2seq", "--src-train", str(data / "train.de"),
                 "--tgt-train", str(data / "train.en"), "--src-dev", str(data / "dev.de"),
                 "--tgt-dev", str(data / "dev.en"), "--out", out, "--embed-dim", "8",
                 "--hidden-size", "8", "--min-freq", "1", "--batch-size", "4", "--epochs", "1",
                 "--monitor", "loss", "--no-progress"]) == 0
    assert main(["train", "seq2seq", "--out", out, "--resume", "--epochs", "2"]) == 0
    assert epochs_logged(Path(out)) == [1, 2]
    assert "best dev loss" in capsys.readouterr().out
    assert main(["train", "seq2seq", "--out", str(tmp_path / "new"),
                 "--src-train", str(data / "train.de")]) == 1
    assert "--tgt-train and --src-dev and --tgt-dev required" in capsys.readouterr().err
