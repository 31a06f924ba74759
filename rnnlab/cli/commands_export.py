"""``rnnlab export``: a trained model of any kind ONNX export covers, as ONNX, to run with
onnxruntime (or any ONNX runtime) without rnnlab (:mod:`rnnlab.export.onnx`; ``--verify``
is :func:`rnnlab.export.onnx.largest_difference`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rnnlab.export import onnx as onnx_export
from rnnlab.export.onnx import export_model, largest_difference, part_path
from rnnlab.models.registry import open_model_dir

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups


def register(groups: CommandGroups) -> None:
    parser = groups.top.add_parser(
        "export", help="write a trained model as an ONNX file",
        description="Write a trained language model, conditional generator, sentence "
                    "classifier, part-of-speech tagger or translator as ONNX — "
                    "a translator as NAME.encoder.onnx and NAME.decoder.onnx (one decoder "
                    "step), a conditional generator as NAME.start.onnx and NAME.step.onnx; "
                    "vocabularies and labels travel in the files' metadata (docs/onnx.md).")
    parser.add_argument("model", help="model directory (a training run's --out works too; "
                                      "`rnnlab info` shows where the shipped tagger is)")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=onnx_export.OPSET,
                        help=f"ONNX opset (default {onnx_export.OPSET})")
    parser.add_argument("--verify", action="store_true",
                        help="run the files with onnxruntime on a random batch (where "
                             "characters are read: three fixed sentences) and compare with "
                             "rnnlab (needs onnxruntime)")
    parser.set_defaults(handler=run_export)


def _describe(values: Iterable[Any]) -> str:
    """'ids [time, batch], lengths [batch]' for graph inputs or outputs."""
    def dims(value: Any) -> str:
        return ", ".join(str(d.dim_param or d.dim_value) for d in value.type.tensor_type.shape.dim)

    return ", ".join(f"{v.name} [{dims(v)}]" for v in values)


def run_export(args: argparse.Namespace) -> int:
    model = open_model_dir(args.model)
    try:
        parts = export_model(model, args.opset)
    except ImportError as error:
        print(f"rnnlab: error: {error}", file=sys.stderr)
        return 1
    for part, onnx_model in parts.items():
        path = onnx_export.save(onnx_model, part_path(args.out, part))
        graph = onnx_model.graph
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opset {args.opset})")
        print(f"  inputs:  {_describe(graph.input)}")
        print(f"  outputs: {_describe(graph.output)}")
    print("  metadata: " + ", ".join(p.key for p in onnx_model.metadata_props))
    if args.verify:
        try:
            difference, inputs = largest_difference(parts, model)
        except ImportError:
            print("rnnlab: error: --verify needs onnxruntime (pip install onnxruntime)",
                  file=sys.stderr)
            return 1
        print(f"  verified with onnxruntime on {inputs}: largest difference from rnnlab "
              f"{difference:.2e}")
        if not difference <= 1e-4:
            print("rnnlab: error: the exported model disagrees with rnnlab", file=sys.stderr)
            return 1
    return 0
