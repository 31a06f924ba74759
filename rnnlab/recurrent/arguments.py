"""The arguments that size and type a layer's parameters, checked before anything is
allocated — one set of rules for every constructor that makes weights (``RNN``, ``LSTM``,
``GRU``, their one-step cells, ``Linear``, ``Embedding``), so that each refuses the same
values with the same one-line ``ValueError`` whichever compute path runs later.

* **sizes** are integers (Python or NumPy; not ``bool``, not ``float`` — ``inf`` and
  ``8.0`` are refused, not truncated) from 1 to :data:`MAX_SIZE`;
* **dtype** is float32 or float64, the types every compute path has kernels for. float16
  is refused rather than run: NumPy would compute in it, the compiled kernels cannot, and a
  layer must give the same numbers on every path. (A model's weights can still be *stored*
  as float16: ``model.save(folder, weight_dtype=np.float16)``; they load as float32.)
  Integer and bool types are refused too, never cast;
* **memory**: the parameters a constructor is about to draw must fit in the memory this
  machine has available (:func:`available_memory`), so ``LSTM(4, 10_000_000)`` is an error
  that says how much it would need instead of a ``MemoryError`` (or swapping) later;
* **budget**: inside :func:`parameter_budget` the parameters claimed by every constructor
  add up, and passing the budget is a :class:`ParameterBudgetError`. Opening a model folder
  uses it with the number of values its weights file holds: a config whose sizes build more
  parameters than that is wrong, and is refused before its layers are drawn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_SIZE = 2**24  # any one size: 16.7 M (vocabularies of millions of words still fit)
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_CHECK_MEMORY_FROM = 2**26  # bytes; below this a constructor does not read /proc/meminfo


class ParameterBudgetError(ValueError):
    """The parameters built inside :func:`parameter_budget` passed its limit."""

    def __init__(self, owner: str, claimed: int, limit: int) -> None:
        self.owner, self.claimed, self.limit = owner, claimed, limit
        super().__init__(f"{owner} takes the parameters built past {limit:,} values "
                         f"(at least {claimed:,})")


@dataclass
class _Budget:
    limit: int
    claimed: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("rnnlab_parameter_budget", default=None)


# ----------------------------------------------------------------------------- sizes
def check_size(name: str, value: Any) -> int:
    """``value`` as an ``int`` if it is an integer from 1 to :data:`MAX_SIZE`.

    Raises:
        ValueError: anything else, naming ``name`` and the value.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value > MAX_SIZE:
        raise ValueError(f"{name} must be at most {MAX_SIZE:,}, got {int(value):,}")
    return int(value)


