"""rnnlab.tasks.language_modelling from Python and through ``rnnlab train lm``: the run-folder
rules (resume honours a larger --epochs or --time-budget, --resume needs no model flags, a
budget inside the first epoch leaves an evaluated loadable model, a run folder written
before run.json resumes from its train_args.json)."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.io.serialization import load_arrays
from rnnlab.models import LanguageModel
from rnnlab.tasks import language_modelling as lm
from rnnlab.training.run_folder import LoopOverrides

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "lm" / "tiny.txt"
CLI_SMALL = ["--train", str(TINY), "--level", "char", "--hidden-size", "12", "--layers", "1",
             "--batch-size", "4", "--bptt", "8", "--eval-batch-size", "1", "--optimizer",
             "adam", "--lr", "0.01", "--no-progress", "--checkpoint-every", "0"]


def tiny_config(epochs: int = 1, **loop) -> lm.LanguageModellingConfig:
    return lm.LanguageModellingConfig(
        lm.LanguageModelData(str(TINY), level="char"),
        model=lm.LanguageModelOptions(layers=1, hidden_size=12),
        windows=lm.StreamWindows(batch_size=4, bptt=8, eval_batch_size=1),
        loop=replace(lm.default_loop(), epochs=epochs, optimizer="adam", lr=0.01,
                     progress=False, checkpoint_every=0, **loop),
    )


def epochs_logged(run: Path) -> list[int]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_train_from_python_writes_the_run_and_scores_the_best_model(tmp_path):
    result = lm.train(tmp_path / "run", tiny_config(epochs=2))
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["task"] == lm.TASK and record["data"]["train"] == str(TINY.resolve())
    assert record["config"]["model"]["hidden_size"] == 12
    assert result.outcome.best_epoch in (1, 2) and epochs_logged(tmp_path / "run") == [1, 2]
    tokens = lm.read_tokens(TINY, "char")
    cut = round(len(tokens) * 0.9)
    again = lm.evaluate(result.model, tokens[cut:], batch_size=1, bptt=35)
    assert again.nll == pytest.approx(result.scores["valid"].nll, rel=1e-6)
    saved = json.loads((tmp_path / "run" / lm.RESULTS_FILE).read_text())
    assert saved["valid"] == result.scores["valid"].as_dict()


def test_resume_with_more_epochs_continues_to_the_straight_run(tmp_path):
    lm.train(tmp_path / "straight", tiny_config(epochs=2))
    lm.train(tmp_path / "resumed", tiny_config(epochs=1))
    result = lm.train(tmp_path / "resumed", resume=True, overrides=LoopOverrides(epochs=2))
    assert epochs_logged(tmp_path / "resumed") == [1, 2]
    assert [row["epoch"] for row in result.outcome.history] == [1, 2]
    straight = load_arrays(tmp_path / "straight" / "checkpoint" / "model.safetensors")
    resumed = load_arrays(tmp_path / "resumed" / "checkpoint" / "model.safetensors")
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)
    # the extension lasts: a later resume without --epochs does not fall back to 1
    lm.train(tmp_path / "resumed", resume=True)
    assert epochs_logged(tmp_path / "resumed") == [1, 2]


def test_a_budget_inside_the_first_epoch_leaves_an_evaluated_model(tmp_path):
    run = tmp_path / "run"
    result = lm.train(run, tiny_config(epochs=3, time_budget_minutes=1e-9))
    outcome = result.outcome
    assert outcome.best_epoch == 0 and outcome.budget_stop["step"] == 1
    assert not (run / "metrics.jsonl").exists() or epochs_logged(run) == []
    model = LanguageModel.load(run / "model")
    assert outcome.budget_stop["dev_loss"] == pytest.approx(result.scores["valid"].nll)
    assert lm.evaluate(model, "the cat").tokens == 6
    # a larger budget (0: none) continues the run to its epochs
    result = lm.train(run, resume=True, overrides=LoopOverrides(time_budget_minutes=0.0))
    assert epochs_logged(run) == [1, 2, 3] and result.outcome.best_epoch > 0


def test_cli_resume_needs_no_model_flags_and_honours_epochs_and_budget(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "lm", *CLI_SMALL, "--out", out, "--epochs", "1"]) == 0
    assert main(["train", "lm", "--out", out, "--resume", "--epochs", "2"]) == 0
    assert epochs_logged(Path(out)) == [1, 2]
    assert "valid: loss" in capsys.readouterr().out
    # a model flag that differs from the saved run is refused, naming the flag
    assert main(["train", "lm", "--out", out, "--resume", "--hidden-size", "32"]) == 1
    assert "--hidden-size 32 differs from the run's 12" in capsys.readouterr().err
    # a budget given on --resume is honoured: the run's time is spent, nothing is trained
    assert main(["train", "lm", "--out", out, "--resume", "--epochs", "3",
                 "--time-budget", "1e-9"]) == 0
    assert epochs_logged(Path(out)) == [1, 2]
    # lifting it goes on to the 3 epochs given before
    assert main(["train", "lm", "--out", out, "--resume", "--time-budget", "0"]) == 0
    assert epochs_logged(Path(out)) == [1, 2, 3]


def test_overwrite_replaces_a_run_and_old_spellings_still_work(tmp_path, capsys):
    out = str(tmp_path / "run")
    old = ["--train", str(TINY), "--valid", str(TINY), "--level", "word", "--hidden", "8",
           "--embedding-dim", "4", "--max-train-tokens", "20", "--layers", "1",
           "--epochs", "1", "--batch-size", "2", "--bptt", "4", "--no-progress"]
    assert main(["train", "lm", *old, "--out", out]) == 0
    saved = json.loads((Path(out) / "run.json").read_text())["config"]
    assert saved["data"]["dev"] == str(TINY.resolve()) and saved["data"]["train_limit"] == 20
    assert (saved["model"]["hidden_size"], saved["model"]["embed_dim"]) == (8, 4)
    assert main(["train", "lm", *old, "--out", out]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(["train", "lm", *old, "--out", out, "--overwrite", "--epochs", "2"]) == 0
    assert epochs_logged(Path(out)) == [1, 2]


def test_a_run_folder_of_the_earlier_layout_resumes_from_its_arguments(tmp_path):
    run = tmp_path / "run"
    lm.train(run, tiny_config(epochs=1))
    (run / "run.json").unlink()
    (run / lm.LEGACY_ARGS_FILE).write_text(json.dumps({
        "train": str(TINY), "valid": None, "valid_fraction": 0.1, "test": None,
        "level": "char", "max_vocab": None, "max_train_tokens": 0, "cell": "lstm",
        "layers": 1, "hidden_size": 12, "embedding_dim": None, "dropout": 0.0,
        "init_scale": 0.1, "dropout_kind": "standard", "tie_weights": False,
        "batch_size": 4, "bptt": 8, "eval_batch_size": 1, "eval_bptt": 35, "epochs": 1,
        "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0, "lazy_embedding_updates": False,
        "average_decay": 0.0, "clip": 5.0, "lr_schedule": "none", "lr_decay": 0.5,
        "lr_decay_start": 4, "patience": 0, "time_budget": 0.0, "checkpoint_every": 0,
        "seed": 0, "out": str(run),
    }))
    lm.train(run, resume=True, overrides=LoopOverrides(epochs=2))
    assert epochs_logged(run) == [1, 2]
    assert json.loads((run / "run.json").read_text())["config"]["model"]["hidden_size"] == 12
