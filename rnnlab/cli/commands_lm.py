"""``rnnlab train lm``, ``rnnlab eval lm``, ``rnnlab train generator`` and ``rnnlab generate``.

Language models (LECTURE §2) train on one continuous token stream with truncated BPTT;
the conditional generator (LECTURE §3.2) trains on (vector, text) pairs — a directory of
``<Label>.txt`` files or ``FEATURES.npy CAPTIONS.txt`` (see docs/generation.md). A run
directory holds ``model/`` (the best model), ``checkpoint/`` (for ``--resume``),
``metrics.jsonl``, ``learning_curves.png``, ``train_args.json`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rnnlab import random as rnd
from rnnlab.cli import CommandGroups
from rnnlab.cli.trainer_flags import add_trainer_flags, trainer_config_from_args
from rnnlab.data.batching import bucket_batches
from rnnlab.data.conditioned_text import ConditionedTexts, read_conditioned_texts
from rnnlab.data.levels import LEVELS, split_tokens
from rnnlab.data.text import read_chars, read_words, tbptt_batches
from rnnlab.decoding.sampling import Sampler
from rnnlab.io.serialization import load_json, save_json
from rnnlab.models.conditional_generator import (
    CONDITION_MODES,
    ConditionalGenerator,
    ConditionalGeneratorConfig,
    GeneratorBatch,
    generator_vocab,
)
from rnnlab.models.language_model import (
    DROPOUT_KINDS,
    LanguageModel,
    LanguageModelConfig,
    LanguageModelScore,
    build_vocab,
)
from rnnlab.recurrent.factory import CELL_NAMES
from rnnlab.training.trainer import BEST_DIR, Trainer

ARGS_FILE = "train_args.json"
RESULTS_FILE = "results.json"
# flags that may differ between a run and its --resume
RESUME_FREE = ("resume", "no_progress", "handler", "command", "model")


# ----------------------------------------------------------------- shared flags
def _add_network_flags(p: argparse.ArgumentParser, hidden: int, layers: int) -> None:
    p.add_argument("--cell", choices=CELL_NAMES, default="lstm")
    p.add_argument("--layers", type=int, default=layers, help="stacked recurrent layers")
    p.add_argument("--hidden-size", type=int, default=hidden)
    p.add_argument("--embedding-dim", type=int, default=None, help="default: hidden size")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--init-scale", type=float, default=0.1, help="weights ~ U(-s, s)")


def _add_trainer_flags(p: argparse.ArgumentParser, optimizer: str, lr: float, epochs: int) -> None:
    add_trainer_flags(p, epochs=epochs, optimizer=optimizer, lr=lr, lr_decay_start=4)
    p.add_argument("--out", required=True, help="run directory")


def _run_arguments(args: argparse.Namespace, required: tuple[str, ...]) -> argparse.Namespace:
    """The arguments to train with: the saved ones on ``--resume``, else these (saved)."""
    out = Path(args.out)
    if args.resume:
        saved = load_json(out / ARGS_FILE)
        saved.update({k: getattr(args, k) for k in RESUME_FREE if hasattr(args, k)})
        return argparse.Namespace(**saved)
    missing = [f"--{name.replace('_', '-')}" for name in required if not getattr(args, name)]
    if missing:
        raise ValueError(f"{' and '.join(missing)} required (unless --resume)")
    if (out / "checkpoint").exists():
        raise ValueError(f"{out} already holds a run: pass --resume, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    save_json(out / ARGS_FILE, {k: v for k, v in vars(args).items() if k not in RESUME_FREE})
    return args


# ------------------------------------------------------------------ language model
def read_tokens(path: str, level: str) -> list[str]:
    """Word level: whitespace tokens with ``<eos>`` per line; char level: every character."""
    return read_words(path) if level == "word" else read_chars(path)


def lm_streams(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Train and validation token streams (``--valid-fraction`` cuts the train file's tail)."""
    train = read_tokens(args.train, args.level)
    if args.valid:
        return train, read_tokens(args.valid, args.level)
    cut = round(len(train) * (1.0 - args.valid_fraction))
    if not 0 < cut < len(train):
        raise ValueError("--valid-fraction leaves an empty train or validation part")
    return train[:cut], train[cut:]


