"""Fault injection on a tiny classification run, for ``test_checkpoint_faults.py``.

``python fault_driver.py PLAN.json RESULTS.json`` (with the repository on ``PYTHONPATH``)
imports everything once, runs a reference training, then for each case of the plan forks
a child that trains with one fault injected and, in fresh children forked from the same
untouched parent, resumes the run the way a user would, and compares the result with the
reference bit for bit. Forking keeps each case to a fraction of a second; the parent only
runs one warm-up training in a folder of its own (for the imports and first-call set-up),
and every run seeds itself from its config or checkpoint, so each child is as good as a
fresh process.

A case is ``{"op": NAME, "k": K, "mode": "kill" | "raise" | "kill-after" | "sigint2"}``:

* ``kill``: ``os._exit`` at the K-th call of the operation (nothing is cleaned up, as after
  ``kill -9`` or a power cut once the data is on disk);
* ``kill-after``: the same just after the K-th call returned;
* ``raise``: the K-th call raises ``OSError(ENOSPC)`` (a full disk);
* ``sigint2``: SIGINT during step ``stop_step`` (the loop stops after it and saves a
  checkpoint) and a second SIGINT at the K-th call of the operation after the first.
* ``fsize``: ``RLIMIT_FSIZE`` of K bytes for the whole run (every longer file fails).

``python fault_driver.py kill RUN DATA OP K`` and ``python fault_driver.py resume RUN DATA``
do one faulty run or one resume in a process of their own.

Operations: ``replace`` (os.replace), ``fsync`` (os.fsync), ``write`` (every write to a
file object opened by Python), ``save_file`` (every safetensors file), ``mkdir``
(os.mkdir), ``rmtree`` (shutil.rmtree).

What a resume may meet, and what the child then does as the user would: a run that
stopped before ``run.json`` or before its first checkpoint is refused with "--overwrite" in
the message and started again with ``overwrite=True``; a damaged checkpoint is refused
naming the last complete one, which is moved aside as the message says (reported, since
faults of this kind should never produce one).
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import resource
import shutil
import signal
import sys
import traceback
from pathlib import Path

# one thread: forking a process with other threads running can deadlock the child
for _name in ("RNNLAB_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
              "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["RNNLAB_DISABLE_NUMBA"] = "1"  # the NumPy path: no compilation in each child

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from rnnlab.io import serialization  # noqa: E402
from rnnlab.io.atomic import atomic_path  # noqa: E402
from rnnlab.io.folder_swap import IncompleteFolderError  # noqa: E402
from rnnlab.io.serialization import load_arrays  # noqa: E402
from rnnlab.tasks import classification  # noqa: E402
from rnnlab.tasks.classification import (  # noqa: E402
    ClassificationConfig,
    ClassificationData,
    ClassifierOptions,
)
from rnnlab.training import trainer as trainer_module  # noqa: E402
from rnnlab.training.trainer import TrainerConfig  # noqa: E402

tqdm.monitor_interval = 0  # no monitor thread

KILLED = 86
_OPEN = builtins.open  # unpatched, for the driver's own files
RUN_FILES = {"run.json", "metrics.jsonl", "learning_curves.png", "checkpoint",
             "checkpoint.previous", "model"}


def config(data: str) -> ClassificationConfig:
    loop = TrainerConfig(epochs=2, lr=0.05, monitor="loss", monitor_mode="min",
                         checkpoint_every=3, progress=False, seed=4)
    return ClassificationConfig(
        ClassificationData(data, data),
        ClassifierOptions(hidden_size=4, embed_dim=4, dropout=0.2, attention_dim=4),
        loop, batch_size=8)


# ------------------------------------------------------------------- faults
class Counter:
    """Counts calls of the patched operations; acts at the chosen one."""

    def __init__(self, op: str | None = None, k: int = 0, mode: str = "count",
                 stop_step: int = 0) -> None:
        self.op, self.k, self.mode, self.stop_step = op, k, mode, stop_step
        self.calls: dict[str, int] = {}
        self.armed = mode != "sigint2"  # sigint2 counts from the first SIGINT on

    def hit(self, op: str, **details) -> bool:
        """Record a call of ``op``; act when it is the chosen one. True: act after it."""
        if not self.armed:
            return False
        if op == "rmtree" and details.get("ignore_errors") and self.mode == "raise":
            return False  # such a call never raises
        self.calls[op] = self.calls.get(op, 0) + 1
        if op != self.op or self.calls[op] != self.k:
            return False
        if self.mode == "kill":
            os._exit(KILLED)
        if self.mode == "raise":
            raise OSError(errno.ENOSPC, "No space left on device (injected)")
        if self.mode == "sigint2":
            os.kill(os.getpid(), signal.SIGINT)
            return False
        return self.mode == "kill-after"


class _CountedFile:
    """A file object whose ``write`` calls count as the ``write`` operation."""

    def __init__(self, file, counter: Counter) -> None:
        self._file, self._counter = file, counter

    def write(self, data):
        after = self._counter.hit("write")
        result = self._file.write(data)
        if after:
            os._exit(KILLED)
        return result

    def __enter__(self):
        self._file.__enter__()
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)

    def __iter__(self):
        return iter(self._file)

    def __getattr__(self, name):
        return getattr(self._file, name)


def install(counter: Counter) -> None:
    """Patch the operations (in the forked child only)."""

    def wrap(module, name: str, op: str) -> None:
        real = getattr(module, name)

        def patched(*args, **kwargs):
            after = counter.hit(op, **kwargs)
            result = real(*args, **kwargs)
            if after:
                os._exit(KILLED)
            return result

        setattr(module, name, patched)

    wrap(os, "replace", "replace")
    wrap(os, "fsync", "fsync")
    wrap(os, "mkdir", "mkdir")
    wrap(shutil, "rmtree", "rmtree")
    wrap(serialization, "save_file", "save_file")
    real_open, real_fdopen = builtins.open, os.fdopen

    def counted(opener):
        def open_(file, mode="r", *args, **kwargs):
            handle = opener(file, mode, *args, **kwargs)
            writing = any(c in mode for c in "wax+")
            return _CountedFile(handle, counter) if writing else handle
        return open_

    builtins.open, os.fdopen = counted(real_open), counted(real_fdopen)
    if counter.mode == "sigint2":
        real_step = trainer_module.Trainer._train_step

        def step(self, batch):
            loss = real_step(self, batch)
            if self.state.global_step == counter.stop_step - 1:  # stop after this step
                os.kill(os.getpid(), signal.SIGINT)
                counter.armed = True
            return loss

        trainer_module.Trainer._train_step = step


def quick_plot(history: list[dict], path: Path) -> Path:
    """The learning-curve file written the way ``plot_learning_curves`` writes it (through
    ``atomic_path``, by file name) without matplotlib's drawing time."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(json.dumps(history).encode())
    return path


