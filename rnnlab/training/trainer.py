"""One ``Trainer`` for every model: epochs, evaluation, early stopping, checkpoints.

The loop is gradient descent (LECTURE §4) with the care real runs need:

* each epoch's batch order is drawn from ``seed`` and the epoch number alone, so a run that
  stops mid-epoch resumes with exactly the batches it had left;
* a checkpoint (weights, optimizer buffers, random-generator state, loop position, history)
  is written every ``checkpoint_every`` steps, at each epoch's end and on Ctrl-C, as one
  unit (:mod:`rnnlab.io.folder_swap`: the previous complete checkpoint stays, as
  ``checkpoint.previous``, until the next one is complete), and ``resume=True`` continues
  from it to the same numbers an uninterrupted run gives; a damaged checkpoint is refused
  with a message naming the last complete one;
* the first Ctrl-C (SIGINT) or SIGTERM stops at the next step boundary and saves a
  checkpoint there; a second one stops at once — mid-step it saves nothing (the weights may
  be half updated), during that save it abandons the save — and the last complete
  checkpoint stays; a failed save (a full disk) leaves it too, and says so;
* a NaN or infinite loss or gradient stops training with :class:`NonFiniteLossError` naming
  the epoch and step, before any parameter is touched — nothing is silently trained on;
* the best model on the dev metric is saved as it appears; ``patience`` epochs without
  improvement stop the run; ``metrics.jsonl`` (rewritten from the checkpoint's history, so
  each epoch is in it once however often the run was interrupted) and
  ``learning_curves.png`` show the history;
* ``average_decay`` keeps an exponential moving average of the weights
  (:mod:`rnnlab.training.averaging`), which is what evaluation sees and the best model holds;
* ``time_budget_minutes`` stops a run (with a checkpoint) once its training time, summed
  over resumes, reaches the budget; the weights at the stop are evaluated and saved as the
  model when no epoch has ended yet or when they beat the best epoch, so a stopped run
  always leaves one and the partial last epoch is not lost; a finished run resumed with
  more epochs or a larger budget goes on where it stopped;
* ``budget_clock`` says what the budget counts: ``"wall"`` (elapsed time of the training
  steps) or ``"cpu"`` (the process's CPU time in them, all threads, ``time.process_time``)
  — on a shared machine, where other jobs slow a run down, CPU time buys the same training
  whatever the load, so runs compared under one budget stay comparable;
* ``lr_schedule="cosine"`` anneals the learning rate over the time budget: before each
  update η = η₀·½(1 + cos(π·t/budget)), t the training time so far (summed over resumes),
  so the rate reaches 0 at the stop however many epochs the machine's speed allows.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from rnnlab import random as rnd
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.io.atomic import atomic_write_text
from rnnlab.io.folder_swap import (
    IncompleteFolderError,
    find_complete_folder,
    replace_folder,
)
from rnnlab.io.serialization import load_arrays, load_json, save_arrays, save_json
from rnnlab.nn.layers import Embedding
from rnnlab.optim import SGD, Adam, NonFiniteGradientError, Optimizer, clip_grad_norm
from rnnlab.training.averaging import WeightAverage
from rnnlab.training.plots import plot_learning_curves

CHECKPOINT_DIR = "checkpoint"
BEST_DIR = "model"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILES = ("state.json", "model.safetensors", "optimizer.safetensors")
LR_SCHEDULES = ("none", "step", "plateau", "cosine")
BUDGET_CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class NonFiniteLossError(FloatingPointError):
    """The loss or a gradient became NaN or infinite; training stopped before the update."""


class TrainableModel(Protocol):
    """What the Trainer needs from a model (besides being a :class:`Module`)."""

    def loss(self, batch: Any) -> Tensor: ...

    def save(self, directory: str | Path) -> Any: ...


@dataclass
class TrainerConfig:
    """Hyper-parameters of the loop itself (the model has its own config)."""

    epochs: int = 10
    optimizer: str = "adam"  # "adam" or "sgd"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    clip_norm: float = 5.0  # 0 disables clipping
    lr_schedule: str = "none"  # "none", "step" (decay after lr_decay_start), "plateau" or
    # "cosine" (annealed to 0 over time_budget_minutes)
    lr_decay: float = 0.5
    lr_decay_start: int = 5
    patience: int = 0  # epochs without dev improvement before stopping; 0 = never stop early
    monitor: str = "loss"  # dev metric deciding "best"
    monitor_mode: str = "min"  # "min" or "max"
    checkpoint_every: int = 200  # steps; 0 = only at epoch ends
    time_budget_minutes: float = 0.0  # training time limit over all resumes; 0 = none
    budget_clock: str = "wall"  # what the budget counts: "wall" or "cpu" (process CPU time)
    lazy_embedding_updates: bool = False  # Adam: update only the embedding rows a batch used
    average_decay: float = 0.0  # evaluate and save an EMA of the weights (e.g. 0.999); 0 = off
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, "
                             f"not {self.lr_schedule!r}")
        if self.lr_schedule == "cosine" and self.time_budget_minutes <= 0:
            raise ValueError("the cosine lr schedule anneals over the time budget: give "
                             "time_budget_minutes > 0")
        if self.budget_clock not in BUDGET_CLOCKS:
            raise ValueError(f"budget_clock must be one of {', '.join(BUDGET_CLOCKS)}, "
                             f"not {self.budget_clock!r}")
        if self.lazy_embedding_updates and self.optimizer != "adam":
            raise ValueError("lazy_embedding_updates needs the adam optimizer (SGD without "
                             "momentum leaves rows without a gradient alone already)")
        if not 0.0 <= self.average_decay < 1.0:
            raise ValueError(f"average_decay must be in [0, 1), got {self.average_decay}")
        if self.monitor_mode not in ("min", "max"):
            raise ValueError(f"monitor_mode must be 'min' or 'max', not {self.monitor_mode!r}")


@dataclass
class LoopState:
    """Where the loop is; saved in every checkpoint."""

    epoch: int = 1
    step_in_epoch: int = 0
    global_step: int = 0
    best: float | None = None
    best_epoch: int = 0
    bad_epochs: int = 0
    lr: float = 0.0
    history: list[dict] = field(default_factory=list)
    epoch_loss_sum: float = 0.0
    epoch_items: int = 0
    finished: bool = False
    stopped_early: bool = False
    train_seconds: float = 0.0
    # dev metrics of the weights saved when the time budget ran out before any epoch ended
    budget_stop: dict | None = None


class _Stop(KeyboardInterrupt):
    """Raised by the loop at a step boundary after a stop request: the state is whole and
    is saved before the interrupt goes on to the caller."""


class _StopRequests:
    """Ctrl-C (SIGINT) and ``kill`` (SIGTERM) ask the loop to stop at the next step boundary,
    so the checkpoint never holds a half-applied update; a second signal stops at once
    (a plain :class:`KeyboardInterrupt`)."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def installed(self):
        self.requested = False
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._handle) for sig in signals}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _describe(checkpoint: Path) -> str:
    """``DIR (epoch E, step S)``: a checkpoint folder and where it resumes."""
    try:
        loop = load_json(checkpoint / "state.json")["loop"]
        return f"{checkpoint} (epoch {loop['epoch']}, step {loop['step_in_epoch']})"
    except (OSError, ValueError, KeyError, TypeError):
        return str(checkpoint)


