"""Raw text in, CoNLL-U out: EWT test as running text, scored with the CoNLL 2018 metrics.

The gold file's running text (``rnnlab.data.running_text``: a paragraph's sentences joined
by spaces, paragraphs separated by a blank line, as UD's ``.txt`` files give it) goes
through each system, and its CoNLL-U output is scored against the gold file by
``rnnlab.evaluation.conll18`` — issue 18's table:

* ``today``: what ``rnnlab tag --tokenizer lines`` does, and what ``rnnlab tag --format
  text`` did before the pipeline (``rnnlab.cli.commands_tagger.tag_text``):
  every input line is one sentence, split into words by ``tokenize_english``, tagged by
  the shipped tagger — no lemma, no features, no multiword tokens;
* ``pipeline``: what ``rnnlab tag`` does with raw text by default and what
  ``rnnlab.Pipeline()`` does — the character-level tokenizer and sentence splitter (the
  shipped one, or ``--tokenizer MODEL``), its words tagged by the same tagger, and
  lemmatized where a lemmatizer is given (``--lemmatizer MODEL``) or shipped.

Each row gives the F1 of every metric and the words per second of the whole path (text
to CoNLL-U, models loaded before the clock starts), by the wall clock and by the process's
CPU time (all its threads; the figure that does not depend on what else the machine runs).
The running text and each system's output are written to ``--out``::

    .venv/bin/python benchmarks/tasks/pipeline.py --out runs/pipeline-bench
    .venv/bin/python benchmarks/tasks/pipeline.py --out runs/pipeline-bench \\
        --tokenizer runs/tok-ewt --lemmatizer runs/lemma-ewt
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rnnlab.cli.commands_tagger import tag_text
from rnnlab.cli.files import text_lines
from rnnlab.data.paths import shared_data_dir
from rnnlab.data.running_text import running_text
from rnnlab.data.ud_document import parse_ud, read_ud
from rnnlab.evaluation.conll18 import METRICS, Score, evaluate
from rnnlab.io.atomic import atomic_write_text
from rnnlab.models.tagger import Tagger
from rnnlab.pipeline import Pipeline

SHOWN = ("Tokens", "Sentences", "Words", "UPOS", "XPOS", "UFeats", "AllTags", "Lemmas")


def today(tagger: Tagger, text: str) -> str:
    """``rnnlab tag --tokenizer lines`` on ``text``."""
    return tag_text(tagger, text_lines(text), "text", 64)


def row(name: str, scores: dict[str, Score], words: int, wall: float, cpu: float) -> str:
    cells = " | ".join(f"{100 * scores[m].f1:.2f}" for m in SHOWN)
    return f"| {name} | {cells} | {words / wall:,.0f} | {words / cpu:,.0f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", default=None,
                        help="gold CoNLL-U (default: the shared UD English EWT test file)")
    parser.add_argument("--out", required=True,
                        help="folder for the running text and each system's CoNLL-U")
    parser.add_argument("--tokenizer", default=None,
                        help="the pipeline's tokenizer, model or run folder (default: the "
                             "shipped English one)")
    parser.add_argument("--lemmatizer", default=None,
                        help="the pipeline's lemmatizer, model or run folder (default: the "
                             "shipped one where the package has one)")
    parser.add_argument("--tagger", default=None,
                        help="tagger model or run folder (default: the shipped English one)")
    args = parser.parse_args(argv)
    gold_path = Path(args.gold) if args.gold else (
        shared_data_dir() / "ud-english-ewt" / "en_ewt-ud-test.conllu")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gold = read_ud(gold_path)
    text = running_text(gold)
    atomic_write_text(out / "text.txt", text)
    n_words = sum(len(s.words) for s in gold)
    tagger = Tagger.load(args.tagger)
    nlp = Pipeline(tokenizer=args.tokenizer, tagger=tagger, lemmatizer=args.lemmatizer)
    systems = [("rnnlab tag --tokenizer lines (one sentence per line, regex tokens)", "today",
                lambda t: today(tagger, t)),
               ("rnnlab tag (rnnlab.Pipeline: tokenizer, tagger, lemmatizer)", "pipeline",
                lambda t: nlp(t).to_conllu())]
    print(f"{gold_path}: {len(gold)} sentences, {n_words} words, {len(text)} characters of "
          f"running text; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| system | " + " | ".join(SHOWN) + " | words/s (wall) | words/s (CPU) |")
    print("|---|" + "---:|" * (len(SHOWN) + 2))
    for name, key, run in systems:
        start, cpu = time.perf_counter(), time.process_time()
        output = run(text)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        atomic_write_text(out / f"{key}.conllu", output)
        scores = evaluate(gold, parse_ud(output, key), str(gold_path), key)
        assert set(SHOWN) <= set(METRICS)
        print(row(name, scores, n_words, seconds, cpu), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