# ------------------------------------------------------------------ children
def child(job) -> int:
    """Fork; run ``job()`` in the child (exit 0, or 1 with the error in ``error.txt``)."""
    threads = Path("/proc/self/status").read_text().split("Threads:")[1].split()[0]
    if threads != "1":
        raise RuntimeError(f"{threads} threads running: forking could deadlock the child")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            job()
        except BaseException as error:  # noqa: BLE001 — reported to the parent
            code = 2 if isinstance(error, KeyboardInterrupt) else 1
            message = f"{type(error).__name__}: {error}"
            if not isinstance(error, OSError | FileNotFoundError | ValueError |
                              KeyboardInterrupt):
                message += "\n" + traceback.format_exc()
            Path(os.environ["FAULT_ERROR_FILE"]).write_text(message)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def train(run: Path, data: str, *, resume=False, overwrite=False) -> None:
    with _OPEN(os.devnull, "w") as quiet:
        stdout = sys.stdout
        sys.stdout = quiet
        try:
            classification.train(run, None if resume else config(data), resume=resume,
                                 overwrite=overwrite, verbose=False)
        finally:
            sys.stdout = stdout


def error_text(path: Path) -> str:
    text = path.read_text() if path.exists() else ""
    path.unlink(missing_ok=True)
    return text


