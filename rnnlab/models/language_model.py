"""A recurrent language model: embeddings → deep LSTM/GRU/RNN → softmax over the vocabulary.

LECTURE §2 with the deep stack of §8: for a token stream w₁ w₂ …

    x(t) = E[w_t]                                           (embedding)
    h^ℓ(t) = cell(h^{ℓ−1}(t), h^ℓ(t−1))   ℓ = 1 … L,  h⁰(t) = x(t)
    y(t) = softmax(W_o h^L(t) + b_o)  =  P(w_{t+1} | w₁ … w_t)

and the loss is the cross-entropy −log y(t)[w_{t+1}] (LECTURE §4), averaged over tokens;
perplexity is exp of that mean, bits per token is the mean divided by ln 2.

Dropout sits on the non-recurrent connections only — after the embedding, between layers
and before the softmax (Zaremba et al. 2014) — either a fresh mask per element
(``"standard"``) or one mask per sequence shared by every step (``"locked"``, Gal &
Ghahramani 2016). With ``tie_weights`` the output projection W_o *is* the embedding matrix E
(Press & Wolf 2017): one Parameter used twice, whose gradient is the sum of both uses.

Inside each recurrent layer the recurrent connections may be regularised too (AWD-LSTM,
Merity et al. 2018): ``weight_drop`` (DropConnect on W_hh, a fresh mask per window),
``recurrent_dropout`` (one mask per sequence on h(t−1)) and ``zoneout`` — the layer
options of :mod:`rnnlab.recurrent.noise`; ``layer_norm`` and ``proj_size`` select the
layer-normalised cell and the LSTM's projection (h then ``proj_size`` wide).

Training runs over one continuous stream with truncated BPTT: each window starts from the
state the previous window ended in, detached, so the state flows forward across windows but
gradients stop at the window's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import NextTokenBatch
from rnnlab.data.levels import check_level, join_tokens, split_tokens
from rnnlab.data.text import tbptt_batches
from rnnlab.data.vocab import EOS, UNK, Vocab
from rnnlab.decoding.sampling import Sampler
from rnnlab.decoding.sampling_loop import sample_sequence
from rnnlab.engine import ops
from rnnlab.engine.module import Module, ModuleList, Parameter
from rnnlab.engine.tensor import Function, Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.nn import Dropout, Embedding, Linear, LockedDropout
from rnnlab.recurrent.factory import check_cell, make_recurrent
from rnnlab.recurrent.gemm import matmul
from rnnlab.recurrent.parallel import predicting

DROPOUT_KINDS = ("standard", "locked")

# one entry per layer: h (1, B, H) for RNN/GRU, (h, c) for LSTM
LayerState = Tensor | tuple[Tensor, Tensor]


@dataclass
class LanguageModelConfig:
    """Shape of the model. ``init_scale`` s draws every weight from U(−s, s) (Zaremba: 0.1)."""

    vocab_size: int
    level: str = "word"
    cell: str = "lstm"
    embedding_dim: int = 200
    hidden_size: int = 200
    num_layers: int = 2
    dropout: float = 0.0
    dropout_kind: str = "standard"
    tie_weights: bool = False
    init_scale: float = 0.1
    recurrent_dropout: float = 0.0
    zoneout: float = 0.0
    weight_drop: float = 0.0
    layer_norm: bool = False
    proj_size: int = 0  # LSTM only: h is proj_size wide

    @property
    def output_size(self) -> int:
        """Width of each layer's h: ``proj_size`` when set, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def layer_options(self) -> dict[str, Any]:
        """The recurrent layers' own keywords (:func:`~rnnlab.recurrent.make_recurrent`)."""
        options: dict[str, Any] = {"recurrent_dropout": self.recurrent_dropout,
                                   "zoneout": self.zoneout, "weight_drop": self.weight_drop}
        if self.layer_norm:
            options["layer_norm"] = True
        if self.proj_size:
            options["proj_size"] = self.proj_size
        return options

    def __post_init__(self) -> None:
        check_level(self.level)
        check_cell(self.cell)
        if self.dropout_kind not in DROPOUT_KINDS:
            raise ValueError(f"dropout_kind must be one of {DROPOUT_KINDS}")
        if self.tie_weights and self.embedding_dim != self.output_size:
            width = "proj_size" if self.proj_size else "hidden_size"
            raise ValueError(
                f"tie_weights needs embedding_dim == {width} "
                f"(got {self.embedding_dim} and {self.output_size})"
            )
        if self.num_layers < 1 or self.init_scale <= 0:
            raise ValueError("num_layers must be >= 1 and init_scale > 0")


