"""``rnnlab train lm``, ``rnnlab eval lm``, ``rnnlab train generator`` and ``rnnlab generate``:
flags and printing; the tasks themselves are :mod:`rnnlab.tasks.language_modelling` and
:mod:`rnnlab.tasks.generation`.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rnnlab.cli.errors import CommandError
from rnnlab.cli.files import require_some
from rnnlab.cli.flags import add_json_flag, add_model_flag, add_run_folder_flag
from rnnlab.cli.values import (
    below_one,
    fraction,
    non_negative_int,
    positive,
    positive_int,
    probability_mass,
)

if TYPE_CHECKING:
    import numpy as np

    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.decoding.sampling import Sampler
    from rnnlab.models.conditional_generator import ConditionalGenerator
    from rnnlab.models.language_model import LanguageModelScore
    from rnnlab.tasks.generation import GeneratorOptions
    from rnnlab.tasks.language_modelling import LanguageModelOptions
    from rnnlab.training.run_folder import TrainOutcome
    from rnnlab.training.trainer import TrainerConfig

LM_RUN_FOLDER_HELP = ("run folder (run.json, model/, checkpoint/, metrics.jsonl, "
                      "learning_curves.png, results.json)")


def _score_line(score: LanguageModelScore) -> str:
    return (f"loss {score.nll:.4f} nats/token, perplexity {score.perplexity:.2f}, "
            f"{score.bits_per_token:.4f} bits/token ({score.tokens} tokens)")


def _print_stop(outcome: TrainOutcome) -> None:
    if outcome.best_epoch == 0 and outcome.budget_stop is not None:
        stop = outcome.budget_stop
        print(f"the model saved is the one at the time-budget stop (epoch {stop['epoch']}, "
              f"step {stop['step']})")


# ------------------------------------------------------------------ language model
def train_lm(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import language_modelling as lm

    result = run_training(args, lm, lm.LanguageModellingConfig, ("train", "level")).result
    _print_stop(result.outcome)
    for name, score in result.scores.items():
        print(f"{name}: {_score_line(score)}")
    return 0


def eval_lm(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir
    from rnnlab.tasks import language_modelling as lm

    model = open_model_dir(args.model, kind="language_model")
    tokens = lm.read_tokens(args.data, model.config.level)
    require_some(lm.text_tokens(tokens), args.data, "text to score")
    score = lm.evaluate(model, tokens, args.batch_size, args.bptt)
    if args.json:
        print(json.dumps(score.as_dict()))
    else:
        unit = "character" if model.config.level == "char" else "word"
        print(f"{args.data}: {_score_line(score)}; bits per {unit} {score.bits_per_token:.4f}")
    return 0


# ------------------------------------------------------------ conditional generator
def train_generator(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import generation

    result = run_training(args, generation, generation.GenerationConfig, ("train",)).result
    _print_stop(result.outcome)
    print(f"held-out: {_score_line(result.held_out)}")
    return 0


# --------------------------------------------------------------------- generate
def load_vectors(path: str) -> np.ndarray:
    """The rows of a ``.npy`` file of numbers (D,) or (N, D), as float32.

    Raises:
        CommandError: the file is empty, truncated, not ``.npy``, or not finite numbers of
            one or two dimensions (naming the file).
    """
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except EOFError:
        raise CommandError(f"{path}: empty or truncated .npy file") from None
    except ValueError:  # not .npy, or an array of Python objects (never unpickled)
        raise CommandError(f"{path}: not a .npy file of numbers") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf" \
            or array.ndim not in (1, 2) or array.size == 0:
        raise CommandError(f"{path}: expected a .npy array of numbers, (D,) or (N, D)")
    if not np.isfinite(array).all():
        raise CommandError(f"{path}: holds NaN or infinite values")
    return np.atleast_2d(array).astype(np.float32)


def _condition_rows(model: ConditionalGenerator, args: argparse.Namespace) -> np.ndarray:
    import numpy as np

    if args.condition and args.vector:
        raise CommandError("give --condition or --vector, not both")
    if args.condition:
        return np.repeat(model.condition_vector(args.condition)[None], args.num_samples, axis=0)
    if args.vector:
        return np.repeat(load_vectors(args.vector), args.num_samples, axis=0)
    if model.config.condition_mode == "none":
        return np.zeros((args.num_samples, model.config.condition_dim), np.float32)
    raise CommandError("a conditional generator needs --condition LABEL or --vector FILE.npy")


def _sampler(args: argparse.Namespace) -> Sampler:
    from rnnlab.decoding.sampling import Sampler

    return Sampler(greedy=args.greedy, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p)


def generate(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir
    from rnnlab.models.conditional_generator import ConditionalGenerator

    model = open_model_dir(args.model, kind=("language_model", "conditional_generator"))
    sampler = _sampler(args)
    if isinstance(model, ConditionalGenerator):
        texts = model.generate(_condition_rows(model, args), args.length, sampler, args.seed)
    else:
        if args.condition or args.vector:
            raise CommandError("--condition/--vector need a conditional generator model")
        texts = model.generate(args.prime, args.length, sampler, args.seed, args.num_samples)
    print("\n".join(texts))
    return 0


# --------------------------------------------------------------------- register
def _add_network_flags(p: CommandParser,
                       options: LanguageModelOptions | GeneratorOptions) -> None:
    from rnnlab.recurrent.factory import CELL_NAMES

    p.add_argument("--cell", choices=CELL_NAMES, default=options.cell, help="recurrent cell")
    p.add_argument("--layers", type=positive_int, default=options.layers,
                   help="number of stacked recurrent layers")
    p.add_argument("--hidden-size", "--hidden", dest="hidden_size", type=positive_int,
                   default=options.hidden_size, help="hidden size of each recurrent layer")
    p.add_argument("--embed-dim", "--embedding-dim", dest="embed_dim", type=positive_int,
                   default=options.embed_dim,
                   help="token embedding size (none given: the hidden size)")
    p.add_argument("--dropout", type=below_one, default=options.dropout,
                   help="dropout on embeddings, between layers and before the output layer")
    p.add_argument("--init-scale", type=positive, default=options.init_scale,
                   help="initial weights ~ U(-s, s)")


def _add_loop_flags(p: CommandParser, loop: TrainerConfig) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags

    add_trainer_flags(p, epochs=loop.epochs, optimizer=loop.optimizer, lr=loop.lr,
                      lr_decay_start=loop.lr_decay_start)
    add_run_folder_flag(p, LM_RUN_FOLDER_HELP)


def _build_train_lm(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import track_given_flags
    from rnnlab.data.levels import LEVELS
    from rnnlab.models.language_model import DROPOUT_KINDS
    from rnnlab.tasks import language_modelling as lm

    defaults = lm.LanguageModellingConfig(lm.LanguageModelData(""))
    data, windows = defaults.data, defaults.windows
    p.add_argument("--train", metavar="FILE", default=None,
                   help="UTF-8 text file (required unless --resume)")
    p.add_argument("--dev", "--valid", metavar="FILE", dest="dev", default=None,
                   help="development text file; its loss picks the best epoch "
                        "(none given: the end of --train, see --dev-fraction)")
    p.add_argument("--dev-fraction", "--valid-fraction", "--held-out-fraction",
                   dest="dev_fraction", type=fraction, default=data.dev_fraction,
                   help="without --dev: this last part of --train is the dev data")
    p.add_argument("--test", metavar="FILE", default=None,
                   help="text file scored with the best model at the end (none given: no test)")
    p.add_argument("--level", choices=LEVELS, default=None,
                   help="tokens are characters or words (required unless --resume)")
    p.add_argument("--max-vocab", type=positive_int, default=data.max_vocab,
                   help="largest vocabulary size (none given: every training token type)")
    p.add_argument("--train-limit", "--max-train-tokens", dest="train_limit",
                   type=non_negative_int, default=data.train_limit,
                   help="train on the first N tokens only (0: all); the vocabulary still "
                        "comes from the whole file")
    _add_network_flags(p, defaults.model)
    p.add_argument("--dropout-kind", choices=DROPOUT_KINDS, default=defaults.model.dropout_kind,
                   help="locked = one mask per sequence for every step (variational)")
    p.add_argument("--tie-weights", action="store_true",
                   help="share the embedding matrix with the output projection")
    p.add_argument("--recurrent-dropout", type=below_one, default=defaults.model.recurrent_dropout,
                   help="variational dropout on h(t-1) inside each layer (one mask per\n"
                        "sequence)")
    p.add_argument("--zoneout", type=below_one, default=defaults.model.zoneout,
                   help="zoneout on h and c: each unit keeps its previous value with this "
                        "probability per step")
    p.add_argument("--weight-drop", type=below_one, default=defaults.model.weight_drop,
                   help="DropConnect on the recurrent weights W_hh, a fresh mask per window")
    p.add_argument("--layer-norm", action="store_true",
                   help="layer-normalised LSTM/GRU cells")
    p.add_argument("--proj-size", type=non_negative_int, default=defaults.model.proj_size,
                   help="LSTM projection size (0: none); h is this wide")
    p.add_argument("--batch-size", type=positive_int, default=windows.batch_size,
                   help="parallel streams the training text is cut into")
    p.add_argument("--bptt", type=positive_int, default=windows.bptt,
                   help="truncated-BPTT window length (steps)")
    p.add_argument("--eval-batch-size", type=positive_int, default=windows.eval_batch_size,
                   help="parallel streams when scoring the dev and test text")
    p.add_argument("--eval-bptt", type=positive_int, default=windows.eval_bptt,
                   help="window length when scoring the dev and test text")
    _add_loop_flags(p, defaults.loop)
    p.set_defaults(handler=train_lm)
    track_given_flags(p)


def _build_eval_lm(p: CommandParser) -> None:
    add_model_flag(p)
    p.add_argument("--data", metavar="FILE", required=True, help="UTF-8 text file")
    p.add_argument("--batch-size", type=positive_int, default=1,
                   help="parallel streams the text is read as (1: one stream)")
    p.add_argument("--bptt", type=positive_int, default=100,
                   help="window length; the state is carried across windows")
    add_json_flag(p, "the scores")
    p.set_defaults(handler=eval_lm)


def _build_train_generator(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import track_given_flags
    from rnnlab.data.levels import LEVELS
    from rnnlab.models.conditional_generator import CONDITION_MODES
    from rnnlab.tasks import generation

    defaults = generation.GenerationConfig(generation.GeneratorData([]))
    data = defaults.data
    p.add_argument("--train", "--data", dest="train", nargs="+", metavar="PATH", default=None,
                   help="a directory of <Label>.txt files, or FEATURES.npy CAPTIONS.txt "
                        "(required unless --resume)")
    p.add_argument("--level", choices=LEVELS, default=data.level,
                   help="tokens are characters or words")
    p.add_argument("--condition-mode", choices=CONDITION_MODES,
                   default=defaults.model.condition_mode,
                   help="where the vector enters: initial state, also every input, or nowhere")
    p.add_argument("--dev-fraction", "--held-out-fraction", dest="dev_fraction", type=fraction,
                   default=data.dev_fraction,
                   help="share of the pairs held out to pick the best epoch")
    p.add_argument("--split-seed", type=non_negative_int, default=data.split_seed,
                   help="seed of the held-out split")
    p.add_argument("--keep-accents", action="store_true",
                   help="labelled directories: keep non-ASCII letters")
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="texts per batch")
    _add_network_flags(p, defaults.model)
    _add_loop_flags(p, defaults.loop)
    p.set_defaults(handler=train_generator)
    track_given_flags(p)


def _build_generate(p: CommandParser) -> None:
    add_model_flag(p, "language model or conditional generator")
    p.add_argument("--prime", default="",
                   help="language model: text to continue (none given: start from nothing)")
    p.add_argument("--length", type=positive_int, default=200,
                   help="tokens to generate (at most)")
    p.add_argument("--condition", metavar="LABEL", default=None,
                   help="conditional generator: the label to condition on, e.g. a language "
                        "(none given: --vector)")
    p.add_argument("--vector", metavar="FILE.npy", default=None,
                   help="conditional generator: a .npy vector (D,) or rows (N, D) to "
                        "condition on (none given: --condition)")
    p.add_argument("--greedy", action="store_true", help="always the most likely token")
    p.add_argument("--temperature", type=positive, default=1.0,
                   help="divide the scores by this before sampling (< 1: safer text)")
    p.add_argument("--top-k", type=non_negative_int, default=0,
                   help="sample among the k best (0: all)")
    p.add_argument("--top-p", type=probability_mass, default=1.0,
                   help="nucleus sampling mass (1: all)")
    p.add_argument("--seed", type=non_negative_int, default=None,
                   help="same seed, same text (none given: different text each run)")
    p.add_argument("--num-samples", type=positive_int, default=1, help="texts to generate")
    p.set_defaults(handler=generate)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "lm", help="train a char- or word-level language model with truncated BPTT",
        description="Embeddings -> stacked RNN/LSTM/GRU -> softmax over the next token, "
                    "trained on one token stream in windows (LECTURE §2).",
        build=_build_train_lm)
    groups.eval.add_parser("lm", help="perplexity and bits per token of a text file",
                           build=_build_eval_lm)
    groups.train.add_parser(
        "generator", help="train a one-vector-to-sequence (conditional) generator",
        description="A vector (a one-hot label or a feature row) sets the decoder's initial "
                    "state and, optionally, every input (LECTURE §3.2).",
        build=_build_train_generator)
    groups.top.add_parser("generate", help="generate text from a trained model",
                          build=_build_generate)