def make_optimizer(model: Module, config: TrainerConfig) -> Optimizer:
    """The optimizer ``config`` names over ``model``'s parameters; with
    ``lazy_embedding_updates``, Adam updates only the looked-up rows of every
    :class:`~rnnlab.nn.Embedding` table (see :class:`~rnnlab.optim.Adam`)."""
    params = model.parameters()
    if config.optimizer == "adam":
        tables = [m.weight for m in model.modules() if isinstance(m, Embedding)]
        return Adam(params, lr=config.lr, weight_decay=config.weight_decay,
                    lazy_rows=tables if config.lazy_embedding_updates else ())
    return SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


class Trainer:
    """Train ``model`` on the batches ``batches_for_epoch(epoch, rng)`` returns.

    ``evaluate()`` returns dev metrics (a dict that must contain ``config.monitor``);
    ``batch_items(batch)`` counts what the progress bar's rate shows (tokens, sentences).
    """

    def __init__(
        self,
        model: Module,
        config: TrainerConfig,
        out_dir: str | Path,
        batches_for_epoch: Callable[[int, np.random.Generator], Sequence[Any]],
        evaluate: Callable[[], dict[str, float]] | None = None,
        batch_items: Callable[[Any], int] = lambda batch: 1,
        item_name: str = "batch",
    ) -> None:
        self.model, self.config, self.out_dir = model, config, Path(out_dir)
        self.batches_for_epoch, self.evaluate = batches_for_epoch, evaluate
        self.batch_items, self.item_name = batch_items, item_name
        self.optimizer = make_optimizer(model, config)
        self.average = (WeightAverage(model.parameters(), config.average_decay)
                        if config.average_decay else None)
        self.state = LoopState(lr=config.lr)
        self._stop = _StopRequests()

    # ------------------------------------------------------------ checkpoints
    @property
    def checkpoint_dir(self) -> Path:
        return self.out_dir / CHECKPOINT_DIR

    def save_checkpoint(self) -> None:
        """Write weights, optimizer, RNG and loop state as one unit (see ``folder_swap``);
        when that fails (a full disk), say which checkpoint is kept and re-raise."""
        try:
            replace_folder(self.checkpoint_dir, self._write_checkpoint, keep_previous=True)
        except OSError:
            print(f"could not write a checkpoint; {self._kept()}", file=sys.stderr)
            raise

    def last_checkpoint(self) -> str | None:
        """The last complete checkpoint on disk and where it resumes, e.g. ``OUT/checkpoint
        (epoch 2, step 5)``; None when there is none."""
        try:
            return _describe(find_complete_folder(self.checkpoint_dir, CHECKPOINT_FILES))
        except FileNotFoundError:
            return None

    def _kept(self) -> str:
        last = self.last_checkpoint()
        return (f"the last complete checkpoint, {last}, is kept: rerun with --resume"
                if last else "there is no complete checkpoint yet")

    def _write_checkpoint(self, directory: Path) -> None:
        save_arrays(directory / "model.safetensors", self.model.state_dict())
        save_arrays(directory / "optimizer.safetensors", self.optimizer.state_dict())
        if self.average is not None:
            save_arrays(directory / "average.safetensors", self.average.state_dict())
        extra = getattr(self.model, "trainer_state", None)
        if extra is not None:
            save_arrays(directory / "model_extra.safetensors", extra())
        save_json(
            directory / "state.json",
            {"loop": asdict(self.state), "rng": rnd.get_state(), "config": asdict(self.config)},
        )

    def load_checkpoint(self) -> None:
        """Load the last complete checkpoint.

        Raises:
            FileNotFoundError: there is none, or it is damaged (the message names the last
                complete one to resume from instead, when there is one).
            ValueError: its files do not fit this model.
        """
        directory = self._checkpoint_to_load()
        saved = load_json(directory / "state.json")
        for name, target in (("model", self.model), ("optimizer", self.optimizer)):
            path = directory / f"{name}.safetensors"
            try:
                target.load_state_dict(load_arrays(path))
            except (KeyError, ValueError) as error:
                detail = error.args[0] if error.args else error
                raise ValueError(f"{path}: does not fit this run's {name} ({detail})") \
                    from error
        if self.average is not None:
            self.average.load_state_dict(load_arrays(directory / "average.safetensors"))
        loader = getattr(self.model, "load_trainer_state", None)
        if loader is not None and (directory / "model_extra.safetensors").exists():
            loader(load_arrays(directory / "model_extra.safetensors"))
        rnd.set_state(saved["rng"])
        self.state = LoopState(**saved["loop"])

    def _checkpoint_to_load(self) -> Path:
        target = self.checkpoint_dir
        try:
            return find_complete_folder(target, CHECKPOINT_FILES)
        except IncompleteFolderError as error:
            if not target.exists() and error.fallback is None:
                raise FileNotFoundError(
                    f"--resume: no checkpoint to resume from ({error.problem}): the run "
                    "stopped before its first checkpoint; start it again with --overwrite"
                ) from None
            if error.fallback is None:
                raise IncompleteFolderError(
                    f"--resume: the checkpoint is damaged ({error.problem}) and there is no "
                    "earlier complete one: start the run again with --overwrite") from None
            fallback = _describe(error.fallback)
            raise IncompleteFolderError(
                f"--resume: the checkpoint is damaged ({error.problem}); the last complete "
                f"one is {fallback}: move {target} aside (e.g. to {target.name}.damaged) and "
                "run --resume again to continue from it", error.fallback) from None

    def _save_model(self) -> None:
        """The evaluated weights become ``OUT/model``, replacing the old folder as one unit."""
        replace_folder(self.out_dir / BEST_DIR, self.model.save, manifest=False)

    def _write_metrics(self) -> None:
        """``metrics.jsonl`` from the history: one line per finished epoch."""
        lines = "".join(json.dumps(row) + "\n" for row in self.state.history)
        atomic_write_text(self.out_dir / METRICS_FILE, lines)

    # ------------------------------------------------------------------ loop
    def fit(self, resume: bool = False) -> list[dict]:
        """Run to the end (or early stop); returns the per-epoch history."""
        if resume:
            self.load_checkpoint()
            self._reopen_if_extended()
            self._write_metrics()
            print(
                f"resumed from {self.checkpoint_dir}: epoch {self.state.epoch}, "
                f"step {self.state.step_in_epoch}"
            )
        else:
            rnd.seed(self.config.seed)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with self._stop.installed():
            try:
                while not self.state.finished and self.state.epoch <= self.config.epochs:
                    if self._stop.requested:
                        raise _Stop
                    self._run_epoch()
            except _Stop:
                self._save_at_stop()
                raise
            except KeyboardInterrupt:
                print(f"\nstopped at once; {self._kept()}", file=sys.stderr)
                raise
        self.state.finished = True
        self.save_checkpoint()
        self._write_metrics()
        self._plot()
        return self.state.history

    def _save_at_stop(self) -> None:
        """The checkpoint of a stop request; a second request during it abandons it."""
        try:
            self.save_checkpoint()
        except KeyboardInterrupt:
            print(f"\ninterrupted again while saving; {self._kept()}", file=sys.stderr)
            raise
        self._plot()
        print(f"\ninterrupted: checkpoint saved in {self.checkpoint_dir}; rerun with --resume")

    def _over_budget(self) -> bool:
        budget = self.config.time_budget_minutes
        return budget > 0 and self.state.train_seconds >= 60 * budget

    def _reopen_if_extended(self) -> None:
        """A run that ended by its epoch count or time budget continues if those grew."""
        state = self.state
        if state.finished and not state.stopped_early and not self._over_budget():
            state.finished = state.epoch > self.config.epochs

    def _averaged_weights(self) -> contextlib.AbstractContextManager:
        """The weights that are evaluated and saved: the average if one is kept."""
        return self.average.applied() if self.average is not None else contextlib.nullcontext()

    def _plot(self) -> None:
        if self.state.history:
            plot_learning_curves(self.state.history, self.out_dir / "learning_curves.png")

    def _run_epoch(self) -> None:
        state, config = self.state, self.config
        self.optimizer.lr = state.lr
        epoch_rng = np.random.default_rng([config.seed, state.epoch])
        batches = self.batches_for_epoch(state.epoch, epoch_rng)
        start_time = time.perf_counter()
        self.model.train()
        reset = getattr(self.model, "start_epoch", None)
        if reset is not None and state.step_in_epoch == 0:
            reset()
        bar = tqdm(
            total=len(batches),
            initial=state.step_in_epoch,
            desc=f"epoch {state.epoch}/{config.epochs}",
            disable=not config.progress,
            unit="batch",
            dynamic_ncols=True,
        )
        items_seen = 0
        clock = BUDGET_CLOCKS[config.budget_clock]
        for batch in batches[state.step_in_epoch :]:
            step_start = clock()
            loss_value = self._train_step(batch)
            state.train_seconds += clock() - step_start
            n = self.batch_items(batch)
            items_seen += n
            state.epoch_loss_sum += loss_value * n
            state.epoch_items += n
            state.step_in_epoch += 1
            state.global_step += 1
            elapsed = max(time.perf_counter() - start_time, 1e-9)
            bar.set_postfix(
                loss=f"{state.epoch_loss_sum / max(state.epoch_items, 1):.4f}",
                rate=f"{items_seen / elapsed:.0f} {self.item_name}/s",
                refresh=False,
            )
            bar.update(1)
            if config.checkpoint_every and state.global_step % config.checkpoint_every == 0:
                self.save_checkpoint()
            if self._stop.requested:
                bar.close()
                raise _Stop
            if self._over_budget():
                bar.close()
                self._stop_for_budget()
                return
        bar.close()
        self._end_epoch(time.perf_counter() - start_time)

    def _stop_for_budget(self) -> None:
        """End the run at the time budget: evaluate the weights at the stop and save them
        when no epoch has ended yet or when they beat the best epoch (``best_epoch`` is then
        0 and ``budget_stop`` holds their dev metrics)."""
        state, config = self.state, self.config
        state.finished = True
        with self._averaged_weights():
            metrics = {"epoch": state.epoch, "step": state.step_in_epoch, **self._dev_metrics()}
            value = metrics.get(f"dev_{config.monitor}")
            better = state.best is None or value is not None and (
                value < state.best if config.monitor_mode == "min" else value > state.best)
            if better:
                state.budget_stop = metrics
                if value is not None:
                    state.best, state.best_epoch = value, 0
                self._save_model()
        self.model.train()
        shown = ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        saved = (f"; the model at the stop is saved ({shown})" if better else
                 f"; epoch {state.best_epoch}'s model is kept" + (f" (at the stop: {shown})"
                                                                  if shown else ""))
        self.save_checkpoint()
        print(
            f"time budget of {config.time_budget_minutes:g} min reached at epoch "
            f"{state.epoch}, step {state.step_in_epoch}{saved}; checkpoint saved (resume with "
            "a larger budget to go on)"
        )

    def _dev_metrics(self) -> dict[str, float]:
        """``dev_…`` metrics of the current weights (nothing without ``evaluate``)."""
        if self.evaluate is None:
            return {}
        self.model.eval()
        with no_grad():
            metrics = self.evaluate()
        self.model.train()
        return {f"dev_{k}": v for k, v in metrics.items()}

    def _annealed_lr(self) -> float:
        """The cosine schedule's rate at the training time spent so far."""
        done = min(self.state.train_seconds / (60 * self.config.time_budget_minutes), 1.0)
        return self.config.lr * 0.5 * (1.0 + math.cos(math.pi * done))

    def _train_step(self, batch: Any) -> float:
        state = self.state
        if self.config.lr_schedule == "cosine":
            state.lr = self.optimizer.lr = self._annealed_lr()
        self.optimizer.zero_grad()
        loss = self.model.loss(batch)
        value = float(loss.data)
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"loss is {value} at epoch {state.epoch}, step {state.step_in_epoch + 1}: "
                "training stopped before the update (check the learning rate and the data)"
            )
        loss.backward()
        try:
            clip_grad_norm(self.model.parameters(), self.config.clip_norm)
        except NonFiniteGradientError as error:
            raise NonFiniteLossError(
                f"epoch {state.epoch}, step {state.step_in_epoch + 1}: {error}; "
                "training stopped before the update"
            ) from error
        self.optimizer.step()
        if self.average is not None:
            self.average.update()
        return value

    def _end_epoch(self, seconds: float) -> None:
        state, config = self.state, self.config
        row: dict[str, Any] = {
            "epoch": state.epoch,
            "train_loss": state.epoch_loss_sum / max(state.epoch_items, 1),
            "lr": state.lr,
            "seconds": round(seconds, 2),
        }
        with self._averaged_weights():
            row.update(self._dev_metrics())
            value = row[f"dev_{config.monitor}"] if self.evaluate is not None else row["train_loss"]
            improved = state.best is None or (
                value < state.best if config.monitor_mode == "min" else value > state.best
            )
            if improved:
                state.best, state.best_epoch, state.bad_epochs = value, state.epoch, 0
                self._save_model()
            else:
                state.bad_epochs += 1
        state.history.append(row)
        if seconds >= 20:  # cheap next to the epoch; short epochs plot once at the end
            self._plot()
        shown = ", ".join(f"{k}={v:.4f}" for k, v in row.items() if isinstance(v, float))
        print(f"epoch {state.epoch}: {shown}" + ("  (best so far, saved)" if improved else ""))

        step_decay = config.lr_schedule == "step" and state.epoch >= config.lr_decay_start
        plateau_decay = config.lr_schedule == "plateau" and not improved
        if step_decay or plateau_decay:
            state.lr *= config.lr_decay
        if config.patience and state.bad_epochs >= config.patience:
            print(f"early stop: dev {config.monitor} did not improve for {config.patience} epochs")
            state.finished = state.stopped_early = True
        state.epoch += 1
        state.step_in_epoch = 0
        state.epoch_loss_sum, state.epoch_items = 0.0, 0
        self.save_checkpoint()
        self._write_metrics()  # after the checkpoint that holds the epoch: never twice
