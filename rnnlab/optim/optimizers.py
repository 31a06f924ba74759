"""Gradient descent (LECTURE §4: w ← w − η ∂C/∂w) and its usual refinements."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from rnnlab.engine.module import Parameter


class Optimizer:
    """Holds the parameters and per-parameter state; ``state_dict`` makes resume exact."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.step_count = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.step_count += 1
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self._update(i, p)

    def _update(self, i: int, p: Parameter) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _buffers(self) -> dict[str, list[np.ndarray | None]]:
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat ``{name: array}`` (safetensors-friendly): scalars and every buffer."""
        state = {"lr": np.array(self.lr), "step_count": np.array(self.step_count)}
        for name, buffers in self._buffers().items():
            for i, b in enumerate(buffers):
                if b is not None:
                    state[f"{name}.{i}"] = b.copy()  # a snapshot: Adam updates m, v in place
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.lr = float(state["lr"])
        self.step_count = int(state["step_count"])
        for name, buffers in self._buffers().items():
            for i in range(len(buffers)):
                key = f"{name}.{i}"
                buffers[i] = np.array(state[key]) if key in state else None


class SGD(Optimizer):
    """w ← w − η (g + λw), with optional (Nesterov) momentum v ← μv + g."""

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 0.1,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def _buffers(self) -> dict[str, list[np.ndarray | None]]:
        return {"velocity": self.velocity}

    def _update(self, i: int, p: Parameter) -> None:
        g = p.grad
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        if self.momentum:
            v = self.velocity[i]
            v = g.copy() if v is None else v * self.momentum + g
            self.velocity[i] = v
            g = g + self.momentum * v if self.nesterov else v
        p.data -= (self.lr * g).astype(p.data.dtype, copy=False)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; ``weight_decay`` is decoupled (AdamW).

    m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − η m̂ / (√v̂ + ε) − ηλw

    ``lazy_rows``: lookup tables (embedding matrices) whose gradient touches only the rows
    a batch looked up. For those, only the rows with a non-zero gradient get the update
    above — m, v and w of every other row stay as they are, instead of decaying and
    drifting on momentum ("lazy Adam", as TensorFlow's LazyAdam and PyTorch's SparseAdam).
    With a 17,000 × 300 table that makes the step several times cheaper; it is a different
    optimiser from dense Adam (rare words keep their momentum until they are seen again),
    equal to it whenever every row has a gradient.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        lazy_rows: Iterable[Parameter] = (),
    ) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.m: list[np.ndarray | None] = [None] * len(self.params)
        self.v: list[np.ndarray | None] = [None] * len(self.params)
        self._scratch: dict[int, np.ndarray] = {}
        lazy_ids = {id(p) for p in lazy_rows}
        unknown = lazy_ids - {id(p) for p in self.params}
        if unknown:
            raise ValueError("lazy_rows names a parameter the optimizer does not update")
        self._lazy = [id(p) in lazy_ids for p in self.params]
        for p, lazy in zip(self.params, self._lazy, strict=True):
            if lazy and p.data.ndim != 2:
                raise ValueError(f"lazy_rows needs 2-D tables, got shape {p.data.shape}")

    def _buffers(self) -> dict[str, list[np.ndarray | None]]:
        return {"m": self.m, "v": self.v}

    def _update(self, i: int, p: Parameter) -> None:
        """One Adam step, in place: no temporary array the size of the parameter per term."""
        g = p.grad.astype(p.data.dtype, copy=False)
        if self.m[i] is None:
            self.m[i] = np.zeros_like(p.data)
            self.v[i] = np.zeros_like(p.data)
        if self._lazy[i]:
            self._update_rows(i, p, g)
            return
        b1, b2 = self.betas
        m, v = self.m[i], self.v[i]
        scratch = self._scratch.get(i)
        if scratch is None or scratch.shape != p.data.shape:
            scratch = self._scratch[i] = np.empty_like(p.data)
        t = self.step_count
        m *= b1  # m ← β₁m + (1 − β₁)g
        np.multiply(g, 1 - b1, out=scratch)
        m += scratch
        v *= b2  # v ← β₂v + (1 − β₂)g²
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        v += scratch
        if self.weight_decay:
            p.data *= 1 - self.lr * self.weight_decay
        # m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ): ε is added to √v̂, not √v
        np.sqrt(v, out=scratch)
        scratch *= 1 / math.sqrt(1 - b2**t)
        scratch += self.eps
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr / (1 - b1**t)
        p.data -= scratch

    def _update_rows(self, i: int, p: Parameter, g: np.ndarray) -> None:
        """The Adam step on the rows r with a non-zero gradient only (``lazy_rows``)."""
        rows = np.flatnonzero(g.any(axis=1))
        if rows.size == 0:
            return
        b1, b2 = self.betas
        t = self.step_count
        g_r = g[rows]
        m_r = self.m[i][rows] * b1 + (1 - b1) * g_r  # m_r ← β₁m_r + (1 − β₁)g_r
        v_r = self.v[i][rows] * b2 + (1 - b2) * (g_r * g_r)  # v_r ← β₂v_r + (1 − β₂)g_r²
        self.m[i][rows], self.v[i][rows] = m_r, v_r
        w_r = p.data[rows]
        if self.weight_decay:
            w_r *= 1 - self.lr * self.weight_decay
        denominator = np.sqrt(v_r) * (1 / math.sqrt(1 - b2**t)) + self.eps  # √v̂ + ε
        w_r -= m_r / denominator * (self.lr / (1 - b1**t))
        p.data[rows] = w_r