def train_lm(args: argparse.Namespace) -> int:
    args = _run_arguments(args, required=("train", "level"))
    out = Path(args.out)
    train_tokens, valid_tokens = lm_streams(args)
    vocab = build_vocab(train_tokens, args.level, args.max_vocab)
    if args.max_train_tokens:
        train_tokens = train_tokens[: args.max_train_tokens]
    rnd.seed(args.seed)
    config = LanguageModelConfig(
        vocab_size=len(vocab), level=args.level, cell=args.cell,
        embedding_dim=args.embedding_dim or args.hidden_size, hidden_size=args.hidden_size,
        num_layers=args.layers, dropout=args.dropout, dropout_kind=args.dropout_kind,
        tie_weights=args.tie_weights, init_scale=args.init_scale,
    )
    model = LanguageModel(config, vocab)
    train_ids = np.asarray(vocab.encode(train_tokens), np.int64)
    valid_ids = np.asarray(vocab.encode(valid_tokens), np.int64)
    windows = list(tbptt_batches(train_ids, args.batch_size, args.bptt))
    print(
        f"language model: {len(vocab)} {args.level} types, {len(train_ids)} train / "
        f"{len(valid_ids)} valid tokens, {len(windows)} windows of {args.batch_size}×{args.bptt}"
        f"; {model.num_parameters()} parameters"
    )

    def evaluate() -> dict[str, float]:
        score = model.score_stream(valid_ids, args.eval_batch_size, args.eval_bptt)
        return {"loss": score.nll, "perplexity": score.perplexity}

    trainer = Trainer(
        model, trainer_config_from_args(args), out, lambda epoch, rng: windows, evaluate,
        batch_items=lambda batch: batch[1].size, item_name="tok",
    )
    trainer.fit(resume=args.resume)
    best = LanguageModel.load(out / BEST_DIR)
    results = {"valid": best.score_stream(valid_ids, args.eval_batch_size, args.eval_bptt)}
    if args.test:
        test_ids = np.asarray(vocab.encode(read_tokens(args.test, args.level)), np.int64)
        results["test"] = best.score_stream(test_ids, args.eval_batch_size, args.eval_bptt)
    summary = {name: score.as_dict() for name, score in results.items()}
    save_json(out / RESULTS_FILE, summary)
    for name, score in results.items():
        print(f"{name}: {_score_line(score)}")
    return 0


def _score_line(score: LanguageModelScore) -> str:
    return (f"loss {score.nll:.4f} nats/token, perplexity {score.perplexity:.2f}, "
            f"{score.bits_per_token:.4f} bits/token ({score.tokens} tokens)")


def eval_lm(args: argparse.Namespace) -> int:
    model = LanguageModel.load(args.model)
    ids = np.asarray(model.vocab.encode(read_tokens(args.data, model.config.level)), np.int64)
    score = model.score_stream(ids, args.batch_size, args.bptt)
    if args.json:
        print(json.dumps(score.as_dict()))
    else:
        unit = "character" if model.config.level == "char" else "word"
        print(f"{args.data}: {_score_line(score)}; bits per {unit} {score.bits_per_token:.4f}")
    return 0


# ------------------------------------------------------------ conditional generator
def generator_batches(
    model: ConditionalGenerator, data: ConditionedTexts, batch_size: int,
    rng: np.random.Generator | None,
) -> list[GeneratorBatch]:
    """Length-bucketed teacher-forcing batches (shuffled when ``rng`` is given)."""
    lengths = [len(split_tokens(t, model.config.level)) for t in data.texts]
    groups = bucket_batches(lengths, batch_size, shuffle=rng is not None, rng=rng)
    return [model.make_batch(data.conditions[g], [data.texts[i] for i in g]) for g in groups]


def train_generator(args: argparse.Namespace) -> int:
    args = _run_arguments(args, required=("data",))
    out = Path(args.out)
    data = read_conditioned_texts(args.data, ascii_only=not args.keep_accents)
    train, held_out = data.split(args.held_out_fraction, args.split_seed)
    vocab = generator_vocab([split_tokens(t, args.level) for t in train.texts])
    rnd.seed(args.seed)
    config = ConditionalGeneratorConfig(
        vocab_size=len(vocab), condition_dim=data.condition_dim, level=args.level,
        cell=args.cell, embedding_dim=args.embedding_dim or args.hidden_size,
        hidden_size=args.hidden_size, num_layers=args.layers, dropout=args.dropout,
        condition_mode=args.condition_mode, labels=data.labels, init_scale=args.init_scale,
    )
    model = ConditionalGenerator(config, vocab)
    held_out_batches = generator_batches(model, held_out, 256, None)
    print(
        f"conditional generator ({args.condition_mode}): {len(train)} train / "
        f"{len(held_out)} held-out texts, condition dim {data.condition_dim}, "
        f"{len(vocab)} {args.level} types; {model.num_parameters()} parameters"
    )

    def evaluate() -> dict[str, float]:
        return {"loss": model.score(held_out_batches).nll}

    trainer = Trainer(
        model, trainer_config_from_args(args), out,
        lambda epoch, rng: generator_batches(model, train, args.batch_size, rng), evaluate,
        batch_items=lambda batch: batch.tokens, item_name="tok",
    )
    trainer.fit(resume=args.resume)
    best = ConditionalGenerator.load(out / BEST_DIR)
    score = best.score(held_out_batches)
    save_json(out / RESULTS_FILE, {"held_out": score.as_dict()})
    print(f"held-out: {_score_line(score)}")
    return 0


# --------------------------------------------------------------------- generate
def _sampler(args: argparse.Namespace) -> Sampler:
    return Sampler(greedy=args.greedy, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p)