@dataclass(frozen=True)
class LanguageModelScore:
    """Mean negative log-likelihood over ``tokens`` predictions, and what follows from it."""

    nll: float  # nats per token
    tokens: int

    @property
    def perplexity(self) -> float:
        """exp(mean NLL) — the effective number of equally likely choices per token."""
        return math.exp(self.nll)

    @property
    def bits_per_token(self) -> float:
        """mean NLL / ln 2 (bits per character at character level)."""
        return self.nll / math.log(2.0)

    def as_dict(self) -> dict[str, float]:
        return {
            "loss": self.nll, "perplexity": self.perplexity,
            "bits_per_token": self.bits_per_token, "tokens": float(self.tokens),
        }


class SoftmaxNLL(Function):
    """The output layer and its loss fused: Σₙ −log softmax(W_o hₙ + b_o)[yₙ] (LECTURE §2, §4).

    Forward: z = h W_oᵀ + b_o, NLLₙ = log Σ_v e^{zₙᵥ − mₙ} − (zₙ[yₙ] − mₙ) with mₙ = max zₙ;
    the softmax p is kept. Backward: ∂/∂z = g (p − onehot(y)), then ∂h = ∂z W_o,
    ∂W_o = ∂zᵀ h, ∂b_o = Σₙ ∂zₙ. One (N, V) buffer serves as logits, probabilities and
    gradient, which matters when V is a 10k-word vocabulary. The three products go through
    :func:`rnnlab.recurrent.gemm.matmul` (MKL's GEMM when it is in use, in two halves on two
    threads when more than one is allowed).
    """

    def forward(self, h, weight, bias, targets):
        self.shape, self.weight = h.shape, weight
        self.h = h.reshape(-1, h.shape[-1])
        self.targets = np.asarray(targets).reshape(-1)
        if self.targets.size and not 0 <= self.targets.min() <= self.targets.max() < len(weight):
            raise ValueError(f"targets must be token ids in [0, {len(weight)})")
        rows = np.arange(len(self.targets))
        z = matmul(self.h, weight.T, bias=bias, split=True)
        z -= z.max(axis=1, keepdims=True)
        picked = z[rows, self.targets].astype(np.float64)
        np.exp(z, out=z)
        sums = z.sum(axis=1, keepdims=True)
        z /= sums
        self.probs = z
        return np.asarray((np.log(sums[:, 0], dtype=np.float64) - picked).sum(), h.dtype)

    def backward(self, g):
        d = self.probs
        d[np.arange(len(self.targets)), self.targets] -= 1.0
        d *= g
        d_h = (matmul(d, self.weight, split=True).reshape(self.shape) if self.needs_input_grad[0]
               else None)
        d_weight = matmul(d.T, self.h, split=True) if self.needs_input_grad[1] else None
        return d_h, d_weight, d.sum(axis=0), None


def build_vocab(tokens: list[str], level: str, max_size: int | None = None) -> Vocab:
    """Vocabulary of a token stream: ``<unk>`` first, then ``<eos>`` at word level, then the
    tokens by frequency. PTB's own ``<unk>``/``<eos>`` map onto those specials."""
    eos = EOS if check_level(level) == "word" else None
    return Vocab.build([tokens], pad=None, unk=UNK, eos=eos, max_size=max_size)


def detach_state(state: list[LayerState]) -> list[LayerState]:
    """The same values cut off from the tape: the next window's BPTT stops here."""
    return [
        tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in state
    ]


