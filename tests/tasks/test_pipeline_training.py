"""``rnnlab train pipeline`` (rnnlab.tasks.pipeline_training): the three parts in order,
each in its own run folder; a resume skips the finished parts, continues an unfinished one
and starts the missing ones."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from shared_data import ewt_blocks, write_conllu_blocks
from threadpoolctl import threadpool_limits

from rnnlab.cli import main
from rnnlab.cli.commands_pipeline_training import BUDGETS
from rnnlab.tasks import lemmatization, pipeline_training
from rnnlab.tasks.pipeline_training import (
    DEFAULT_BUDGETS,
    FINISHED,
    NEW,
    PARTS,
    UNFINISHED,
    PartPlan,
    part_status,
    train_pipeline,
)


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("pipeline")
    blocks = ewt_blocks("train")
    return (str(write_conllu_blocks(folder / "train.conllu", blocks[:20])),
            str(write_conllu_blocks(folder / "dev.conllu", blocks[20:25])))


def _weights(out: Path) -> dict[str, int]:
    return {part: (out / part / "model" / "weights.safetensors").stat().st_mtime_ns
            for part in PARTS if (out / part / "model").is_dir()}


def test_part_status_of_folders(tmp_path):
    assert part_status(tmp_path / "missing") == NEW
    (tmp_path / "empty").mkdir()
    assert part_status(tmp_path / "empty") == NEW
    (tmp_path / "started").mkdir()
    (tmp_path / "started" / "run.json").write_text("{}")
    assert part_status(tmp_path / "started") == UNFINISHED


def test_plan_overrides_only_what_is_given():
    assert PartPlan().overrides().given() == {}  # a resume keeps the run's budget
    assert PartPlan().overrides("tagger").given() == {
        "time_budget_minutes": DEFAULT_BUDGETS["tagger"]}
    assert sum(DEFAULT_BUDGETS.values()) <= 120  # issue 18: 2 hours for the pipeline
    assert PartPlan(0.0, 3, False).overrides("tagger").given() == {
        "time_budget_minutes": 0.0, "epochs": 3, "progress": False}
    assert BUDGETS == DEFAULT_BUDGETS  # the command's help says the task's defaults


def test_an_interrupted_pipeline_resumes_where_it_stopped(files, tmp_path, monkeypatch,
                                                          capsys):
    out = tmp_path / "pipe"
    flags = ["train", "pipeline", "--train", files[0], "--dev", files[1], "--out", str(out),
             "--epochs", "1", "--no-progress"]
    real_train = lemmatization.train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lemmatization, "train", interrupted)
    assert main(flags) == 130
    assert [part_status(out / part) for part in PARTS] == [FINISHED, FINISHED, NEW]
    done = _weights(out)
    monkeypatch.setattr(lemmatization, "train", real_train)
    assert main(flags) == 1  # without --resume the finished parts are in the way
    assert "--resume" in capsys.readouterr().err
    assert main([*flags, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "tokenizer: finished" in printed and "tagger: finished" in printed
    assert "trained lemmatizer in" in printed
    assert [part_status(out / part) for part in PARTS] == [FINISHED] * 3
    after = _weights(out)
    assert {p: after[p] for p in done} == done  # the finished parts were not touched
    assert main(["train", "pipeline", "--out", str(out), "--resume"]) == 0
    assert "trained nothing" in capsys.readouterr().out
    assert _weights(out) == after


def test_an_unfinished_part_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    calls, checked = [], []

    def fake_task(part):
        def train(run_dir, config, **kwargs):
            calls.append((part, config, kwargs))
            return SimpleNamespace(dev={"score": 1.0})

        return (SimpleNamespace(train=train, prepare=lambda data: checked.append(part)),
                lambda train, dev: lemmatization.LemmatizationConfig())

    monkeypatch.setattr(pipeline_training, "_task", fake_task)
    for part in ("tokenizer", "tagger"):
        (tmp_path / part).mkdir()
        (tmp_path / part / "run.json").write_text("{}")
    outcomes = train_pipeline(tmp_path, "t.conllu", "d.conllu", resume=True, verbose=False,
                              plans={"tagger": PartPlan(time_budget_minutes=5)})
    assert [o.status for o in outcomes] == [UNFINISHED, UNFINISHED, NEW]
    assert calls[0][1] is None and calls[0][2]["resume"] is True
    assert calls[1][2]["overrides"].given() == {"time_budget_minutes": 5}
    assert calls[2][2] == {"overwrite": False}  # a new run, with the default budget
    assert calls[2][1].loop.time_budget_minutes == DEFAULT_BUDGETS["lemmatizer"]
    assert checked == ["lemmatizer"]  # only the part that starts reads the files first


def test_refusals(tmp_path):
    with pytest.raises(ValueError, match="exclude each other"):
        train_pipeline(tmp_path, "a", "b", resume=True, overwrite=True)
    with pytest.raises(ValueError, match="unknown pipeline parts"):
        train_pipeline(tmp_path, "a", "b", plans={"parser": PartPlan()})
    with pytest.raises(ValueError, match="give --train and --dev"):
        train_pipeline(tmp_path / "new", None, None, resume=True, verbose=False)
