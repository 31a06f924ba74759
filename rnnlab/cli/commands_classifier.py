"""``rnnlab train classifier``, ``rnnlab classify`` and ``rnnlab eval classifier``: flags
and printing; the task itself is :mod:`rnnlab.tasks.classification`.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rnnlab.cli.files import read_input, require_some, text_lines
from rnnlab.cli.flags import add_json_flag, add_model_flag, add_run_folder_flag
from rnnlab.cli.values import below_one, non_negative_int, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser
    from rnnlab.tasks.classification import ClassificationEvaluation

MONITOR = {"monitor": "accuracy", "monitor_mode": "max"}


# ------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    from rnnlab.cli.training_run import run_training
    from rnnlab.tasks import classification as task

    run = run_training(args, task, task.ClassificationConfig, ("train", "dev"), **MONITOR)
    dev = run.result.dev.report
    print(f"dev accuracy {dev.accuracy:.4f}, macro-F1 {dev.macro_f1:.4f} "
          f"({run.result.outcome.saved_from}); model saved in {run.model_dir}")
    return 0


# ---------------------------------------------------------------- classify
def _input_texts(args: argparse.Namespace) -> list[str]:
    from rnnlab.data.tokenize import tokenize_english

    texts = list(args.text)
    if args.input is not None:
        lines = [line for line in text_lines(read_input(args.input)[0]) if line.strip()]
        require_some(lines, args.input, "texts to classify")
        texts += lines
    if not texts:
        raise ValueError("nothing to classify: give texts as arguments or --input FILE")
    for i, text in enumerate(texts, start=1):
        if not tokenize_english(text):
            raise ValueError(f"text {i} is empty")
    return texts


def run_classify(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir

    model = open_model_dir(args.model, kind="sentence_classifier")
    texts = _input_texts(args)
    probs = model.predict_proba([model.tokenize(t) for t in texts])
    for text, p in zip(texts, probs, strict=True):
        best = int(p.argmax())
        if args.json:
            scores = {name: float(v) for name, v in zip(model.labels, p, strict=True)}
            row = {"text": text, "label": model.labels[best], "probability": float(p[best]),
                   "probabilities": scores}
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{model.labels[best]}\t{p[best]:.4f}\t{text}")
    return 0


# -------------------------------------------------------------------- eval
def _print_report(evaluation: ClassificationEvaluation, path: str) -> None:
    report = evaluation.report
    print(f"{path}: {report.total} examples")
    print(f"accuracy  {report.accuracy:.4f}")
    print(f"macro-F1  {report.macro_f1:.4f}")
    print(f"NLL       {evaluation.nll:.4f}")
    width = max(len(name) for name in report.labels) + 2
    print("confusion matrix (rows: gold, columns: predicted)")
    print(" " * width + "".join(f"{i:>8d}" for i in range(len(report.labels))))
    for i, (name, row) in enumerate(zip(report.labels, report.confusion, strict=True)):
        print(f"{i} {name:<{width - 2}}" + "".join(f"{v:>8d}" for v in row))


def run_eval(args: argparse.Namespace) -> int:
    from rnnlab.models import open_model_dir
    from rnnlab.tasks import classification as task

    model = open_model_dir(args.model, kind="sentence_classifier")
    data = task.read_for_model(model, args.data, args.format, args.phrases)
    require_some(data.labels, args.data, "labelled examples")
    evaluation = task.evaluate(model, data, args.data)
    if args.json:
        print(json.dumps({**evaluation.to_dict(), "data": str(args.data)}, indent=2))
    else:
        _print_report(evaluation, args.data)
    return 0


# ---------------------------------------------------------------- register
def _add_format(parser: CommandParser) -> None:
    from rnnlab.tasks.classification import FORMATS

    parser.add_argument(
        "--format", choices=FORMATS, default=None,
        help="data format (none given: tsv/csv from the file extension, sst otherwise)",
    )


def _build_train(p: CommandParser) -> None:
    from rnnlab.cli.trainer_flags import add_trainer_flags, track_given_flags
    from rnnlab.nn.pooling import POOLING_METHODS
    from rnnlab.recurrent.factory import CELL_NAMES
    from rnnlab.tasks import classification as task

    defaults = task.ClassificationConfig(task.ClassificationData("", ""))
    data, options, loop = defaults.data, defaults.model, defaults.loop
    p.add_argument("--train", metavar="FILE", default=None,
                   help="training data, SST trees or TSV/CSV (required unless --resume)")
    p.add_argument("--dev", "--valid", metavar="FILE", dest="dev", default=None,
                   help="development data; its accuracy picks the best epoch "
                        "(required unless --resume)")
    add_run_folder_flag(p)
    _add_format(p)
    p.add_argument("--classes", type=int, choices=(2, 5), default=data.classes,
                   help="SST: 2 = binary (neutral dropped), 5 = fine-grained")
    p.add_argument("--phrases", action="store_true",
                   help="SST: every distinct labelled phrase is an extra training example")
    p.add_argument("--cell", choices=CELL_NAMES, default=options.cell,
                   help="recurrent cell of the encoder")
    p.add_argument("--layers", type=positive_int, default=options.layers,
                   help="number of stacked recurrent layers")
    p.add_argument("--bidirectional", action=argparse.BooleanOptionalAction,
                   default=options.bidirectional,
                   help="read each sentence in both directions")
    p.add_argument("--hidden-size", "--hidden", dest="hidden_size", type=positive_int,
                   default=options.hidden_size, help="hidden size per direction")
    p.add_argument("--embed-dim", type=positive_int, default=options.embed_dim,
                   help="word embedding size")
    p.add_argument("--char-dim", type=non_negative_int, default=options.char_dim,
                   help="character embedding size of a character BiLSTM that adds each "
                        "word's spelling to its embedding (0: no characters)")
    p.add_argument("--char-hidden-size", "--char-hidden", dest="char_hidden_size",
                   type=positive_int, default=options.char_hidden_size,
                   help="character BiLSTM units per direction (with --char-dim)")
    p.add_argument("--pooling", choices=POOLING_METHODS, default=options.pooling,
                   help="how the hidden states become one sentence vector")
    p.add_argument("--attention-dim", type=positive_int, default=options.attention_dim,
                   help="size of the attention scorer (with --pooling attention)")
    p.add_argument("--dropout", type=below_one, default=options.dropout,
                   help="dropout on embeddings, between layers and on the sentence vector")
    p.add_argument("--word-dropout", type=below_one, default=options.word_dropout,
                   help="probability of replacing a training token by <unk>")
    p.add_argument("--keep-case", action="store_true", help="do not lower-case tokens")
    p.add_argument("--recurrent-dropout", type=below_one, default=options.recurrent_dropout,
                   help="variational dropout on h(t-1) inside each layer (one mask per "
                        "sentence)")
    p.add_argument("--zoneout", type=below_one, default=options.zoneout,
                   help="zoneout on h and c: each unit keeps its previous value with this "
                        "probability per step")
    p.add_argument("--weight-drop", type=below_one, default=options.weight_drop,
                   help="DropConnect on the recurrent weights W_hh, a fresh mask per batch")
    p.add_argument("--layer-norm", action="store_true",
                   help="layer-normalised LSTM/GRU cells")
    p.add_argument("--proj-size", type=non_negative_int, default=options.proj_size,
                   help="LSTM projection size (0: none); h is this wide")
    p.add_argument("--min-freq", type=non_negative_int, default=options.min_freq,
                   help="words seen fewer times in training share the <unk> embedding")
    p.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                   help="sentences per batch")
    add_trainer_flags(p, epochs=loop.epochs, lr=loop.lr)
    p.set_defaults(handler=run_train)
    track_given_flags(p)


def _build_classify(p: CommandParser) -> None:
    add_model_flag(p)
    p.add_argument("text", nargs="*", help="texts to classify")
    p.add_argument("--input", metavar="FILE", default=None,
                   help="a UTF-8 file with one text per line, classified after any TEXT "
                        "(none given: TEXT only)")
    add_json_flag(p, "one JSON object per text")
    p.set_defaults(handler=run_classify)


def _build_eval(p: CommandParser) -> None:
    add_model_flag(p)
    p.add_argument("--data", metavar="FILE", required=True,
                   help="labelled data (SST trees or TSV/CSV)")
    _add_format(p)
    p.add_argument("--phrases", action="store_true",
                   help="SST: score every distinct labelled phrase, not only sentences")
    add_json_flag(p, "the report")
    p.set_defaults(handler=run_eval)


def register(groups: CommandGroups) -> None:
    groups.train.add_parser(
        "classifier", help="train a sentence classifier (SST trees or text,label TSV/CSV)",
        description="Embeddings -> RNN/LSTM/GRU encoder -> pooling -> softmax (LECTURE §3.3).",
        build=_build_train)
    groups.top.add_parser(
        "classify", help="classify texts with a trained sentence classifier",
        description="Prints label, probability and text, one line per text.",
        build=_build_classify)
    groups.eval.add_parser(
        "classifier", help="accuracy, macro-F1 and confusion matrix of a sentence classifier",
        build=_build_eval)
