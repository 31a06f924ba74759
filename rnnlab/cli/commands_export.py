"""``rnnlab export``: a trained model of any kind ONNX export covers, as ONNX, to run with
onnxruntime (or any ONNX runtime) without rnnlab (:mod:`rnnlab.export.onnx`; ``--verify``
is :func:`rnnlab.export.onnx.largest_difference`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rnnlab.cli.errors import CommandError
from rnnlab.cli.flags import MODEL_HELP
from rnnlab.cli.values import output_file, positive_int

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser

MODEL_REQUIRED = "--model PATH is required (a model folder, or a training run folder)"


def _build(parser: CommandParser) -> None:
    from rnnlab.export.onnx import OPSET

    parser.add_argument("--model", metavar="PATH", default=None,
                        help=f"{MODEL_HELP} (required; `rnnlab info` shows where the shipped "
                             "tagger is)")
    parser.add_argument("legacy_model", nargs="?", metavar="MODEL", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)  # the model as a positional, as before --model
    parser.add_argument("--output", "--out", metavar="FILE", type=output_file, required=True,
                        help="the .onnx file to write (a model of two parts: NAME.PART.onnx "
                             "beside it)")
    parser.add_argument("--opset", type=positive_int, default=OPSET, help="ONNX opset")
    parser.add_argument("--verify", action="store_true",
                        help="run the files with onnxruntime on a random batch (where "
                             "characters are read: three fixed sentences) and compare with "
                             "rnnlab (needs onnxruntime)")
    parser.set_defaults(handler=run_export)


def register(groups: CommandGroups) -> None:
    groups.top.add_parser(
        "export", help="write a trained model as an ONNX file",
        description="Write a trained language model, conditional generator, sentence "
                    "classifier, part-of-speech tagger or translator as ONNX — "
                    "a translator as NAME.encoder.onnx and NAME.decoder.onnx (one decoder "
                    "step), a conditional generator as NAME.start.onnx and NAME.step.onnx; "
                    "vocabularies and labels travel in the files' metadata (docs/onnx.md).",
        build=_build)


def _model_path(args: argparse.Namespace) -> str:
    """``--model``, or the positional MODEL of older command lines (not both)."""
    legacy = getattr(args, "legacy_model", None)
    if args.model is not None and legacy is not None:
        raise CommandError(f"the model is given twice ({legacy} and --model {args.model})")
    path = args.model if args.model is not None else legacy
    if path is None:
        raise CommandError(MODEL_REQUIRED)
    return path


def _describe(values: Iterable[Any]) -> str:
    """'ids [time, batch], lengths [batch]' for graph inputs or outputs."""
    def dims(value: Any) -> str:
        return ", ".join(str(d.dim_param or d.dim_value) for d in value.type.tensor_type.shape.dim)

    return ", ".join(f"{v.name} [{dims(v)}]" for v in values)


def run_export(args: argparse.Namespace) -> int:
    from rnnlab.export import onnx as onnx_export
    from rnnlab.models.registry import open_model_dir

    model = open_model_dir(_model_path(args))
    try:
        parts = onnx_export.export_model(model, args.opset)
    except ImportError as error:
        raise CommandError(str(error)) from None
    for part, onnx_model in parts.items():
        path = onnx_export.part_path(args.output, part)
        try:
            onnx_export.save(onnx_model, path)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
        graph = onnx_model.graph
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opset {args.opset})")
        print(f"  inputs:  {_describe(graph.input)}")
        print(f"  outputs: {_describe(graph.output)}")
    print("  metadata: " + ", ".join(p.key for p in onnx_model.metadata_props))
    if args.verify:
        try:
            difference, inputs = onnx_export.largest_difference(parts, model)
        except ImportError:
            raise CommandError("--verify needs onnxruntime (pip install onnxruntime)") from None
        print(f"  verified with onnxruntime on {inputs}: largest difference from rnnlab "
              f"{difference:.2e}")
        if not difference <= 1e-4:
            print("rnnlab: error: the exported model disagrees with rnnlab", file=sys.stderr)
            return 1
    return 0
