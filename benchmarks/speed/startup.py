"""How long do whole ``rnnlab`` commands take, start-up included?

    .venv/bin/python benchmarks/speed/startup.py                       # this checkout, 7 runs
    .venv/bin/python benchmarks/speed/startup.py --code . --code ../main --runs 9
    .venv/bin/python benchmarks/speed/startup.py --cases tag-one tag-ewt-test

Each case is one command line run in a fresh process through the environment's ``rnnlab``
entry point (``--code DIR`` puts DIR first on ``PYTHONPATH``, so two checkouts can be timed
in the same rounds against the same install). The runs alternate: round r runs every
(case, code) pair once, the order rotating from round to round, so a change in the
machine's load falls on all sides alike. Two clocks per run: wall time, and the CPU time of
the child process (user + system, every thread, from ``resource.getrusage``) — the
steadier one on a shared machine. Medians are printed, with words per second for the
tagging cases (the words of the input file over the command's whole time). The load
average is printed before and after.

Cases:

- ``help``: ``rnnlab --help``;
- ``tag-one``: ``echo "A sentence ." | rnnlab tag`` (plain text, the shipped tagger);
- ``tag-ewt-test``: ``rnnlab tag --input EWT-test.conllu --output FILE`` (gold tokens,
  CoNLL-U in and out).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EWT_TEST = Path("/work/shared/data/ud-english-ewt/en_ewt-ud-test.conllu")


def _cases(data: Path, output: str) -> dict[str, tuple[list[str], str | None]]:
    """case → (arguments of ``rnnlab``, standard input)."""
    return {
        "help": (["--help"], None),
        "tag-one": (["tag"], "A sentence .\n"),
        "tag-ewt-test": (["tag", "--input", str(data), "--output", output], None),
    }


def _words(path: Path) -> int:
    """Word lines of a CoNLL-U file (an integer ID)."""
    with path.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.split("\t", 1)[0].isdigit())


def run_once(arguments: list[str], stdin: str | None, code: str | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one ``rnnlab`` run."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
    entry = Path(sys.executable).with_name("rnnlab")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(entry), *arguments], input=stdin, text=True, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", action="append", default=None, metavar="DIR",
                        help="a checkout to run (repeatable; default: the installed rnnlab)")
    parser.add_argument("--cases", nargs="+", default=["help", "tag-one", "tag-ewt-test"],
                        choices=["help", "tag-one", "tag-ewt-test"])
    parser.add_argument("--runs", type=int, default=7, help="rounds (one run per side each)")
    parser.add_argument("--data", type=Path, default=EWT_TEST,
                        help="the CoNLL-U file of tag-ewt-test")
    args = parser.parse_args(argv)
    codes = [None] if args.code is None else [str(Path(c).resolve()) for c in args.code]
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(args.data, str(Path(tmp) / "tagged.conllu"))
        sides = [(case, code) for case in args.cases for code in codes]
        for case, code in sides:  # one untimed run each: file caches, Numba's disk cache
            run_once(*cases[case], code)
        print(f"load average before: {os.getloadavg()}")
        times: dict[tuple[str, str | None], list[tuple[float, float]]] = {s: [] for s in sides}
        for r in range(args.runs):
            for i in range(len(sides)):
                case, code = sides[(i + r) % len(sides)]
                times[(case, code)].append(run_once(*cases[case], code))
        print(f"load average after: {os.getloadavg()}")
    words = _words(args.data) if "tag-ewt-test" in args.cases else 0
    print(f"{'case':<14}{'code':<40}{'wall s':>9}{'CPU s':>9}{'words/s wall':>14}"
          f"{'words/CPU s':>13}")
    for (case, code), found in times.items():
        wall = statistics.median(t[0] for t in found)
        cpu = statistics.median(t[1] for t in found)
        rate = (f"{words / wall:14.0f}{words / cpu:13.0f}" if case == "tag-ewt-test"
                else f"{'':14}{'':13}")
        print(f"{case:<14}{code or 'installed':<40}{wall:9.2f}{cpu:9.2f}{rate}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
