"""Fault injection at every file operation of a training run (``fault_driver.py``): a kill,
a full disk (ENOSPC), a file-size limit or a second Ctrl-C at the k-th ``os.replace``,
``os.fsync``, file write, safetensors file, ``os.mkdir`` or ``shutil.rmtree``, for every k
the run performs; then a resume the way a user would. Every case must end bit-identical to
the uninterrupted run (final and best weights, optimizer state, each epoch once in
``metrics.jsonl``), with nothing left behind; the only refusals allowed are those of a run
stopped before it had a checkpoint, which then starts again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("fault_driver.py")
DATA = str(ROOT / "tests" / "fixtures" / "classifier" / "reviews.tsv")
KILLED = 86
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def scratch(tmp_path: Path) -> Path:
    """A folder in memory when the machine has one (fsync is free there), else tmp_path."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(dir=shm, prefix="rnnlab-faults-"))
    return tmp_path


def driver_env() -> dict[str, str]:
    paths = [str(ROOT), str(DRIVER.parent), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def run_plan(tmp_path: Path, cases: list[dict]) -> dict:
    base = scratch(tmp_path)
    try:
        plan, out = tmp_path / "plan.json", tmp_path / "results.json"
        plan.write_text(json.dumps({"base": str(base), "data": DATA, "cases": cases}))
        done = subprocess.run([sys.executable, str(DRIVER), str(plan), str(out)],
                              env=driver_env(), capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(out.read_text())
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


def check(results: dict, fault_exits: set[int]) -> list[dict]:
    """Every case resumed exactly and cleanly; returns the results."""
    cases = results["results"]
    assert cases, results
    for case in cases:
        where = f"{case['mode']} at {case['op']} #{case['k']}: {case}"
        assert case["problems"] == [], where
        assert case["fault"]["exit"] in fault_exits, where
        assert "Traceback" not in case["fault"]["error"], where
        for step in case["steps"][:-1]:  # the refusals before the final, successful step
            assert ("stopped before its first checkpoint" in step["error"]
                    or "holds no run to resume" in step["error"]), where
    return cases


@pytest.mark.parametrize("ops", [("replace", "mkdir", "rmtree"), ("fsync",),
                                 ("write", "save_file")])
def test_a_kill_at_any_file_operation_resumes_exactly(tmp_path, ops):
    results = run_plan(tmp_path, [{"op": op, "mode": "kill"} for op in ops])
    cases = check(results, {KILLED})
    assert len(cases) == sum(results["counts"][op] for op in ops)
    assert len(cases) >= 15


def test_a_kill_just_after_any_rename_resumes_exactly(tmp_path):
    """Includes the moment after ``metrics.jsonl`` is replaced: each epoch stays logged once."""
    results = run_plan(tmp_path, [{"op": "replace", "mode": "kill-after"}])
    assert len(check(results, {KILLED})) == results["counts"]["replace"]


def test_a_full_disk_at_any_file_operation_leaves_a_resumable_run(tmp_path):
    ops = ("replace", "fsync", "write", "save_file", "mkdir")
    results = run_plan(tmp_path, [{"op": op, "mode": "raise"} for op in ops])
    cases = check(results, {0, 1})
    failed = [case for case in cases if case["fault"]["exit"] == 1]
    for case in failed:  # the error is the disk's, said as such (no other exception)
        assert case["fault"]["error"].startswith("OSError: [Errno 28] No space left"), case
    # only a folder's fsync (best effort: some file systems refuse it) may fail silently
    assert len(failed) >= len(cases) - results["counts"]["fsync"] // 2


def test_a_second_sigint_during_the_interrupt_save_leaves_a_resumable_run(tmp_path):
    """SIGINT during a step (the loop stops after it and saves), a second SIGINT at the k-th
    file operation after the first: while files are written it abandons the save, during
    the switch it waits for the switch; either way the resume is exact. Step 2 ends epoch
    1 (the stop comes before the epoch's end is processed); step 3 is followed by a
    periodic checkpoint, then by the interrupt's."""
    cases = [{"op": op, "mode": "sigint2", "ks": list(range(1, n + 1)), "stop_step": step}
             for op, n in (("replace", 6), ("save_file", 3), ("write", 4), ("fsync", 12))
             for step in (2, 3)]
    check(run_plan(tmp_path, cases), {2})


def test_a_file_size_limit_during_training_leaves_a_resumable_run(tmp_path):
    cases = [{"op": "fsize", "mode": "fsize", "ks": [0, 100, 600, 2000, 5000, 20000]}]
    check(run_plan(tmp_path, cases), {0, 1})


def test_a_kill_mid_switch_resumes_exactly_in_fresh_processes(tmp_path):
    """The same as above with real processes: one killed between the two renames of a
    checkpoint switch, a new one resuming, compared with a third that ran straight."""
    runs = {}
    # replace #16 moves the new checkpoint.tmp-… to checkpoint/ after checkpoint/ became
    # checkpoint.previous (the switch of the periodic checkpoint at step 3); the straight
    # run's kill point is never reached
    for name, argv in (("straight", ["kill", "replace", "100000"]),
                       ("killed", ["kill", "replace", "16"])):
        run = tmp_path / name
        done = subprocess.run([sys.executable, str(DRIVER), argv[0], str(run), DATA,
                               *argv[1:]], env=driver_env(), capture_output=True, text=True,
                              timeout=300)
        runs[name] = (run, done.returncode)
    assert runs["straight"][1] == 0 and runs["killed"][1] == KILLED
    killed = runs["killed"][0]
    assert not (killed / "checkpoint").exists() and (killed / "checkpoint.previous").is_dir()
    done = subprocess.run([sys.executable, str(DRIVER), "resume", str(killed), DATA],
                          env=driver_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    from rnnlab.io import load_arrays

    for name in ("checkpoint/model.safetensors", "model/weights.safetensors"):
        expected = load_arrays(runs["straight"][0] / name)
        got = load_arrays(killed / name)
        for key, value in expected.items():
            np.testing.assert_array_equal(got[key], value, err_msg=f"{name}:{key}")
