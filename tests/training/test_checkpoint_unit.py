"""The checkpoint as one unit, in process: a damaged checkpoint is refused naming the last
complete one, and resuming from that one is exact; a failed save says which checkpoint is
kept; signals wait for a folder switch; a second interrupt mid-step saves nothing."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from rnnlab import ops
from rnnlab.io import folder_swap, save_model_dir
from rnnlab.io.folder_swap import IncompleteFolderError, replace_folder
from rnnlab.nn import Linear, Module
from rnnlab.training import Trainer, TrainerConfig
from rnnlab.training import trainer as trainer_module

DATA = [(np.random.default_rng(i).standard_normal((4, 3)).astype(np.float32),
         np.random.default_rng(i + 9).standard_normal((4, 1)).astype(np.float32))
        for i in range(5)]


class Regressor(Module):
    def __init__(self, on_step=None) -> None:
        super().__init__()
        self.out = Linear(3, 1, rng=np.random.default_rng(1))
        self.steps, self.on_step = 0, on_step

    def loss(self, batch):
        self.steps += 1
        if self.on_step is not None:
            self.on_step(self.steps)
        x, y = batch
        diff = self.out(x) - y
        return ops.mean(diff * diff)

    def save(self, directory):
        save_model_dir(directory, self.state_dict(), {"kind": "toy"})


def fit(out: Path, resume: bool = False, on_step=None) -> Regressor:
    model = Regressor(on_step)
    config = TrainerConfig(epochs=3, lr=0.05, checkpoint_every=2, progress=False, seed=2)
    Trainer(model, config, out, lambda epoch, rng: [DATA[i] for i in rng.permutation(5)]
            ).fit(resume=resume)
    return model


def assert_same_weights(a: Regressor, b: Regressor) -> None:
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], value, err_msg=name)


def logged_epochs(run: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def stop_at(step: int):
    def on_step(n):
        if n == step:
            raise KeyboardInterrupt  # a second Ctrl-C arriving mid-step
    return on_step


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "missing", "manifest"])
def test_a_damaged_checkpoint_is_refused_naming_the_last_good_one(tmp_path, damage):
    straight = fit(tmp_path / "straight")
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        fit(run, on_step=stop_at(9))  # checkpoints at steps 2, 4, 5, 6, 8
    weights = run / "checkpoint" / "model.safetensors"
    data = weights.read_bytes()
    if damage == "flipped byte":  # same size: only the digest tells
        weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "truncated":
        weights.write_bytes(data[: len(data) // 2])
    elif damage == "missing":
        weights.unlink()
    else:
        (run / "checkpoint" / "manifest.json").write_text("[1, 2")
    with pytest.raises(IncompleteFolderError) as refused:
        fit(run, resume=True)
    message = str(refused.value)
    assert "the checkpoint is damaged" in message
    assert f"the last complete one is {run / 'checkpoint.previous'} (epoch 2, step 1)" \
        in message
    assert "move" in message and "--resume again" in message
    (run / "checkpoint").rename(run / "checkpoint.damaged")  # what the message says
    assert_same_weights(straight, fit(run, resume=True))
    assert logged_epochs(run) == [1, 2, 3]


def test_a_damaged_checkpoint_without_a_previous_one_says_start_again(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path, on_step=stop_at(3))  # one checkpoint, at step 2
    assert not (tmp_path / "checkpoint.previous").exists()
    (tmp_path / "checkpoint" / "state.json").write_text("{}")
    with pytest.raises(IncompleteFolderError, match="no earlier complete one: start the run "
                                                    "again with --overwrite"):
        fit(tmp_path, resume=True)


def test_no_checkpoint_at_all_says_start_again(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path, on_step=stop_at(1))
    with pytest.raises(FileNotFoundError, match="stopped before its first checkpoint; start "
                                                "it again with --overwrite"):
        fit(tmp_path, resume=True)


def test_the_previous_checkpoint_is_kept_and_both_are_complete(tmp_path):
    fit(tmp_path)
    for name in ("checkpoint", "checkpoint.previous"):
        assert folder_swap.folder_problem(tmp_path / name) is None, name
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint", "checkpoint.previous", "learning_curves.png", "metrics.jsonl", "model"]


def test_a_second_interrupt_mid_step_saves_nothing_and_resumes_exactly(tmp_path, capsys):
    straight = fit(tmp_path / "straight")
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        fit(run, on_step=stop_at(8))  # last checkpoint: step 6
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    assert state["loop"]["global_step"] == 6
    err = capsys.readouterr().err
    assert f"the last complete checkpoint, {run / 'checkpoint'} (epoch 2, step 1), is kept" \
        in err
    assert_same_weights(straight, fit(run, resume=True))


def test_a_full_disk_during_a_checkpoint_says_which_is_kept(tmp_path, monkeypatch, capsys):
    straight = fit(tmp_path / "straight")
    real, calls = trainer_module.save_arrays, []

    def full_disk(path, arrays, metadata=None):
        calls.append(path)
        if len(calls) == 5:  # checkpoints at steps 2, 4, 5: the model file of step 5
            raise OSError(28, "No space left on device", str(path))
        return real(path, arrays, metadata)

    monkeypatch.setattr(trainer_module, "save_arrays", full_disk)
    run = tmp_path / "run"
    with pytest.raises(OSError, match="No space left") as raised:
        fit(run)
    # named by its place in the checkpoint, not in the temporary folder
    assert raised.value.filename == str(run / "checkpoint" / "model.safetensors")
    monkeypatch.setattr(trainer_module, "save_arrays", real)
    assert (f"could not write a checkpoint; the last complete checkpoint, {run / 'checkpoint'}"
            " (epoch 1, step 4), is kept: rerun with --resume") in capsys.readouterr().err
    assert not list(run.glob("checkpoint.tmp-*"))
    assert_same_weights(straight, fit(run, resume=True))


def test_a_full_disk_during_the_interrupt_save_keeps_the_last_checkpoint(tmp_path,
                                                                          monkeypatch):
    straight = fit(tmp_path / "straight")
    run = tmp_path / "run"

    def sigint_then_full_disk(n):
        if n == 7:  # the loop stops after step 7 and saves: that save fails
            os.kill(os.getpid(), signal.SIGINT)
            monkeypatch.setattr(trainer_module, "save_arrays", no_space)

    def no_space(path, arrays, metadata=None):
        raise OSError(28, "No space left on device", str(path))

    with pytest.raises(OSError, match="No space left"):
        fit(run, on_step=sigint_then_full_disk)
    monkeypatch.undo()
    assert json.loads((run / "checkpoint" / "state.json").read_text())["loop"][
        "global_step"] == 6
    assert_same_weights(straight, fit(run, resume=True))


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, whatever the process inherited: one started in the
    background by a non-interactive shell ignores SIGINT (and the switch rightly passes
    an ignored signal on as ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_signals_wait_for_the_folder_switch(tmp_path, monkeypatch, python_sigint):
    """A SIGINT arriving between the two renames takes effect after the second one."""
    target = tmp_path / "ckpt"
    replace_folder(target, lambda folder: (folder / "a").write_text("old"))
    real_replace, seen = os.replace, []

    def replace(src, dst):
        seen.append(Path(dst).name)
        if len(seen) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Python runs handlers between bytecodes
        real_replace(src, dst)

    monkeypatch.setattr(folder_swap.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        replace_folder(target, lambda folder: (folder / "a").write_text("new"))
    assert seen == ["ckpt.previous", "ckpt"]  # both renames happened
    assert (target / "a").read_text() == "new"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_switch_over_a_damaged_folder_keeps_the_previous_one(tmp_path):
    target = tmp_path / "ckpt"
    for text in ("one", "two"):
        replace_folder(target, lambda folder, t=text: (folder / "a").write_text(t),
                       keep_previous=True)
    (target / "a").write_text("damaged!")  # not the size the manifest says
    replace_folder(target, lambda folder: (folder / "a").write_text("three"),
                   keep_previous=True)
    assert (target / "a").read_text() == "three"
    assert (tmp_path / "ckpt.previous" / "a").read_text() == "one"  # not the damaged one


class Crash(BaseException):
    """Stands for the process dying (no handler in the trainer catches it)."""


@pytest.mark.parametrize("after", ["metrics.jsonl", "model"])
def test_a_crash_around_the_epoch_end_logs_each_epoch_once(tmp_path, monkeypatch, after):
    """The metrics are written after the checkpoint that holds their epoch: a crash right
    after the metrics write (or after the best model's switch, before the checkpoint)
    leaves a run whose resume logs every epoch once and ends exactly as a straight run."""
    straight = fit(tmp_path / "straight")
    run = tmp_path / "run"
    real_replace, seen = os.replace, []

    def replace(src, dst):
        real_replace(src, dst)
        if Path(dst) == run / after:
            seen.append(dst)
            if len(seen) == 2:  # the second epoch's
                raise Crash

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Crash):
        fit(run)
    monkeypatch.setattr(os, "replace", real_replace)
    logged = logged_epochs(run)
    assert logged == sorted(set(logged))  # never twice
    assert_same_weights(straight, fit(run, resume=True))
    assert logged_epochs(run) == [1, 2, 3]


def test_a_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    fit(tmp_path)
    other = Regressor()
    other.out = Linear(3, 2, rng=np.random.default_rng(1))
    config = TrainerConfig(epochs=4, lr=0.05, progress=False, seed=2)
    trainer = Trainer(other, config, tmp_path, lambda epoch, rng: DATA)
    with pytest.raises(ValueError, match=r"model.safetensors: does not fit this run's model "
                                         r"\(load_state_dict: out\.\w+ has shape"):
        trainer.fit(resume=True)
