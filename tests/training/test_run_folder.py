"""The run-folder rules every task shares (:class:`RunFolder`) and the Trainer's checkpoint
written as one unit, on a toy task."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import rnnlab
from rnnlab import ops
from rnnlab import random as rnd
from rnnlab.io import save_model_dir
from rnnlab.nn import Linear, Module
from rnnlab.training import Trainer, TrainerConfig
from rnnlab.training import trainer as trainer_module
from rnnlab.training.run_folder import (
    DATA_PATH,
    LoopOverrides,
    RunFolder,
    config_from_dict,
    differences,
)


@dataclass
class ToyData:
    train: str = field(default="train.txt", metadata=DATA_PATH)


@dataclass
class ToyModel:
    width: int = 3


@dataclass
class ToyConfig:
    data: ToyData = field(default_factory=ToyData)
    model: ToyModel = field(default_factory=ToyModel)
    loop: TrainerConfig = field(default_factory=lambda: TrainerConfig(epochs=2, seed=5))


def test_a_new_run_writes_run_json_once(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = RunFolder(tmp_path / "run")
    config = run.start("toy", ToyConfig, ToyConfig())
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["task"] == "toy" and record["seed"] == 5 and record["format"] == 1
    assert record["data"] == {"train": str(tmp_path / "train.txt")}  # absolute
    assert set(record["versions"]) == {"rnnlab", "numpy", "python"}
    assert record["versions"]["rnnlab"] == rnnlab.__version__
    assert config_from_dict(ToyConfig, record["config"]) == config
    assert config.data.train == str(tmp_path / "train.txt")


def test_the_run_start_seeds(tmp_path: Path):
    RunFolder(tmp_path / "a").start("toy", ToyConfig, ToyConfig())
    first = rnd.generator().random()
    RunFolder(tmp_path / "b").start("toy", ToyConfig, ToyConfig())
    assert rnd.generator().random() == first


def test_a_non_empty_folder_is_refused_unless_overwrite(tmp_path: Path):
    run = RunFolder(tmp_path)
    run.start("toy", ToyConfig, ToyConfig())
    (tmp_path / "model").mkdir()
    (tmp_path / "checkpoint.previous").mkdir()
    (tmp_path / "metrics.jsonl").write_text("{}\n")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"is not empty .*--resume.*--overwrite"):
        run.start("toy", ToyConfig, ToyConfig())
    run.start("toy", ToyConfig, ToyConfig(model=ToyModel(4)), overwrite=True,
              task_files=("results.json",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "run.json"]
    assert run.saved_config("toy", ToyConfig).model.width == 4


def test_resume_uses_the_saved_config_and_honours_loop_overrides(tmp_path: Path):
    run = RunFolder(tmp_path)
    run.start("toy", ToyConfig, ToyConfig(model=ToyModel(7)))
    (tmp_path / "checkpoint").mkdir()
    resumed = run.start("toy", ToyConfig, None, resume=True,
                        overrides=LoopOverrides(epochs=9, time_budget_minutes=2.5))
    assert resumed.model.width == 7
    assert resumed.loop.epochs == 9 and resumed.loop.time_budget_minutes == 2.5
    same = dataclasses.replace(ToyConfig(model=ToyModel(7)),
                               loop=TrainerConfig(epochs=4, seed=5, patience=2))
    assert run.start("toy", ToyConfig, same, resume=True).loop.epochs == 4  # a loop setting
    with pytest.raises(ValueError, match=r"differs .*width: 7 -> 8"):
        run.start("toy", ToyConfig, ToyConfig(model=ToyModel(8)), resume=True)
    with pytest.raises(ValueError, match="holds a 'toy' run, not 'other'"):
        run.start("other", ToyConfig, None, resume=True)
    with pytest.raises(ValueError, match="exclude each other"):
        run.start("toy", ToyConfig, None, resume=True, overwrite=True)
    assert differences(ToyConfig(), ToyConfig(loop=TrainerConfig(epochs=99, seed=5))) == []


def test_resume_needs_a_run(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="holds no run to resume"):
        RunFolder(tmp_path).start("toy", ToyConfig, None, resume=True)


def test_a_run_of_an_earlier_version_is_adopted_with_its_config(tmp_path: Path):
    (tmp_path / "checkpoint").mkdir()  # a checkpoint, no run.json
    run = RunFolder(tmp_path)
    with pytest.raises(ValueError, match="repeat the run's flags"):
        run.start("toy", ToyConfig, None, resume=True)
    run.start("toy", ToyConfig, ToyConfig(model=ToyModel(6)), resume=True)
    assert run.start("toy", ToyConfig, None, resume=True).model.width == 6



# ------------------------------------------ a session: data first, an early failure undone
def _read_fails(config: ToyConfig) -> None:
    raise FileNotFoundError(f"{config.data.train}: No such file or directory")


def _session(run: RunFolder, read=lambda config: "data", **kwargs):
    return run.session("toy", ToyConfig, kwargs.pop("config", ToyConfig()), read, **kwargs)


def test_a_session_reads_the_data_before_it_writes(tmp_path: Path):
    run = RunFolder(tmp_path / "new" / "run")
    with pytest.raises(FileNotFoundError), _session(run, _read_fails):
        pytest.fail("the block must not run")
    assert not (tmp_path / "new").exists()
    with _session(run) as (config, data):
        assert data == "data" and config.data.train == str(Path("train.txt").resolve())
        assert run.run_file.is_file()
    (run.path / "checkpoint").mkdir()
    (run.path / "notes.txt").write_text("mine")
    before = sorted(p.name for p in run.path.iterdir())
    with pytest.raises(FileNotFoundError), _session(run, _read_fails, overwrite=True):
        pass
    assert sorted(p.name for p in run.path.iterdir()) == before  # overwrite removed nothing


def test_a_new_run_failing_before_its_first_checkpoint_is_undone(tmp_path: Path):
    run = RunFolder(tmp_path / "made" / "run")
    with pytest.raises(KeyboardInterrupt), _session(run):
        (run.path / "checkpoint.tmp-1").mkdir()  # a first checkpoint that never completed
        (run.path / "metrics.jsonl").write_text("")
        raise KeyboardInterrupt
    assert not (tmp_path / "made").exists()  # the folders the run created are gone
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError), _session(RunFolder(tmp_path / "empty")):
        raise ValueError("a model that cannot be built")
    assert list((tmp_path / "empty").iterdir()) == []
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    (kept / "run.json").write_text("{}")
    with pytest.raises(FloatingPointError), _session(RunFolder(kept), overwrite=True):
        raise FloatingPointError("the loss diverged in epoch 1")
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]
    with _session(RunFolder(tmp_path / "again")):  # the same command runs again
        pass


def test_a_run_that_checkpointed_or_resumed_keeps_everything(tmp_path: Path):
    run = RunFolder(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt), _session(run):
        (run.path / "checkpoint").mkdir()
        raise KeyboardInterrupt
    assert sorted(p.name for p in run.path.iterdir()) == ["checkpoint", "run.json"]
    (run.path / "checkpoint").rmdir()  # even a resume that finds no checkpoint keeps run.json
    with pytest.raises(RuntimeError), _session(run, resume=True, config=None):
        raise RuntimeError("failed")
    assert [p.name for p in run.path.iterdir()] == ["run.json"]


# --------------------------------------------------- the checkpoint as one unit
class Regressor(Module):
    def __init__(self) -> None:
        super().__init__()
        self.out = Linear(3, 1, rng=np.random.default_rng(1))

    def loss(self, batch):
        x, y = batch
        diff = self.out(x) - y
        return ops.mean(diff * diff)

    def save(self, directory):
        save_model_dir(directory, self.state_dict(), {"kind": "toy"})


DATA = [(np.random.default_rng(i).standard_normal((4, 3)).astype(np.float32),
         np.random.default_rng(i + 9).standard_normal((4, 1)).astype(np.float32))
        for i in range(5)]


def fit(out: Path, resume: bool = False) -> Regressor:
    model = Regressor()
    config = TrainerConfig(epochs=3, lr=0.05, checkpoint_every=2, progress=False, seed=2)
    Trainer(model, config, out, lambda epoch, rng: [DATA[i] for i in rng.permutation(5)]
            ).fit(resume=resume)
    return model


def test_a_failure_mid_checkpoint_resumes_from_the_previous_complete_one(
        tmp_path: Path, monkeypatch):
    straight = fit(tmp_path / "straight")
    real_arrays, calls = trainer_module.save_arrays, []

    def save_arrays_failing(path, arrays, metadata=None):
        calls.append(path)
        if len(calls) == 8:  # checkpoints at steps 2, 4, 5 (epoch end), 6: its optimizer file
            raise OSError("disk full")
        return real_arrays(path, arrays, metadata)

    monkeypatch.setattr(trainer_module, "save_arrays", save_arrays_failing)
    with pytest.raises(OSError, match="disk full"):
        fit(tmp_path / "broken")
    monkeypatch.setattr(trainer_module, "save_arrays", real_arrays)
    state = json.loads((tmp_path / "broken" / "checkpoint" / "state.json").read_text())
    assert state["loop"]["global_step"] == 5  # the previous complete checkpoint
    assert not list((tmp_path / "broken").glob("checkpoint.tmp-*"))

    resumed = fit(tmp_path / "broken", resume=True)
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
    lines = (tmp_path / "broken" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]


def test_resume_refuses_an_incomplete_checkpoint(tmp_path: Path):
    fit(tmp_path)
    (tmp_path / "checkpoint" / "optimizer.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="lacks optimizer.safetensors"):
        fit(tmp_path, resume=True)


def test_outcome_names_the_weights_it_saved(tmp_path):
    from rnnlab.training.run_folder import TrainOutcome

    best = TrainOutcome(tmp_path, [], 0.5, 12, True, False, None)
    stop = TrainOutcome(tmp_path, [], 0.4, 0, True, False, {"epoch": 17, "step": 3})
    assert best.saved_from == "epoch 12"
    assert stop.saved_from == "the time-budget stop in epoch 17"
