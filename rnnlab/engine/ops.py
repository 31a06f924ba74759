"""Differentiable operations on :class:`~rnnlab.engine.tensor.Tensor`.

Each class is one operation with its forward and backward side by side; the lowercase
function below it is the public entry point. Broadcasting follows NumPy; the backward
of a broadcast operation sums the gradient back to each input's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnlab.engine import kernels
from rnnlab.engine.tensor import Function, Tensor


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(x)


# ----------------------------------------------------------------- arithmetic
class Add(Function):
    """y = a + b"""

    def forward(self, a, b):
        self.shapes = (_shape(a), _shape(b))
        return np.add(a, b)

    def backward(self, g):
        return _unbroadcast(g, self.shapes[0]), _unbroadcast(g, self.shapes[1])


class Sub(Function):
    """y = a − b"""

    def forward(self, a, b):
        self.shapes = (_shape(a), _shape(b))
        return np.subtract(a, b)

    def backward(self, g):
        return _unbroadcast(g, self.shapes[0]), _unbroadcast(-g, self.shapes[1])


class Mul(Function):
    """y = a ⊙ b;  ∂y/∂a = b, ∂y/∂b = a"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, g):
        ga = _unbroadcast(g * self.b, _shape(self.a)) if self.needs_input_grad[0] else None
        gb = _unbroadcast(g * self.a, _shape(self.b)) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b;  ∂y/∂a = 1/b, ∂y/∂b = −a/b²"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, g):
        ga = _unbroadcast(g / self.b, _shape(self.a)) if self.needs_input_grad[0] else None
        gb = (
            _unbroadcast(-g * self.a / np.square(self.b), _shape(self.b))
            if self.needs_input_grad[1]
            else None
        )
        return ga, gb


class MatMul(Function):
    """y = a @ b (2-D, batched or with a vector);  ∂a = g @ bᵀ, ∂b = aᵀ @ g

    As in ``np.matmul``, a 1-D ``a`` is a (1, K) row and a 1-D ``b`` a (K, 1) column whose
    unit axis the product drops; backward restores that axis, multiplies, then sums the
    broadcast batch axes away and drops it again.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        if self.b.ndim == 1:
            g = g[..., None]
        if self.a.ndim == 1:
            g = g[..., None, :]
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _unbroadcast(g @ np.swapaxes(b, -1, -2), a.shape).reshape(self.a.shape)
        if self.needs_input_grad[1]:
            gb = _unbroadcast(np.swapaxes(a, -1, -2) @ g, b.shape).reshape(self.b.shape)
        return ga, gb


class Linear(Function):
    """y = x Wᵀ + b over the last axis of x (any leading shape) — one GEMM each way."""

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        y = x.reshape(-1, x.shape[-1]) @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(*x.shape[:-1], weight.shape[0])

    def backward(self, g):
        x2 = self.x.reshape(-1, self.x.shape[-1])
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ self.weight).reshape(self.x.shape) if self.needs_input_grad[0] else None
        gw = g2.T @ x2 if self.needs_input_grad[1] else None
        gb = g2.sum(axis=0) if self.has_bias and self.needs_input_grad[2] else None
        return gx, gw, gb


# ----------------------------------------------------------------- elementwise
class Tanh(Function):
    """y = tanh(x);  ∂y/∂x = 1 − y²"""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return g * (1.0 - self.y * self.y)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e^{−x});  ∂y/∂x = y (1 − y)"""

    def forward(self, x):
        self.y = sigmoid_array(x)
        return self.y

    def backward(self, g):
        return g * self.y * (1.0 - self.y)


class Relu(Function):
    """y = max(x, 0)"""

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.mask


class Exp(Function):
    """y = eˣ"""

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    """y = ln x"""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        return g / self.x


class Where(Function):
    """y = a where condition else b (the condition is not differentiated)."""

    def forward(self, condition, a, b):
        self.condition = np.asarray(condition, dtype=bool)
        self.shapes = (_shape(a), _shape(b))
        return np.where(self.condition, a, b)

    def backward(self, g):
        zero = np.zeros((), g.dtype)
        ga = _unbroadcast(np.where(self.condition, g, zero), self.shapes[0])
        gb = _unbroadcast(np.where(self.condition, zero, g), self.shapes[1])
        return None, ga, gb


