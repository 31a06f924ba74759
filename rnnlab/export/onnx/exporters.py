"""Which exporter writes each kind of model, keyed by the registry's kind names
(:data:`rnnlab.models.registry.KINDS`): the parts it writes, the function that builds
them, and how ``--verify`` compares them with rnnlab (:mod:`.checks`).

Every registered kind has an entry in :data:`EXPORTERS` or a reason in :data:`REFUSALS`;
a test holds that, so a new kind cannot be left out silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnlab.engine.tensor import no_grad
from rnnlab.export.onnx import checks
from rnnlab.export.onnx.graph import OPSET
from rnnlab.export.onnx.seq2seq import seq2seq_to_onnx
from rnnlab.export.onnx.text_models import (
    classifier_to_onnx,
    conditional_generator_to_onnx,
    language_model_to_onnx,
    tagger_to_onnx,
)
from rnnlab.models.registry import kind_of


@dataclass(frozen=True)
class Exporter:
    """``export(model, opset=…)`` gives one ONNX model per name in ``parts`` (a bare model
    for one part); ``compare(sessions, model)`` is the ``--verify`` check (:mod:`.checks`)."""

    parts: tuple[str, ...]
    export: Callable[..., Any]
    compare: Callable[[checks.Sessions, Any], tuple[float, str]]


EXPORTERS: dict[str, Exporter] = {
    "pos_tagger": Exporter(("model",), tagger_to_onnx, checks.tagger),
    "sentence_classifier": Exporter(("model",), classifier_to_onnx, checks.classifier),
    "language_model": Exporter(("model",), language_model_to_onnx, checks.language_model),
    "conditional_generator": Exporter(("start", "step"), conditional_generator_to_onnx,
                                      checks.conditional_generator),
    "seq2seq": Exporter(("encoder", "decoder"), seq2seq_to_onnx, checks.seq2seq),
}
REFUSALS: dict[str, str] = {  # kind → why it has no ONNX export
    "tokenizer": "what it computes is text cut into paragraphs, windows, tokens and "
                 "multiword words around the network, which an ONNX graph does not hold",
    "lemmatizer": "its lemmas come from a dictionary first and from greedy character "
                  "decoding after an edit choice, which an ONNX graph does not hold",
}


def exporter_of(model: Any) -> Exporter:
    """The exporter of ``model``'s kind.

    Raises:
        ValueError: a kind that is not registered, or one ONNX export refuses (and why).
    """
    kind = kind_of(model)
    if kind.name in REFUSALS:
        raise ValueError(f"a {kind.description} cannot be exported to ONNX: "
                         f"{REFUSALS[kind.name]}")
    return EXPORTERS[kind.name]


def export_model(model: Any, opset: int = OPSET) -> dict[str, Any]:
    """The ONNX model(s) of ``model`` by part: ``{"model": …}``, a translator's
    ``encoder`` and ``decoder`` step, a conditional generator's ``start`` and ``step``."""
    exporter = exporter_of(model)
    built = exporter.export(model, opset=opset)
    return dict(zip(exporter.parts, built if len(exporter.parts) > 1 else (built,),
                    strict=True))


def part_path(out: str | Path, part: str) -> Path:
    """``out`` itself for a one-part model; ``NAME.PART.onnx`` for each part of the others."""
    out = Path(out)
    return out if part == "model" else out.with_name(f"{out.stem}.{part}{out.suffix or '.onnx'}")


def largest_difference(parts: dict[str, Any], model: Any) -> tuple[float, str]:
    """Run the ONNX ``parts`` (:func:`export_model`) in onnxruntime beside ``model``: the
    largest |onnxruntime − rnnlab| over the outputs compared, and on what inputs.

    Raises:
        ImportError: onnxruntime is not installed.
    """
    import onnxruntime

    sessions = {name: onnxruntime.InferenceSession(proto.SerializeToString(),
                                                   providers=["CPUExecutionProvider"])
                for name, proto in parts.items()}
    model.eval()
    with no_grad():
        return exporter_of(model).compare(sessions, model)
