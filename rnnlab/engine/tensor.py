"""A small reverse-mode automatic-differentiation tape over NumPy arrays.

A :class:`Tensor` holds ``data`` (an ``ndarray``), ``grad`` and ``requires_grad``.
Every operation is a :class:`Function` whose ``forward`` and ``backward`` are written
side by side; calling ``Function.apply`` records one node on the tape. Functions are
coarse on purpose: a whole recurrent layer over a whole sequence is *one* node, so the
tape stays short and Python overhead stays low (DESIGN.md, "Engine").

``Tensor.backward`` walks the recorded nodes in reverse topological order — the chain
rule of LECTURE §4 applied mechanically — and accumulates gradients into the leaves.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Run the enclosed block without recording anything on the tape."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


class Tensor:
    """An ndarray that remembers which :class:`Function` made it."""

    __slots__ = ("data", "grad", "requires_grad", "_creator", "_output_index")
    __array_priority__ = 1000  # make ``ndarray + Tensor`` defer to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data, dtype=dtype)
        if dtype is None and array.dtype == np.float64 and not isinstance(data, np.ndarray):
            array = array.astype(np.float32)  # Python floats default to float32, like torch
        self.data: np.ndarray = array
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._creator: Function | None = None
        self._output_index = 0

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data, cut off from the tape (used to carry state in truncated BPTT)."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self.data!r}{flag})"

    # ---------------------------------------------------------------- backward
    def backward(self, grad: np.ndarray | float | None = None) -> None:
        """Accumulate d(self)/d(leaf) · grad into every leaf's ``.grad``.

        With ``grad=None`` the tensor must hold a single value (a loss) and the seed is 1.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("grad must be given for a non-scalar tensor")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype).reshape(self.data.shape)
        if self._creator is None:
            self.grad = grad if self.grad is None else self.grad + grad
            return

        order = _topological_order(self._creator)
        pending: dict[int, list[np.ndarray | None]] = {
            id(self._creator): [None] * self._creator.n_outputs
        }
        pending[id(self._creator)][self._output_index] = grad
        for fn in reversed(order):
            grads_out = pending.pop(id(fn), None)
            if grads_out is None:
                continue
            grads_out = [
                np.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(grads_out, fn.output_meta, strict=True)
            ]
            grads_in = fn.backward(*grads_out)
            if not isinstance(grads_in, tuple):
                grads_in = (grads_in,)
            inputs = fn.inputs
            fn.release()
            if len(grads_in) != len(inputs):
                raise RuntimeError(f"{type(fn).__name__}.backward returned {len(grads_in)} "
                                   f"gradients for {len(inputs)} inputs")
            for index, tensor in enumerate(inputs):
                g = grads_in[index]  # not zip: its reused result tuple would hold g too
                if g is None or not isinstance(tensor, Tensor) or not tensor.requires_grad:
                    continue
                if g.shape != tensor.data.shape:
                    raise RuntimeError(
                        f"{type(fn).__name__}.backward returned a gradient of shape {g.shape} "
                        f"for an input of shape {tensor.data.shape}"
                    )
                creator = tensor._creator
                if creator is None and tensor.grad is not None:
                    tensor.grad = tensor.grad + g
                elif creator is None:
                    # A leaf keeps g itself only when no one else can see it: g owns its
                    # memory and its only references are grads_in, the loop variable and
                    # getrefcount's argument. Otherwise (a view, an array handed to two
                    # inputs, one kept by a function) it gets a copy, so that in-place
                    # changes of one .grad (clipping, optimizers) never reach another.
                    # Skipping the copy matters for embedding tables: tens of MB per step.
                    unshared = g.base is None and sys.getrefcount(g) <= 3
                    tensor.grad = g if unshared else g.copy()
                else:
                    slots = pending.setdefault(id(creator), [None] * creator.n_outputs)
                    i = tensor._output_index
                    slots[i] = g if slots[i] is None else slots[i] + g

    # ------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.add(self, other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.div(other, self)

    def __neg__(self) -> Tensor:
        from rnnlab.engine import ops

        return ops.mul(self, -1.0)

    def __matmul__(self, other: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.matmul(self, other)

    def __getitem__(self, index: Any) -> Tensor:
        from rnnlab.engine import ops

        return ops.getitem(self, index)

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        from rnnlab.engine import ops

        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        from rnnlab.engine import ops

        return ops.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        from rnnlab.engine import ops

        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return ops.reshape(self, shape)

    def transpose(self, *axes: int) -> Tensor:
        from rnnlab.engine import ops

        return ops.transpose(self, axes or None)

    @property
    def T(self) -> Tensor:
        return self.transpose()


class Function:
    """One differentiable operation: subclasses define ``forward`` and ``backward``.

    ``forward(*arrays, **options)`` receives plain ndarrays (``None`` passes through) and
    returns an ndarray or a tuple of them; it may keep whatever ``backward`` needs on
    ``self``. ``backward(*grad_outputs)`` receives one gradient per output and returns one
    gradient (or ``None``) per positional input. ``self.needs_input_grad`` tells which
    inputs want one, so work for the others can be skipped.
    """

    inputs: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    output_meta: tuple[tuple[tuple[int, ...], np.dtype], ...]
    n_outputs: int

    def forward(self, *arrays: Any, **options: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grad_outputs: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:
        """Drop what was saved for backward once backward has run (frees memory)."""
        self.__dict__.clear()
        self.__dict__.update(inputs=(), n_outputs=0, output_meta=())

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        fn = cls()
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        fn.needs_input_grad = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        outputs = fn.forward(*arrays, **options)
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        record = _grad_enabled and any(fn.needs_input_grad)
        tensors = tuple(Tensor(np.asarray(o), requires_grad=record) for o in outputs)
        if record:
            fn.inputs = tuple(inputs)
            fn.n_outputs = len(tensors)
            fn.output_meta = tuple((t.data.shape, t.data.dtype) for t in tensors)
            for i, t in enumerate(tensors):
                t._creator, t._output_index = fn, i
        return tensors[0] if single else tensors


def _topological_order(root: Function) -> list[Function]:
    """Functions reachable from ``root``, each after every function it consumes."""
    order: list[Function] = []
    seen: set[int] = set()
    stack: list[tuple[Function, bool]] = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        for x in fn.inputs:
            if isinstance(x, Tensor) and x._creator is not None and id(x._creator) not in seen:
                stack.append((x._creator, False))
    return order


def as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """Wrap ``x`` in a Tensor unless it already is one."""
    return x if isinstance(x, Tensor) else Tensor(x, dtype=dtype)