# -------------------------------------------------------------------- shapes
class GetItem(Function):
    """y = x[index] (basic or advanced indexing); the backward scatters with ``np.add.at``."""

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g):
        grad = np.zeros(self.shape, self.dtype)
        np.add.at(grad, self.index, g)
        return grad, None


class Reshape(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape), None


class Transpose(Function):
    def forward(self, x, axes):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, g):
        inverse = None if self.axes is None else tuple(np.argsort(self.axes))
        return np.transpose(g, inverse), None


class Concat(Function):
    """y = [x₁; x₂; …] along ``axis``"""

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    def backward(self, g):
        cuts = np.cumsum(self.sizes)[:-1]
        return tuple(np.split(g, cuts, axis=self.axis))


class Stack(Function):
    def forward(self, *xs, axis=0):
        self.axis = axis
        return np.stack(xs, axis=axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


# ------------------------------------------------------------------ reductions
class Sum(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, g):
        if self.axis is not None and not self.keepdims:
            g = np.expand_dims(g, self.axis)
        return np.broadcast_to(g, self.shape).copy()


class Max(Function):
    """y = max over ``axis``; the gradient goes to the (first) arg-max."""

    def forward(self, x, axis):
        self.shape, self.axis = x.shape, axis
        self.argmax = np.expand_dims(np.argmax(x, axis=axis), axis)
        return np.take_along_axis(x, self.argmax, axis=axis).squeeze(axis)

    def backward(self, g):
        grad = np.zeros(self.shape, g.dtype)
        np.put_along_axis(grad, self.argmax, np.expand_dims(g, self.axis), axis=self.axis)
        return grad


# --------------------------------------------------------- softmax and losses
class LogSoftmax(Function):
    """y = x − log Σ eˣ along ``axis``;  ∂x = g − softmax(x) Σ g"""

    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.y

    def backward(self, g):
        return g - np.exp(self.y) * g.sum(axis=self.axis, keepdims=True)


class Softmax(Function):
    """y = eˣ / Σ eˣ along ``axis``;  ∂x = y ⊙ (g − Σ g ⊙ y)"""

    def forward(self, x, axis=-1):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, g):
        return self.y * (g - (g * self.y).sum(axis=self.axis, keepdims=True))


class CrossEntropy(Function):
    """Softmax cross-entropy over the last axis (LECTURE §4), fused for stability.

    L = −Σₙ log softmax(zₙ)[yₙ] / N over the targets that are not ``ignore_index``
    (``reduction="mean"``) or the plain sum (``"sum"``). ∂L/∂zₙ = softmax(zₙ) − onehot(yₙ),
    divided by N for the mean, and zero on ignored positions.
    """

    def forward(self, logits, targets, ignore_index=-100, reduction="mean"):
        flat = logits.reshape(-1, logits.shape[-1])
        t = np.asarray(targets).reshape(-1)
        if t.shape[0] != flat.shape[0]:
            raise ValueError(
                f"cross_entropy: {flat.shape[0]} score rows but {t.shape[0]} targets"
            )
        self.keep = t != ignore_index
        safe = np.where(self.keep, t, 0)
        if self.keep.any() and (safe.min() < 0 or safe.max() >= flat.shape[1]):
            raise ValueError(
                f"cross_entropy: targets must lie in [0, {flat.shape[1]}) or equal "
                f"ignore_index={ignore_index}; got range [{safe.min()}, {safe.max()}]"
            )
        shifted = flat - flat.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_probs = shifted - log_z
        picked = log_probs[np.arange(len(t)), safe] * self.keep
        # (count or 1), not max(count, 1): in this module max is ops.max
        self.count = (int(self.keep.sum()) or 1) if reduction == "mean" else 1
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
        self.log_probs, self.safe, self.shape = log_probs, safe, logits.shape
        return np.asarray(-picked.sum() / self.count, dtype=logits.dtype)

    def backward(self, g):
        grad = np.exp(self.log_probs)
        grad[np.arange(len(self.safe)), self.safe] -= 1.0
        grad *= (self.keep[:, None] * (g / self.count)).astype(grad.dtype)
        return grad.reshape(self.shape), None