def _condition_rows(model: ConditionalGenerator, args: argparse.Namespace) -> np.ndarray:
    if args.condition and args.vector:
        raise ValueError("give --condition or --vector, not both")
    if args.condition:
        return np.repeat(model.condition_vector(args.condition)[None], args.num_samples, axis=0)
    if args.vector:
        vectors = np.atleast_2d(np.load(args.vector, allow_pickle=False)).astype(np.float32)
        return np.repeat(vectors, args.num_samples, axis=0)
    if model.config.condition_mode == "none":
        return np.zeros((args.num_samples, model.config.condition_dim), np.float32)
    raise ValueError("a conditional generator needs --condition LABEL or --vector FILE.npy")


def generate(args: argparse.Namespace) -> int:
    kind = load_json(Path(args.model) / "config.json").get("kind")
    if kind == "conditional_generator":
        model = ConditionalGenerator.load(args.model)
        rows = _condition_rows(model, args)
        texts = model.generate(rows, args.length, _sampler(args), args.seed)
    elif kind == "language_model":
        if args.condition or args.vector:
            raise ValueError("--condition/--vector need a conditional generator model")
        model = LanguageModel.load(args.model)
        texts = model.generate(args.prime, args.length, _sampler(args), args.seed,
                               args.num_samples)
    else:
        raise ValueError(f"{args.model} holds no language model or conditional generator")
    print("\n".join(texts))
    return 0


# --------------------------------------------------------------------- register
def register(groups: CommandGroups) -> None:
    p = groups.train.add_parser(
        "lm", help="train a char- or word-level language model with truncated BPTT"
    )
    p.add_argument("--train", help="UTF-8 text file (required unless --resume)")
    p.add_argument("--valid", help="validation text file")
    p.add_argument("--valid-fraction", type=float, default=0.1,
                   help="without --valid: the last part of --train validates")
    p.add_argument("--test", help="text file scored with the best model at the end")
    p.add_argument("--level", choices=LEVELS, help="char or word (required unless --resume)")
    p.add_argument("--max-vocab", type=int, default=None, help="largest vocabulary size")
    p.add_argument("--max-train-tokens", type=int, default=0,
                   help="train on the first N tokens only (0: all; for timing); "
                   "the vocabulary still comes from the whole file")
    _add_network_flags(p, hidden=200, layers=2)
    p.add_argument("--dropout-kind", choices=DROPOUT_KINDS, default="standard",
                   help="locked = one mask per sequence for every step (variational)")
    p.add_argument("--tie-weights", action="store_true",
                   help="share the embedding matrix with the output projection")
    p.add_argument("--batch-size", type=int, default=20, help="parallel streams")
    p.add_argument("--bptt", type=int, default=35, help="truncated-BPTT window length")
    p.add_argument("--eval-batch-size", type=int, default=10)
    p.add_argument("--eval-bptt", type=int, default=35)
    _add_trainer_flags(p, optimizer="sgd", lr=1.0, epochs=13)
    p.set_defaults(handler=train_lm)

    p = groups.eval.add_parser("lm", help="perplexity and bits per token of a text file")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--data", required=True, help="UTF-8 text file")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--bptt", type=int, default=100)
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(handler=eval_lm)

    p = groups.train.add_parser(
        "generator", help="train a one-vector-to-sequence (conditional) generator"
    )
    p.add_argument("--data", nargs="+",
                   help="a directory of <Label>.txt files, or FEATURES.npy CAPTIONS.txt "
                   "(required unless --resume)")
    p.add_argument("--level", choices=LEVELS, default="char")
    p.add_argument("--condition-mode", choices=CONDITION_MODES, default="init",
                   help="where the vector enters: initial state, also every input, or nowhere")
    p.add_argument("--held-out-fraction", type=float, default=0.1)
    p.add_argument("--split-seed", type=int, default=0, help="seed of the held-out split")
    p.add_argument("--keep-accents", action="store_true",
                   help="labelled directories: keep non-ASCII letters")
    p.add_argument("--batch-size", type=int, default=32)
    _add_network_flags(p, hidden=128, layers=1)
    _add_trainer_flags(p, optimizer="adam", lr=2e-3, epochs=10)
    p.set_defaults(handler=train_generator)

    p = groups.top.add_parser("generate", help="generate text from a trained model")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--prime", default="", help="language model: text to continue")
    p.add_argument("--length", type=int, default=200, help="tokens to generate (at most)")
    p.add_argument("--condition", help="conditional generator: a label, e.g. a language")
    p.add_argument("--vector", help="conditional generator: a .npy vector (D,) or rows (N, D)")
    p.add_argument("--greedy", action="store_true", help="always the most likely token")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0, help="sample among the k best (0: all)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1: all)")
    p.add_argument("--seed", type=int, default=None, help="same seed, same text")
    p.add_argument("--num-samples", type=int, default=1)
    p.set_defaults(handler=generate)
