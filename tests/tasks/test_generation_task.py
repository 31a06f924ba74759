"""rnnlab.tasks.generation (the conditional generator) from Python and through
``rnnlab train generator``: resume honouring a larger --epochs, --resume without model
flags, a budget inside the first epoch leaving an evaluated loadable model."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.models import ConditionalGenerator
from rnnlab.tasks import generation
from rnnlab.training.run_folder import LoopOverrides

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm"
NAMES = str(FIXTURES / "names")
CLI_SMALL = ["--hidden-size", "12", "--batch-size", "4", "--no-progress",
             "--checkpoint-every", "0"]


def tiny_config(epochs: int = 1, **loop) -> generation.GenerationConfig:
    return generation.GenerationConfig(
        generation.GeneratorData([NAMES]),
        model=generation.GeneratorOptions(hidden_size=12),
        loop=replace(generation.default_loop(), epochs=epochs, progress=False,
                     checkpoint_every=0, **loop),
        batch_size=4,
    )


def epochs_logged(run: Path) -> list[int]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_train_and_evaluate_from_python(tmp_path):
    result = generation.train(tmp_path / "run", tiny_config(epochs=2))
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["task"] == generation.TASK
    assert record["data"]["train"] == [str(Path(NAMES).resolve())]
    prepared = generation.prepare(tiny_config().data)
    assert len(prepared.dev) > 0 and prepared.labels == ["Dutch", "Japanese"]
    again = generation.evaluate(result.model, prepared.dev)
    assert again.nll == pytest.approx(result.held_out.nll, rel=1e-6)
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["held_out"] == result.held_out.as_dict()


def test_resume_with_more_epochs_is_honoured(tmp_path):
    run = tmp_path / "run"
    generation.train(run, tiny_config(epochs=1))
    generation.train(run, resume=True, overrides=LoopOverrides(epochs=3))
    assert epochs_logged(run) == [1, 2, 3]


def test_a_budget_inside_the_first_epoch_leaves_an_evaluated_model(tmp_path):
    run = tmp_path / "run"
    result = generation.train(run, tiny_config(epochs=2, time_budget_minutes=1e-9))
    assert result.outcome.best_epoch == 0
    assert result.outcome.budget_stop["dev_loss"] == pytest.approx(result.held_out.nll)
    model = ConditionalGenerator.load(run / "model")
    assert len(model.generate([model.condition_vector("Dutch")], 5, seed=0)) == 1


def test_cli_resume_without_model_flags_honours_epochs(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "generator", "--train", NAMES, "--out", out, "--epochs", "1",
                 *CLI_SMALL]) == 0
    assert main(["train", "generator", "--out", out, "--resume", "--epochs", "2"]) == 0
    assert epochs_logged(Path(out)) == [1, 2]
    assert "held-out: loss" in capsys.readouterr().out
    # --data is the old spelling of --train; a different value on --resume is refused
    assert main(["train", "generator", "--out", out, "--resume", "--data",
                 str(FIXTURES / "captions")]) == 1
    assert "--data" in capsys.readouterr().err