class Dropout(Function):
    """Inverted dropout: y = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p), sampled by the caller."""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, g):
        return g * self.mask, None


class EmbeddingLookup(Function):
    """y = W[ids];  ∂W accumulates g into the rows that were looked up."""

    def forward(self, weight, ids, padding_idx=None):
        self.shape, self.ids, self.padding_idx = weight.shape, ids, padding_idx
        return weight[ids]

    def backward(self, g):
        """∂W[r] = Σ of g over the positions that looked row r up.

        ``np.empty`` + ``fill(0)`` rather than ``np.zeros``: for a table of tens of MB,
        zeros maps fresh pages that fault one by one as rows are written (17,000 × 300 float32
        on this project's VM, with the scatter: 3.4 against 2.4 ms, up to 7.6 against 2.1 ms
        on a busier box; ``benchmarks/speed/kernel_micro.py``)."""
        grad = np.empty(self.shape, g.dtype)
        grad.fill(0)
        ids = self.ids.reshape(-1)
        rows = g.reshape(-1, self.shape[1])
        if kernels.numba_enabled() and ids.size and rows.flags.c_contiguous:
            from rnnlab.engine.kernels.scatter import scatter_add_rows  # imports numba

            scatter_add_rows(grad, ids.astype(np.int64, copy=False), rows)
        else:
            np.add.at(grad, ids, rows)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad, None


# ------------------------------------------------------------ entry points
def add(a: Any, b: Any) -> Tensor:
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    return Div.apply(a, b)


def matmul(a: Any, b: Any) -> Tensor:
    return MatMul.apply(a, b)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    return Linear.apply(x, weight, bias)


def tanh(x: Any) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(x)


def relu(x: Any) -> Tensor:
    return Relu.apply(x)


def exp(x: Any) -> Tensor:
    return Exp.apply(x)


def log(x: Any) -> Tensor:
    return Log.apply(x)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    return Where.apply(condition, a, b)


def getitem(x: Any, index: Any) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    return GetItem.apply(x, index)


def reshape(x: Any, shape: Sequence[int]) -> Tensor:
    return Reshape.apply(x, tuple(shape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    return Transpose.apply(x, None if axes is None else tuple(axes))


def concat(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return Concat.apply(*xs, axis=axis)


def stack(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return Stack.apply(*xs, axis=axis)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = range(data.ndim) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([data.shape[a] for a in axes]))
    return mul(sum(x, axis=axis, keepdims=keepdims), 1.0 / (count or 1))


def max(x: Any, axis: int) -> Tensor:  # noqa: A001
    return Max.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return LogSoftmax.apply(x, axis=axis)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return Softmax.apply(x, axis=axis)


def cross_entropy(
    logits: Any, targets: Any, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Mean (or summed) softmax cross-entropy; positions equal to ``ignore_index`` count 0."""
    if isinstance(targets, Tensor):
        targets = targets.data
    return CrossEntropy.apply(logits, targets, ignore_index=ignore_index, reduction=reduction)


def dropout(x: Any, p: float, rng: np.random.Generator, training: bool = True) -> Any:
    """Inverted dropout; identity when not training or ``p == 0``."""
    if not training or p == 0.0:
        return x
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    mask = (rng.random(data.shape) >= p).astype(data.dtype) / np.asarray(1.0 - p, data.dtype)
    return Dropout.apply(x, mask)


def embedding(weight: Any, ids: Any, padding_idx: int | None = None) -> Tensor:
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    return EmbeddingLookup.apply(weight, ids, padding_idx=padding_idx)


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """σ(x) computed without overflow for large |x| (σ(x) = ½(1 + tanh(x/2)))."""
    y = np.multiply(x, 0.5)
    np.tanh(y, out=y)
    y += 1.0
    y *= 0.5
    return y