def snapshot(run: Path) -> dict:
    """The numbers a finished run leaves: final and best weights, optimizer, history."""
    arrays = {}
    for name in ("checkpoint/model.safetensors", "checkpoint/optimizer.safetensors",
                 "model/weights.safetensors"):
        for key, value in load_arrays(run / name).items():
            arrays[f"{name}:{key}"] = value
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    history = [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    return {"arrays": arrays, "history": history}


def differences(reference: dict, got: dict) -> list[str]:
    problems = []
    if got["history"] != reference["history"]:
        problems.append(f"metrics.jsonl {got['history']} != {reference['history']}")
    for key, value in reference["arrays"].items():
        other = got["arrays"].get(key)
        if other is None or other.dtype != value.dtype or not np.array_equal(other, value):
            problems.append(f"{key} differs")
    return problems


def run_case(case: dict, base: Path, data: str, reference: dict) -> dict:
    run = base / f"{case['mode']}-{case['op']}-{case['k']}-{case.get('stop_step', 0)}"
    errors = base / "error.txt"
    os.environ["FAULT_ERROR_FILE"] = str(errors)
    result = {**case, "steps": []}

    def faulty() -> None:
        if case["mode"] == "fsize":
            resource.setrlimit(resource.RLIMIT_FSIZE, (case["k"], case["k"]))
        else:
            install(Counter(case["op"], case["k"], case["mode"], case.get("stop_step", 0)))
        train(run, data)

    code = child(faulty)
    result["fault"] = {"exit": code, "error": error_text(errors)}
    for _ in range(3):  # resume; a refusal is followed by what its message says
        code = child(lambda: train(run, data, resume=True))
        message = error_text(errors)
        result["steps"].append({"exit": code, "error": message})
        if code == 0:
            break
        if "holds no run to resume" in message:  # stopped before run.json: start anew
            code = child(lambda: train(run, data))
            result["steps"].append({"exit": code, "error": error_text(errors), "new": True})
            break
        if "--overwrite" in message and "damaged" not in message:
            code = child(lambda: train(run, data, overwrite=True))
            result["steps"].append({"exit": code, "error": error_text(errors),
                                    "overwrite": True})
            break
        if IncompleteFolderError.__name__ in message and "move" in message:
            (run / "checkpoint").rename(run / "checkpoint.damaged")
            continue
        break
    if code != 0:
        result["problems"] = ["the run could not be resumed"]
        return result
    result["problems"] = differences(reference, snapshot(run))
    debris = sorted(p.name for p in run.iterdir() if p.name not in RUN_FILES
                    and p.name != "checkpoint.damaged")
    if debris:
        result["problems"].append(f"left behind: {debris}")
    shutil.rmtree(run, ignore_errors=True)
    return result


def main() -> None:
    if sys.argv[1] in ("kill", "resume"):  # one step in a process of its own
        run, data = Path(sys.argv[2]), sys.argv[3]
        if sys.argv[1] == "kill":
            install(Counter(sys.argv[4], int(sys.argv[5]), "kill"))
        train(run, data, resume=sys.argv[1] == "resume")
        return
    plan = json.loads(Path(sys.argv[1]).read_text())
    trainer_module.plot_learning_curves = quick_plot
    base, data = Path(plan["base"]), plan["data"]
    reference_run = base / "reference"
    os.environ["FAULT_ERROR_FILE"] = str(base / "error.txt")
    counts_file = base / "counts.json"
    warm = base / "warm-up"  # imports and first-call set-up, once, not in every child
    train(warm, data)
    train(warm, data, resume=True)
    shutil.rmtree(warm)

    def counted_reference() -> None:
        counter = Counter()
        install(counter)
        train(reference_run, data)
        counts_file.write_text(json.dumps(counter.calls))

    if child(counted_reference) != 0:
        raise SystemExit(f"the reference run failed: {error_text(base / 'error.txt')}")
    counts = json.loads(counts_file.read_text())
    reference = snapshot(reference_run)
    cases = []
    for case in plan["cases"]:
        ks = case.get("ks") or range(1, counts.get(case["op"], 0) + 1)
        cases += [{**case, "k": k, "ks": None} for k in ks]
    results = [run_case(case, base, data, reference) for case in cases]
    Path(sys.argv[2]).write_text(json.dumps({"counts": counts, "results": results}, indent=1))


if __name__ == "__main__":
    main()
