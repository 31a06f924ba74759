"""A tagger exported to ONNX against rnnlab on a whole CoNLL-U file: do the tags agree, word
for word, and how long does each take?

    .venv/bin/python benchmarks/speed/onnx_tagger.py               # the shipped tagger, EWT dev
    .venv/bin/python benchmarks/speed/onnx_tagger.py --model runs/tagger-ewt-crf-2ep \\
        --data /work/shared/data/ud-english-ewt/en_ewt-ud-test.conllu
    .venv/bin/python benchmarks/speed/onnx_tagger.py --clock cpu --threads 1

Both sides tag the same sentences from words to tag strings: rnnlab with ``Tagger.predict``
(batches of ``--batch`` sentences sorted by length, encoding, scores, decoding — argmax or
the CRF's Viterbi — and tag names), onnxruntime with the exported file on the same batches
(``Tagger.encode``'s arrays in, its own graph does the argmax or Viterbi, tag names out;
the encoding is timed on its side too). Rounds alternate the two, one pass over the file
each, and the median pass is reported. rnnlab runs on ``--threads`` threads (default: its
own default, ``RNNLAB_NUM_THREADS`` or the CPUs), onnxruntime on ``--ort-threads`` (1).

``--clock wall`` (default) times what a user waits; ``--clock cpu`` the CPU time of the
whole process (every thread), steadier on a shared machine and, with one thread on each
side, the work each library does.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import onnxruntime
from timing import alternate

import rnnlab
from rnnlab.data.conllu_io import read_conllu
from rnnlab.data.paths import shared_data_dir
from rnnlab.export import onnx as onnx_export
from rnnlab.models import open_model_dir
from rnnlab.models.tagger import DEFAULT_MODEL_DIR
from rnnlab.recurrent import compute_path

BATCH = 64
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--data", default=None, help="CoNLL-U file (default: EWT dev)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=BATCH, help="sentences per batch (64)")
    parser.add_argument("--threads", type=int, default=None, help="rnnlab's threads")
    parser.add_argument("--ort-threads", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args(argv)
    if args.threads is not None:
        rnnlab.set_num_threads(args.threads)
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
    chunks = [[sentences[i] for i in order[k : k + args.batch]]
              for k in range(0, len(order), args.batch)]

    results: dict[str, list[list[str]]] = {}

    def with_rnnlab() -> None:
        results["rnnlab"] = model.predict(sentences, batch_size=args.batch)[0]

    def with_onnxruntime() -> None:
        tags: list[list[str]] = [[] for _ in sentences]
        for start, chunk in zip(range(0, len(order), args.batch), chunks, strict=True):
            batch = model.encode(chunk)
            (upos,) = session.run(["upos"], {
                "word_ids": batch.ids, "lengths": batch.padding.lengths,
                "char_ids": batch.chars.char_ids, "char_lengths": batch.chars.char_lengths,
                "form_index": batch.chars.form_index})
            for row, i in enumerate(order[start : start + args.batch]):
                tags[i] = model.upos_vocab.decode(upos[: len(sentences[i]), row])
        results["onnxruntime"] = tags

    compute_path.current()  # compiled from the first pass, as in a long-running process
    timed = alternate({"rnnlab": with_rnnlab, "onnxruntime": with_onnxruntime}, args.rounds,
                      warmup=1, clock=CLOCKS[args.clock])
    words = sum(len(s) for s in sentences)
    same = sum(a == b for x, y in zip(results["rnnlab"], results["onnxruntime"], strict=True)
               for a, b in zip(x, y, strict=True))
    crf = "CRF (Viterbi)" if model.crf is not None else "argmax"
    print(f"{args.model}: {crf} decoding; {path}: {len(sentences)} sentences, {words} words; "
          f"batches of {args.batch}; rnnlab threads {rnnlab.num_threads()}, onnxruntime "
          f"{args.ort_threads}; {args.clock} clock; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    print(f"UPOS tags equal: {same} of {words} words")
    for name, t in timed.times.items():
        median = timed.median(name)
        print(f"{name}: {median:.2f} s per pass ({words / median:,.0f} words/s), median of "
              f"{len(t)}")
    print(f"rnnlab / onnxruntime time: {timed.ratio('rnnlab', 'onnxruntime'):.2f} (median of "
          f"the rounds' ratios)")
    return 0 if same == words else 1


if __name__ == "__main__":
    raise SystemExit(main())