def check_dtype(owner: str, dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype if it is float32 or float64.

    Raises:
        ValueError: float16 (module docstring), any other type, or something that is not a
            dtype at all.
    """
    try:
        found = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"{owner}: dtype must be float32 or float64, got {dtype!r}") from None
    if found == np.float16:
        raise ValueError(f"{owner}: dtype float16 is not supported (the compiled kernels "
                         "compute in float32 or float64); build it in float32 — weights can "
                         "still be saved as float16 with save(..., weight_dtype=np.float16)")
    if found not in DTYPES:
        raise ValueError(f"{owner}: dtype must be float32 or float64, got {found}")
    return found


def check_index(name: str, value: Any, size: int) -> int | None:
    """``value`` (None, or an integer in [0, ``size``)) as an ``int`` or None.

    Raises:
        ValueError: anything else, naming ``name``.
    """
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer) \
            or not 0 <= value < size:
        raise ValueError(f"{name} must be None or an integer in [0, {size}), got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- memory
def available_memory() -> int:
    """Bytes of memory a new allocation can take now: ``MemAvailable`` of
    ``/proc/meminfo`` where there is one, else the free physical pages, else all of them."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    page = os.sysconf("SC_PAGE_SIZE")
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return os.sysconf(name) * page
        except (ValueError, OSError):
            continue
    return 2**63  # no way to tell: do not refuse


def format_bytes(count: float) -> str:
    """``1.5 GiB``-style text for a number of bytes."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    power = min(int(math.log(max(count, 1), 1024)), len(units) - 1)
    return f"{count / 1024**power:.1f} {units[power]}"


def claim_parameters(owner: str, count: int, dtype: np.dtype) -> None:
    """Check that ``count`` parameters of ``dtype``, which ``owner`` (e.g.
    ``"LSTM(4, 8)"``) is about to draw, fit in memory and in the current budget.

    Raises:
        ValueError: more bytes than the memory available.
        ParameterBudgetError: past the limit of :func:`parameter_budget`.
    """
    budget = _budget.get()
    if budget is not None:
        budget.claimed += count
        if budget.claimed > budget.limit:
            raise ParameterBudgetError(owner, budget.claimed, budget.limit)
    needed = count * np.dtype(dtype).itemsize
    if needed >= _CHECK_MEMORY_FROM:
        available = available_memory()
        if needed > available:
            raise ValueError(f"{owner}: {count:,} parameters need {format_bytes(needed)} "
                             f"({np.dtype(dtype)}), more than the {format_bytes(available)} "
                             "of memory available")


@contextmanager
def parameter_budget(limit: int) -> Iterator[None]:
    """Inside, the constructors of this module's users may draw at most ``limit``
    parameter values in all (module docstring); budgets do not nest."""
    token = _budget.set(_Budget(limit))
    try:
        yield
    finally:
        _budget.reset(token)


# ------------------------------------------------------------------ whole constructors
def check_layer(
    owner: Any, input_size: Any, hidden_size: Any, num_layers: Any, bidirectional: bool,
    bias: bool, dtype: Any, proj_size: int = 0,
) -> tuple[int, int, int, np.dtype]:
    """The checked ``(input_size, hidden_size, num_layers, dtype)`` of ``owner``, a
    recurrent layer (``num_layers=1`` for a one-step cell) whose ``kind`` has ``gates`` gate
    blocks per weight matrix, its parameters claimed (:func:`claim_parameters`); with
    ``proj_size`` P (an LSTM's projection) the recurrent state is P wide and each direction
    also holds W_hr (P × hidden_size)."""
    name, gates, directions = type(owner).__name__, owner.kind.gates, 2 if bidirectional else 1
    input_size = check_size("input_size", input_size)
    hidden_size = check_size("hidden_size", hidden_size)
    num_layers = check_size("num_layers", num_layers)
    dtype = check_dtype(name, dtype)
    rows = gates * hidden_size
    projection = proj_size if isinstance(proj_size, int) and 0 < proj_size < hidden_size else 0
    width = projection or hidden_size
    per_direction = rows * (width + (2 if bias else 0)) + projection * hidden_size
    count = directions * (rows * input_size + per_direction)
    count += (num_layers - 1) * directions * (rows * directions * width + per_direction)
    claim_parameters(f"{name}({input_size}, {hidden_size})", count, dtype)
    return input_size, hidden_size, num_layers, dtype


def check_linear(owner: Any, in_features: Any, out_features: Any, bias: bool, dtype: Any
                 ) -> tuple[int, int, np.dtype]:
    """The checked ``(in_features, out_features, dtype)`` of a ``Linear``, claimed."""
    name = type(owner).__name__
    in_features = check_size("in_features", in_features)
    out_features = check_size("out_features", out_features)
    dtype = check_dtype(name, dtype)
    claim_parameters(f"{name}({in_features}, {out_features})",
                     out_features * (in_features + (1 if bias else 0)), dtype)
    return in_features, out_features, dtype


def check_embedding(owner: Any, num_embeddings: Any, embedding_dim: Any, padding_idx: Any,
                    dtype: Any) -> tuple[int, int, int | None, np.dtype]:
    """The checked ``(num_embeddings, embedding_dim, padding_idx, dtype)`` of an
    ``Embedding``, claimed."""
    name = type(owner).__name__
    num_embeddings = check_size("num_embeddings", num_embeddings)
    embedding_dim = check_size("embedding_dim", embedding_dim)
    padding_idx = check_index("padding_idx", padding_idx, num_embeddings)
    dtype = check_dtype(name, dtype)
    claim_parameters(f"{name}({num_embeddings}, {embedding_dim})",
                     num_embeddings * embedding_dim, dtype)
    return num_embeddings, embedding_dim, padding_idx, dtype