class LanguageModel(FolderIO, Module):
    """P(w_{t+1} | w₁…w_t) with a deep recurrent network; see the module docstring."""

    def __init__(self, config: LanguageModelConfig, vocab: Vocab) -> None:
        super().__init__()
        if len(vocab) != config.vocab_size:
            raise ValueError(f"vocab has {len(vocab)} tokens, config says {config.vocab_size}")
        self.config, self.vocab = config, vocab
        V, E, H = config.vocab_size, config.embedding_dim, config.hidden_size
        P = config.output_size
        self.embedding = Embedding(V, E)
        self.layers = ModuleList(
            [make_recurrent(config.cell, E if i == 0 else P, H, **config.layer_options())
             for i in range(config.num_layers)]
        )
        drop = LockedDropout if config.dropout_kind == "locked" else Dropout
        self.drop = drop(config.dropout)
        if config.tie_weights:
            self.decoder_bias = Parameter(np.zeros(V), np.float32)
        else:
            self.decoder = Linear(P, V)
        rng = rnd.generator()
        for _, p in self.named_parameters():
            p.data = rng.uniform(-config.init_scale, config.init_scale, p.shape).astype(p.dtype)
        self.output_bias.data[:] = 0.0
        self._carried: list[LayerState] | None = None

    # ------------------------------------------------------------- the network
    @property
    def output_weight(self) -> Parameter:
        """W_o (V, H): the embedding matrix itself when weights are tied."""
        return self.embedding.weight if self.config.tie_weights else self.decoder.weight

    @property
    def output_bias(self) -> Parameter:
        return self.decoder_bias if self.config.tie_weights else self.decoder.bias

    def hidden(
        self, ids: np.ndarray, state: list[LayerState] | None = None
    ) -> tuple[Tensor, list[LayerState]]:
        """The top layer's outputs h^L (T, B, H), dropout applied, and the new state."""
        x = self.drop(self.embedding(ids))
        new_state: list[LayerState] = []
        for i, layer in enumerate(self.layers):
            x, layer_state = layer(x, None if state is None else state[i])
            new_state.append(layer_state)
            x = self.drop(x)
        return x, new_state

    def forward(
        self, ids: np.ndarray, state: list[LayerState] | None = None
    ) -> tuple[Tensor, list[LayerState]]:
        """Scores for the next token at every step: ids (T, B) → logits (T, B, V), new state."""
        h, new_state = self.hidden(ids, state)
        return ops.linear(h, self.output_weight, self.output_bias), new_state

    def summed_nll(
        self, ids: np.ndarray, targets: np.ndarray, state: list[LayerState] | None = None
    ) -> tuple[Tensor, list[LayerState]]:
        """Σ_t −log y(t)[target_t] over the window, and the new state (one fused node)."""
        h, new_state = self.hidden(ids, state)
        nll = SoftmaxNLL.apply(h, self.output_weight, self.output_bias, targets)
        return nll, new_state

    # ---------------------------------------------------- truncated BPTT training
    def loss(self, batch: NextTokenBatch) -> Tensor:
        """Mean cross-entropy of one window (:func:`~rnnlab.data.text.tbptt_batches`).

        The window starts from the state the previous window ended in (zeros after
        :meth:`start_epoch` or when the batch width changes) and leaves its own final state,
        detached, for the next window.
        """
        state = self._carried
        if state is not None and self._state_width(state) != batch.size:
            state = None
        total, new_state = self.summed_nll(batch.ids, batch.targets, state)
        self._carried = detach_state(new_state)
        return ops.mul(total, 1.0 / batch.num_tokens)

    def start_epoch(self) -> None:
        """Forget the carried state: each epoch starts the stream from zeros."""
        self._carried = None

    def trainer_state(self) -> dict[str, np.ndarray]:
        """The carried state as arrays, so a resumed run continues the same stream state."""
        arrays: dict[str, np.ndarray] = {}
        for i, s in enumerate(self._carried or []):
            h, c = s if isinstance(s, tuple) else (s, None)
            arrays[f"carried.{i}.h"] = h.data
            if c is not None:
                arrays[f"carried.{i}.c"] = c.data
        return arrays

    def load_trainer_state(self, arrays: dict[str, np.ndarray]) -> None:
        if not arrays:
            self._carried = None
            return
        state: list[LayerState] = []
        for i in range(self.config.num_layers):
            h = Tensor(np.array(arrays[f"carried.{i}.h"]))
            c_key = f"carried.{i}.c"
            state.append((h, Tensor(np.array(arrays[c_key]))) if c_key in arrays else h)
        self._carried = state

    @staticmethod
    def _state_width(state: list[LayerState]) -> int:
        first = state[0][0] if isinstance(state[0], tuple) else state[0]
        return first.shape[1]

    # ---------------------------------------------------------------- text
    def tokens_to_ids(self, tokens: list[str]) -> np.ndarray:
        return np.asarray(self.vocab.encode(tokens), dtype=np.int64)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text`` at the model's level (unknown tokens → ``<unk>``)."""
        return self.tokens_to_ids(split_tokens(text, self.config.level))

    def decode(self, ids: list[int]) -> str:
        return join_tokens(self.vocab.decode(ids), self.config.level)

    # ---------------------------------------------------------- evaluation
    def score_stream(
        self, ids: np.ndarray, batch_size: int = 1, bptt: int = 100
    ) -> LanguageModelScore:
        """Mean NLL of a token stream, read as ``batch_size`` rows in windows of ``bptt``
        with the state carried across windows (the same reading as training)."""
        was_training = self.training
        self.eval()
        total, count = 0.0, 0
        state: list[LayerState] | None = None
        with no_grad():
            for window in tbptt_batches(ids, batch_size, bptt):
                nll, state = self.summed_nll(window.ids, window.targets, state)
                total += float(nll.data)
                count += window.num_tokens
        self.train(was_training)
        return LanguageModelScore(total / count, count)

    # ---------------------------------------------------------- generation
    def step(self, ids: np.ndarray, state: list[LayerState]) -> tuple[np.ndarray, list[LayerState]]:
        """One token per row (B,) in, next-token scores (B, V) and the new state out."""
        logits, state = self.forward(np.asarray(ids, dtype=np.int64)[None, :], state)
        return logits.data[0], state

    def start_ids(self) -> list[int]:
        """What generation starts from without a priming text: a line break."""
        start = EOS if self.config.level == "word" else "\n"
        return self.vocab.encode([start]) if start in self.vocab else [0]

    def generate(
        self,
        prime: str = "",
        length: int = 200,
        sampler: Sampler | None = None,
        seed: int | None = None,
        num_samples: int = 1,
        batch_size: int = 64,
    ) -> list[str]:
        """``num_samples`` continuations of ``prime`` of ``length`` tokens (prime included
        in the returned text), generated ``batch_size`` at a time. The same ``seed`` gives
        the same texts (for the same ``batch_size``)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        sampler = sampler or Sampler()
        rng = np.random.default_rng(seed)
        prime_ids = self.encode(prime) if prime else np.asarray(self.start_ids())
        was_training = self.training
        self.eval()
        rows: list[list[int]] = []
        with no_grad(), predicting():
            for start in range(0, num_samples, batch_size):
                count = min(batch_size, num_samples - start)
                inputs = np.repeat(prime_ids[:, None], count, axis=1)
                logits, state = self.forward(inputs, None)
                rows += sample_sequence(self.step, logits.data[-1], state, length, sampler,
                                        rng)
        self.train(was_training)
        return [prime + self._continuation(prime, row) for row in rows]

    def _continuation(self, prime: str, ids: list[int]) -> str:
        text = self.decode(ids)
        glue = self.config.level == "word" and prime and not prime.endswith(("\n", " "))
        return " " + text if glue and not text.startswith("\n") else text

    # -------------------------------------------------------------- files
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved language model (:mod:`rnnlab.models.registry`)."""
        return {"vocab": self.vocab}

    @classmethod
    def from_files(cls, config: LanguageModelConfig, files: dict[str, Any]) -> LanguageModel:
        """A language model with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["vocab"])

    def extra_repr(self) -> str:
        c = self.config
        return f"{c.level}, {c.cell} {c.num_layers}×{c.hidden_size}, vocab={c.vocab_size}"

