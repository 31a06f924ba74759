"""Building blocks every model needs: Linear, Embedding, Dropout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.engine import ops
from rnnlab.engine.module import Module, Parameter
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent.arguments import check_embedding, check_linear


class Linear(Module):
    """y = x Wᵀ + b over the last axis (LECTURE §2's output layer y = W_o h)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        in_features, out_features, dtype = check_linear(self, in_features, out_features, bias,
                                                        dtype)
        rng = rng or rnd.generator()
        bound = 1.0 / math.sqrt(in_features)  # PyTorch's default U(−1/√in, 1/√in)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)), dtype)
        self.bias = Parameter(rng.uniform(-bound, bound, out_features), dtype) if bias else None

    def forward(self, x: Any) -> Tensor:
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the vector of token ``i``.

    ``padding_idx`` gets a zero vector that never receives a gradient.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        dtype: Any = np.float32,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        num_embeddings, embedding_dim, padding_idx, dtype = check_embedding(
            self, num_embeddings, embedding_dim, padding_idx, dtype)
        rng = rng or rnd.generator()
        weight = rng.standard_normal((num_embeddings, embedding_dim))
        if padding_idx is not None:
            weight[padding_idx] = 0.0
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(weight, dtype)

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise IndexError(
                f"Embedding: ids must lie in [0, {self.num_embeddings}), "
                f"got range [{ids.min()}, {ids.max()}]"
            )
        return ops.embedding(self.weight, ids, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """Inverted dropout with rate ``p``: active in training, identity in evaluation."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {p}")
        self.p, self._rng = p, rng

    def forward(self, x: Any) -> Any:
        return ops.dropout(x, self.p, self._rng or rnd.generator(), self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LockedDropout(Module):
    """Variational (locked) dropout: one mask per sequence, shared by all time steps.

    Input is time-major (T, B, F); the mask is drawn for (1, B, F) and broadcast over T
    (Gal & Ghahramani 2016; used between LSTM layers of language models).
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {p}")
        self.p, self._rng = p, rng

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        rng = self._rng or rnd.generator()
        keep = (rng.random((1, *data.shape[1:])) >= self.p).astype(data.dtype)
        return ops.Dropout.apply(x, keep / np.asarray(1.0 - self.p, data.dtype))

    def extra_repr(self) -> str:
        return f"p={self.p}"
