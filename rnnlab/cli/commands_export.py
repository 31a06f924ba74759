"""``rnnlab export``: a trained language model, sentence classifier or part-of-speech tagger
as an ONNX file, to run with onnxruntime (or any ONNX runtime) without rnnlab
(:mod:`rnnlab.io.onnx_export`)."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from rnnlab.data.batching import pad_sequences
from rnnlab.io import onnx_export
from rnnlab.models.classifier import SentenceClassifier
from rnnlab.models.language_model import LanguageModel
from rnnlab.models.loading import load_model
from rnnlab.models.tagger import Tagger

VERIFY_BATCH, VERIFY_STEPS = 4, 12
VERIFY_SENTENCES = [["The", "cats", ",", "which", "already", "ate", "a", "bunch", "of", "food",
                     ",", "were", "full", "."], ["Colorless", "green", "ideas", "sleep"],
                    ["Supercalifragilisticexpialidocious", "!"]]


def register(groups) -> None:
    parser = groups.top.add_parser(
        "export", help="write a trained model as an ONNX file",
        description="Write a trained language model, sentence classifier or "
                    "part-of-speech tagger (without CRF) as an ONNX file; its vocabularies "
                    "and labels travel in the file's metadata (docs/onnx.md).")
    parser.add_argument("model", help="model directory (a training run's --out works too; "
                                      "`rnnlab info` shows where the shipped tagger is)")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=onnx_export.OPSET,
                        help=f"ONNX opset (default {onnx_export.OPSET})")
    parser.add_argument("--verify", action="store_true",
                        help="run the file with onnxruntime on a random batch (where "
                             "characters are read: three fixed sentences) and compare with "
                             "rnnlab (needs onnxruntime)")
    parser.set_defaults(handler=run_export)


def _export(model, opset: int):
    if isinstance(model, LanguageModel):
        return onnx_export.language_model_to_onnx(model, opset=opset)
    if isinstance(model, SentenceClassifier):
        return onnx_export.classifier_to_onnx(model, opset=opset)
    if isinstance(model, Tagger):
        return onnx_export.tagger_to_onnx(model, opset=opset)
    raise ValueError(f"ONNX export covers language models, sentence classifiers and taggers, "
                     f"not a {type(model).__name__}")


def _describe(values) -> str:
    """'ids [time, batch], lengths [batch]' for graph inputs or outputs."""
    def dims(value) -> str:
        return ", ".join(str(d.dim_param or d.dim_value) for d in value.type.tensor_type.shape.dim)

    return ", ".join(f"{v.name} [{dims(v)}]" for v in values)


def largest_difference(onnx_model, model) -> tuple[float, str]:
    """Run ``onnx_model`` with onnxruntime and ``model`` with rnnlab on the same random batch
    (seed 0; lengths from 1 to the longest for a classifier) — for a tagger, on three fixed
    sentences, its UPOS scores; the largest |difference|, and what was compared."""
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    model.eval()
    fixed = f"{len(VERIFY_SENTENCES)} fixed sentences"
    if isinstance(model, SentenceClassifier) and model.char_encoder is not None:
        forms = [model.normalise(tokens) for tokens in VERIFY_SENTENCES]
        ids, lengths = pad_sequences([model.vocab.encode(f) for f in forms], model.vocab.pad_id)
        chars = model.characters(forms)
        got = session.run(None, {"ids": ids, "lengths": lengths, "char_ids": chars.char_ids,
                                 "char_lengths": chars.char_lengths,
                                 "form_index": chars.form_index.T.copy()})[0]
        return float(np.abs(got - model.predict_proba(VERIFY_SENTENCES)).max()), fixed
    if isinstance(model, Tagger):
        from rnnlab.engine import no_grad

        batch = model.encode(VERIFY_SENTENCES)
        got = session.run(["upos_scores"], {
            "word_ids": batch.word_ids, "lengths": batch.lengths,
            "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
            "form_index": batch.chars.form_index})[0]
        with no_grad():
            want = model.scores(batch)[0].data
        return float(np.abs(got - want).max()), fixed
    vocab_size = len(model.vocab)
    if isinstance(model, LanguageModel):
        ids = rng.integers(0, vocab_size, (VERIFY_STEPS, VERIFY_BATCH))
        feeds = {i.name: np.zeros((1, VERIFY_BATCH, model.config.hidden_size), np.float32)
                 for i in session.get_inputs() if i.name != "ids"}
        got = session.run(["logits"], {"ids": ids, **feeds})[0]
        from rnnlab.engine import no_grad

        with no_grad():
            want = model(ids)[0].data
    else:
        lengths = np.linspace(1, VERIFY_STEPS, VERIFY_BATCH).astype(np.int64)
        ids = rng.integers(0, vocab_size, (VERIFY_BATCH, VERIFY_STEPS))
        ids[np.arange(VERIFY_STEPS)[None, :] >= lengths[:, None]] = model.vocab.pad_id
        got = session.run(None, {"ids": ids, "lengths": lengths})[0]
        want = model.predict_proba_ids([row[:n].tolist() for row, n in zip(ids, lengths,
                                                                            strict=True)])
    return float(np.abs(got - want).max()), "a random batch (seed 0)"


def run_export(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    try:
        onnx_model = _export(model, args.opset)
    except ImportError as error:
        print(f"rnnlab: error: {error}", file=sys.stderr)
        return 1
    path = onnx_export.save(onnx_model, args.out)
    graph = onnx_model.graph
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opset {args.opset})")
    print(f"  inputs:  {_describe(graph.input)}")
    print(f"  outputs: {_describe(graph.output)}")
    print("  metadata: " + ", ".join(p.key for p in onnx_model.metadata_props))
    if args.verify:
        try:
            difference, inputs = largest_difference(onnx_model, model)
        except ImportError:
            print("rnnlab: error: --verify needs onnxruntime (pip install onnxruntime)",
                  file=sys.stderr)
            return 1
        print(f"  verified with onnxruntime on {inputs}: largest difference from rnnlab "
              f"{difference:.2e}")
        if difference > 1e-4:
            print("rnnlab: error: the exported model disagrees with rnnlab", file=sys.stderr)
            return 1
    return 0
