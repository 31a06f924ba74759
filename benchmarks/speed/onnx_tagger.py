"""A tagger exported to ONNX against rnnlab on a whole CoNLL-U file: do the tags agree, word
for word, and how long does each take?

    .venv/bin/python benchmarks/speed/onnx_tagger.py               # the shipped tagger, EWT dev
    .venv/bin/python benchmarks/speed/onnx_tagger.py --model runs/tagger-ewt-crf-2ep \\
        --data /work/shared/data/ud-english-ewt/en_ewt-ud-test.conllu

Both sides tag the same batches of 64 sentences, sorted by length as ``Tagger.predict``
does: rnnlab with ``Tagger.predict`` (scores and decoding, argmax or the CRF's Viterbi),
onnxruntime 1 thread with the exported file given ``Tagger.encode``'s arrays (its own
graph does the argmax or Viterbi). Rounds alternate the two, one pass over the file each,
and the median pass is reported; rnnlab runs on the threads it is given
(``RNNLAB_NUM_THREADS``, default all CPUs), onnxruntime on ``--ort-threads``.
"""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime
from timing import alternate

from rnnlab.data.conllu_io import read_conllu
from rnnlab.data.paths import shared_data_dir
from rnnlab.export import onnx as onnx_export
from rnnlab.models import open_model_dir
from rnnlab.models.tagger import DEFAULT_MODEL_DIR

BATCH = 64


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--data", default=None, help="CoNLL-U file (default: EWT dev)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ort-threads", type=int, default=1)
    args = parser.parse_args(argv)
    path = args.data or shared_data_dir() / "ud-english-ewt" / "en_ewt-ud-dev.conllu"
    sentences = [list(s.words) for s in read_conllu(path)]
    model = open_model_dir(args.model, kind="pos_tagger")
    model.eval()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.ort_threads
    session = onnxruntime.InferenceSession(
        onnx_export.tagger_to_onnx(model).SerializeToString(), options,
        providers=["CPUExecutionProvider"])
    order = np.argsort([len(s) for s in sentences], kind="stable")
    chunks = [[sentences[i] for i in order[k : k + BATCH]] for k in range(0, len(order), BATCH)]
    batches = [model.encode(chunk) for chunk in chunks]

    results: dict[str, list[list[str]]] = {}

    def with_rnnlab() -> None:
        tags: list[list[str]] = []
        for chunk in chunks:
            tags += model.predict(chunk, batch_size=BATCH)[0]
        results["rnnlab"] = tags

    def with_onnxruntime() -> None:
        tags: list[list[str]] = []
        for chunk, batch in zip(chunks, batches, strict=True):
            (upos,) = session.run(["upos"], {
                "word_ids": batch.word_ids, "lengths": batch.lengths,
                "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
                "form_index": batch.chars.form_index})
            tags += [model.upos_vocab.decode(upos[: len(s), row]) for row, s in
                     enumerate(chunk)]
        results["onnxruntime"] = tags

    timed = alternate({"rnnlab": with_rnnlab, "onnxruntime": with_onnxruntime}, args.rounds,
                      warmup=1)
    words = sum(len(s) for s in sentences)
    same = sum(a == b for x, y in zip(results["rnnlab"], results["onnxruntime"], strict=True)
               for a, b in zip(x, y, strict=True))
    crf = "CRF (Viterbi)" if model.crf is not None else "argmax"
    print(f"{args.model}: {crf} decoding; {path}: {len(sentences)} sentences, {words} words")
    print(f"UPOS tags equal: {same} of {words} words")
    for name, t in timed.times.items():
        median = timed.median(name)
        print(f"{name}: {median:.2f} s per pass ({words / median:,.0f} words/s), median of "
              f"{len(t)}")
    return 0 if same == words else 1


if __name__ == "__main__":
    raise SystemExit(main())
