"""How long does reading a CoNLL-U file take, and how much memory per word does it cost?

    .venv/bin/python benchmarks/speed/reading.py                 # EWT train, 5 runs
    .venv/bin/python benchmarks/speed/reading.py --runs 9 --data FILE.conllu

Each measurement runs in a fresh Python process (this script with ``--child``), with the
library already imported, so neither import time nor memory left by an earlier run counts.
Two sides:

- ``rnnlab``: ``rnnlab.data.conllu_io.read_conllu`` (decode, validate, build sentences);
- ``split``: the floor — decode the file and split every line into its columns, keeping
  nothing.

For each side, ``--runs`` processes time the read (wall-clock and CPU seconds; peak
resident memory above what the process held before the read), then ``--runs`` more measure
it under ``tracemalloc`` (peak Python allocation during the read, and what the result
still holds). Medians are printed, per word of the file.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from rnnlab.data.conllu_io import read_conllu
from rnnlab.data.paths import default_path
from rnnlab.data.text_files import read_utf8

SIDES = ("rnnlab", "split")


def _rss_bytes() -> int:
    """Resident memory of this process now (Linux: /proc/self/statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


def _split(path: Path) -> int:
    text = read_utf8(path)
    words = 0
    for line in text.split("\n"):
        cols = line.split("\t")
        words += len(cols) == 10 and cols[0].isdigit()
    return words


def _read(side: str, path: Path) -> tuple[object, int]:
    """(what the side keeps, words read)."""
    if side == "rnnlab":
        sentences = read_conllu(path, progress=False)
        return sentences, sum(map(len, sentences))
    return None, _split(path)


def child(side: str, measure: str, path: Path) -> dict[str, float]:
    """One measurement in this process."""
    if measure == "time":
        rss = _rss_bytes()
        wall, cpu = time.perf_counter(), time.process_time()
        kept, words = _read(side, path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss
        return {"words": words, "wall": wall, "cpu": cpu, "rss": max(peak_rss, 0)}
    tracemalloc.start()
    kept, words = _read(side, path)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return {"words": words, "peak": peak, "retained": retained}


def run_child(side: str, measure: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", side, measure, str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="CoNLL-U file (default: EWT train)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "MEASURE", "FILE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, measure, file = args.child
        print(json.dumps(child(side, measure, Path(file))))
        return 0
    path = Path(args.data) if args.data else default_path("ud-english-ewt", "train")
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB), medians of {args.runs} fresh "
          "processes each")
    print(f"{'side':<8}{'words':>9}{'wall s':>9}{'CPU s':>8}{'peak RSS B/w':>14}"
          f"{'peak alloc B/w':>16}{'kept B/w':>10}")
    for side in SIDES:
        timed = [run_child(side, "time", path) for _ in range(args.runs)]
        traced = [run_child(side, "memory", path) for _ in range(args.runs)]
        words = timed[0]["words"]

        def median(runs: list[dict[str, float]], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        print(f"{side:<8}{words:>9}{median(timed, 'wall'):>9.2f}{median(timed, 'cpu'):>8.2f}"
              f"{median(timed, 'rss') / words:>14.0f}{median(traced, 'peak') / words:>16.0f}"
              f"{median(traced, 'retained') / words:>10.0f}")
        print(f"{'':<8}wall s per run: "
              + ", ".join(f"{r['wall']:.2f}" for r in timed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
