"""A reliability campaign against the command line, the model loader and the Python API:
every reading command × kinds of bad file, corrupted model folders, bad API arguments,
interruptions and full disks — each attempt classified, the table printed.

Method. A setup phase writes tiny, valid data for every task and trains one tiny model per
kind with the CLI itself (``--epochs 1``; these runs are the campaign's controls: each
must succeed). Then each case runs one command and is classified:

* **data loss** — an input file (or a file the command was told to overwrite and then
  failed on) changed or vanished; checked first, it overrides everything else;
* **traceback** — a Python traceback on stderr (or, for the API, an exception other than
  ``ValueError``/``TypeError``/``OverflowError``-free clear errors: see ``api_probe``);
* **clear error** — a non-zero exit whose stderr is one ``rnnlab: error:`` line naming the
  file (the bad file, or the model folder / file inside it);
* **accepted correctly** — exit 0 and the case's check holds (the output equals what the
  pristine model gives, or is well formed for the input; a resumed run is bit-identical to
  an uninterrupted one);
* **wrong output** — exit 0 where the input should have been refused, or a failed check;
* **unclear** — anything else: a non-zero exit without that one line (or not naming the
  file), a usage error (the campaign's arguments no longer fit the CLI), a hang, a crash
  by signal, or a valid input refused.

The bad-file and model-folder cases run in two worker processes that import rnnlab once
and fork a child per case (``rnnlab.cli.main`` in the child, stdin/stdout/stderr on files,
an uncaught exception printed as Python prints it), on the NumPy compute path; the API
probes run in fresh interpreters on both compute paths; interruptions and disk-full cases
run the real ``rnnlab`` entry point in subprocesses. As root, "no permission" cases run
the command without the capabilities that let root ignore file modes (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH), so a mode-0 file or a read-only folder refuses it as it would any
user. (Running as ``nobody`` instead would also lock the interpreter out of a Python
installed under root's home, and every lazy import would fail.)

Usage (from the repository root; ~10-20 minutes on 2 cores)::

    .venv/bin/python benchmarks/reliability/campaign.py [--report FILE] [--work DIR]
        [--only bad-files model-folders api interruptions] [--jobs 2] [--keep]

The table has one row per category and a total; ``--report`` writes it as Markdown with
the non-clear outcomes listed under it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTCOMES = ("clear error", "accepted correctly", "traceback", "wrong output", "data loss",
            "unclear")
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2  # linux/capability.h
TIMEOUT = 180  # seconds, a training run or a resume
CASE_TIMEOUT = 120  # seconds, one forked case (a hang; not 30: under a load of 10 on 2 cores
# translating a 3000-word line, 3.5 s of CPU, took over 30 s of wall time)
MEMORY = 3 << 30  # address-space limit of a forked case: a huge size fails, not the machine
UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
        "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}
CLI = [sys.executable, "-c", "import sys; from rnnlab.cli import main; sys.exit(main())"]


def child_env(numba: bool = False) -> dict[str, str]:
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p),
           "RNNLAB_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    if not numba:
        env["RNNLAB_DISABLE_NUMBA"] = "1"
    return env


# ======================================================================= cases
@dataclass
class Case:
    category: str
    command: str  # what is run, e.g. "tag --input" (the table's detail)
    kind: str  # the bad-file kind or the corruption
    argv: list[str]
    expect: str = "error"  # "error": must be refused; "accept": must work; "either"
    check: str = ""  # name of the check applied to an exit-0 run (CHECKS)
    check_args: dict = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # one must appear in the error line
    inputs: list[str] = field(default_factory=list)  # files that must not change
    stdin: str | None = None  # a file fed to standard input
    stdout: str | None = None  # where standard output goes (default: a file, read back)
    fsize: int = 0  # RLIMIT_FSIZE for the command
    unprivileged: bool = False  # without root's permission override (see the docstring)
    ident: str = ""

    def label(self) -> str:
        return f"{self.command} [{self.kind}]"


@dataclass
class Result:
    case: Case
    outcome: str
    exit: int | None
    stderr: str
    detail: str = ""


# ================================================================ tiny data
WORDS = ["the", "cat", "sat", "on", "a", "mat", ".", "dogs", "run", "fast", "and", "the",
         "bird", "sings", "in", "the", "tree", ".", "we", "like", "green", "tea", "but",
         "they", "drink", "coffee", "every", "day", "."]
TAGS = {"the": "DET", "a": "DET", "cat": "NOUN", "mat": "NOUN", "dogs": "NOUN",
        "bird": "NOUN", "tree": "NOUN", "tea": "NOUN", "coffee": "NOUN", "day": "NOUN",
        "sat": "VERB", "run": "VERB", "sings": "VERB", "like": "VERB", "drink": "VERB",
        "on": "ADP", "in": "ADP", ".": "PUNCT", "fast": "ADV", "and": "CCONJ",
        "but": "CCONJ", "we": "PRON", "they": "PRON", "green": "ADJ", "every": "DET"}


def conllu_text(sentences: list[list[str]]) -> str:
    blocks = []
    for i, words in enumerate(sentences, 1):
        lines = [f"# sent_id = s{i}", f"# text = {' '.join(words)}"]
        for j, word in enumerate(words, 1):
            lines.append(f"{j}\t{word}\t{word}\t{TAGS[word]}\t_\t_\t{0 if j == 1 else 1}\t"
                         f"{'root' if j == 1 else 'dep'}\t_\t_")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks) + "\n"


def make_data(data: Path) -> dict[str, Path]:
    """Tiny valid files for every reader; returns them by name."""
    rng = random.Random(0)
    data.mkdir(parents=True, exist_ok=True)
    sentences = [rng.sample(WORDS, rng.randint(3, 7)) for _ in range(24)]
    files = {}

    def write(name: str, text: str) -> Path:
        path = data / name
        path.write_text(text, encoding="utf-8")
        files[name] = path
        return path

    write("tagged.conllu", conllu_text(sentences))
    write("text.txt", "".join(" ".join(s) + "\n" for s in sentences))
    pos = ["we like green tea", "the bird sings", "dogs run fast", "we like coffee"]
    neg = ["the cat sat on a mat", "they drink coffee every day", "a tree", "the mat"]
    rows = [f"{t}\tpos" for t in pos] + [f"{t}\tneg" for t in neg]
    write("labelled.tsv", "text\tlabel\n" + "\n".join(rows * 2) + "\n")
    write("trees.txt", "".join(
        f"({lab} (2 {a}) ({lab} {b}))\n" for lab, a, b in
        [(3, "good", "film"), (1, "bad", "plot"), (4, "great", "acting"), (0, "awful", "mess"),
         (3, "nice", "story"), (1, "dull", "film")] * 2))
    write("lm.txt", "".join(" ".join(s) + "\n" for s in sentences * 8))
    names = data / "names"
    names.mkdir(exist_ok=True)
    (names / "Dutch.txt").write_text("Bakker\nDekker\nJansen\nVisser\nSmit\n")
    (names / "Italian.txt").write_text("Rossi\nRusso\nFerrari\nEsposito\nBianchi\n")
    files["names"] = names
    import numpy as np

    np.save(data / "features.npy", np.random.default_rng(0).standard_normal((8, 3))
            .astype(np.float32))
    files["features.npy"] = data / "features.npy"
    write("captions.txt", "".join(" ".join(s[:4]) + "\n" for s in sentences[:8]))
    np.save(data / "vector.npy", np.ones(3, np.float32))
    files["vector.npy"] = data / "vector.npy"
    write("src.txt", "".join(" ".join(s) + "\n" for s in sentences))
    write("tgt.txt", "".join(" ".join(reversed(s)) + "\n" for s in sentences))
    return files


TRAIN_FLAGS = ["--epochs", "1", "--no-progress", "--seed", "1", "--batch-size", "4"]


def train_commands(files: dict[str, Path], runs: Path) -> dict[str, list[str]]:
    """The tiny training runs of the setup (one per model kind the commands read)."""
    small = ["--hidden-size", "8", "--embed-dim", "8"]
    return {
        "tagger": ["train", "tagger", "--train", str(files["tagged.conllu"]), "--dev",
                   str(files["tagged.conllu"]), "--out", str(runs / "tagger"), *small,
                   *TRAIN_FLAGS],
        "classifier": ["train", "classifier", "--train", str(files["labelled.tsv"]), "--dev",
                       str(files["labelled.tsv"]), "--out", str(runs / "classifier"),
                       *small, *TRAIN_FLAGS],
        "classifier-sst": ["train", "classifier", "--train", str(files["trees.txt"]), "--dev",
                           str(files["trees.txt"]), "--out", str(runs / "classifier-sst"),
                           *small, *TRAIN_FLAGS],
        "lm": ["train", "lm", "--train", str(files["lm.txt"]), "--dev", str(files["lm.txt"]),
               "--level", "word", "--out", str(runs / "lm"), *small, *TRAIN_FLAGS],
        "generator": ["train", "generator", "--train", str(files["names"]), "--level", "char",
                      "--out", str(runs / "generator"), *small, *TRAIN_FLAGS],
        "captioner": ["train", "generator", "--train", str(files["features.npy"]),
                      str(files["captions.txt"]), "--level", "word",
                      "--out", str(runs / "captioner"), *small, *TRAIN_FLAGS],
        "seq2seq": ["train", "seq2seq", "--src-train", str(files["src.txt"]), "--tgt-train",
                    str(files["tgt.txt"]), "--src-dev", str(files["src.txt"]), "--tgt-dev",
                    str(files["tgt.txt"]), "--out", str(runs / "seq2seq"), *small,
                    *TRAIN_FLAGS],
    }


# ============================================================ bad files
def bad_files(good: Path, family: str, folder: Path) -> list[tuple[str, Path, str]]:
    """(kind, path, expectation) of the bad variants of ``good`` for its format family
    ("conllu", "lines", "tsv", "sst", "npy", "folder")."""
    folder.mkdir(parents=True, exist_ok=True)
    text = good.read_bytes() if good.is_file() else b""
    suffix = good.suffix
    out: list[tuple[str, Path, str]] = []

    def variant(kind: str, data: bytes | None, expect: str = "error") -> None:
        path = folder / f"{kind}{suffix}"
        if data is not None:
            path.write_bytes(data)
        out.append((kind, path, expect))

    variant("missing", None)
    directory = folder / f"directory{suffix}"
    directory.mkdir(exist_ok=True)
    out.append(("directory", directory, "error"))
    if family == "folder":
        empty = folder / "empty-files"
        empty.mkdir(exist_ok=True)
        for name in ("Dutch.txt", "Italian.txt"):
            (empty / name).write_text("")
        out.append(("empty-files", empty, "error"))
        blank = folder / "whitespace-files"
        blank.mkdir(exist_ok=True)
        (blank / "Dutch.txt").write_text(" \n\n")
        out.append(("whitespace-files", blank, "error"))
        not_folder = folder / "a-file.txt"
        not_folder.write_text("Bakker\n")
        out.append(("a-file-not-a-folder", not_folder, "error"))
        return out
    variant("no-permission", text)
    os.chmod(folder / f"no-permission{suffix}", 0)
    variant("empty", b"")
    variant("whitespace-only", b"  \n\t\n \r\n\n")
    garbage = random.Random(1)  # one generator: a new one per byte gave 3000 × "D"
    variant("binary-garbage", bytes(garbage.randrange(256) for _ in range(3000)))
    if family == "npy":
        variant("truncated", text[: len(text) // 2])
        variant("object-array", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': "
                                b"False, 'shape': (1,), }" + b" " * 41 + b"\n" + b"\x80\x04N.")
        return out
    lines = text.decode("utf-8").splitlines(keepends=True)
    variant("invalid-utf8", text[:20] + b"\xff\xfe\xc3\x28" + text[20:])
    cut = len(text) // 2
    while cut < len(text) - 1 and text[cut - 1:cut] in (b"\n", b" ", b")", b"\t"):
        cut += 1  # mid-word, mid-line
    variant("truncated", text[:cut], "accept" if family == "lines" else "error")
    variant("bom", b"\xef\xbb\xbf" + text, "accept")
    variant("crlf", text.replace(b"\n", b"\r\n"), "accept")
    variant("bom-crlf", b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"), "accept")
    if family == "conllu":
        variant("huge-line", text.replace(b"\tcat\tcat\t", b"\t" + b"c" * 200_000 + b"\tcat\t",
                                          1), "either")
        variant("wrong-columns", b"".join(
            b"\t".join(line.split(b"\t")[:8]) + b"\n" if line.count(b"\t") == 9 else line
            for line in text.splitlines()[:12]) + b"\n")
        variant("whitespace-line-in-sentence", "".join(
            line if i != 4 else " \n" for i, line in enumerate(lines)).encode())
    elif family == "tsv":
        variant("huge-line", text + b"a " * 100_000 + b"\tpos\n", "either")
        variant("wrong-columns", text + b"one\ttwo\tthree\n")
    elif family == "sst":
        variant("huge-line", b"(2 " + b"(2 w) " * 30_000 + b")\n" + text, "either")
        variant("deeply-nested", b"(2 " * 5000 + b"(2 deep)" + b")" * 5000 + b"\n" + text,
                "accept")
        variant("wrong-columns", b"(2 (2 unbalanced)\n" + text)
    else:  # plain lines
        variant("huge-line", text + (b"the " * 3_000).strip() + b"\n", "either")
    return out


# ---------------------------------------------------------------- the checks
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def check_conllu_tags(stdout: str, output: str, source: str) -> str:
    """Every token line of the source is in the output with its non-tag columns intact and
    a UPOS from the UD set."""
    got = _read(output) if output else stdout
    src = Path(source).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    tokens = [line.split("\t") for line in src.splitlines() if line and line[0].isdigit()]
    out = [line.split("\t") for line in got.splitlines() if line and line[0].isdigit()]
    if len(tokens) != len(out) or not tokens:
        return f"{len(out)} token lines for {len(tokens)}"
    for a, b in zip(tokens, out, strict=True):
        if a[:3] + a[5:] != b[:3] + b[5:] or b[3] not in UPOS:
            return f"token line changed: {a} -> {b}"
    return ""


def check_conllu_of_text(stdout: str, output: str, source: str) -> str:
    """One token line per word of the source, in order, each with a UPOS from the UD set."""
    got = _read(output) if output else stdout
    words = Path(source).read_text(encoding="utf-8").split()
    out = [line.split("\t") for line in got.splitlines() if line and line[0].isdigit()]
    if [row[1] for row in out] != words or any(row[3] not in UPOS for row in out):
        return f"{len(out)} token lines for {len(words)} words, or a tag outside UPOS"
    return ""


def check_lines(stdout: str, output: str, source: str, allow_blank: bool = False) -> str:
    """One output line per non-blank input line, none empty."""
    got = (_read(output) if output else stdout).splitlines()
    src = Path(source).read_bytes().decode("utf-8-sig").replace("\r\n", "\n").splitlines()
    expected = [s for s in src if s.strip()]
    if len(got) != len(expected) or not expected:
        return f"{len(got)} output lines for {len(expected)} input lines"
    if not allow_blank and any(not g.strip() for g in got):
        return "an empty output line"
    return ""


def check_number(stdout: str, output: str, source: str) -> str:
    """A finite score printed (and not for zero examples)."""
    import math
    import re

    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+|nan|inf", stdout)]
    if not numbers or not all(math.isfinite(x) for x in numbers):
        return f"no finite score in {stdout[:200]!r}"
    if re.search(r"\b0 (examples|sentences|tokens|words)\b", stdout):
        return "scored zero items"
    return ""


def check_files(stdout: str, output: str, source: str, paths: tuple = ()) -> str:
    missing = [p for p in paths if not Path(p).exists()]
    return f"missing {missing}" if missing else ""


def check_same_as(stdout: str, output: str, source: str, reference: str = "") -> str:
    """The output equals that of the pristine model (a harmless corruption)."""
    got = _read(output) if output else stdout
    return "" if got == Path(reference).read_text(encoding="utf-8") else "output differs"


def check_same_file(stdout: str, output: str, source: str, reference: str = "") -> str:
    """The file written equals the one the pristine model gives; for an ONNX export, but
    for its ``rnnlab.config`` record, which copies the folder's config.json as it is (a
    config field that does not change the computation — ``min_word_freq``, used only in
    training — changes that record and nothing else)."""
    if Path(output).read_bytes() == Path(reference).read_bytes():
        return ""
    if output.endswith(".onnx"):
        import onnx

        got, want = onnx.load(output), onnx.load(reference)
        for model in (got, want):
            kept = [p for p in model.metadata_props if p.key != "rnnlab.config"]
            del model.metadata_props[:]
            model.metadata_props.extend(kept)
        if got.SerializeToString(deterministic=True) == want.SerializeToString(
                deterministic=True):
            return ""
    return "the file written differs from the pristine model's"


CHECKS = {"conllu_tags": check_conllu_tags, "conllu_of_text": check_conllu_of_text,
          "lines": check_lines, "number": check_number,
          "files": check_files, "same_as": check_same_as, "same_file": check_same_file}


# ============================================================ running (workers)
def run_in_child(case: Case, timeout: float) -> tuple[int | None, str, str]:
    """Fork; run ``rnnlab.cli.main(case.argv)`` in the child; (exit, stdout, stderr).

    Standard output and error come back through pipes (files would fall under the case's
    own file-size limit)."""
    from rnnlab.cli import main

    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(out_read)
            os.close(err_read)
            os.dup2(os.open(case.stdin or os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(case.stdout, os.O_WRONLY) if case.stdout else out_write, 1)
            os.dup2(err_write, 2)
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
            if case.fsize:
                resource.setrlimit(resource.RLIMIT_FSIZE, (case.fsize, case.fsize))
            if case.unprivileged:
                drop_permission_override()
            code = main(case.argv)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 — as the interpreter would print it
            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: BLE001 — a closed or full stdout
                pass
            os._exit(code if isinstance(code, int) else 1)
    os.close(out_write)
    os.close(err_write)
    chunks: dict[int, list[bytes]] = {out_read: [], err_read: []}
    open_ends = [out_read, err_read]
    deadline = time.monotonic() + timeout
    timed_out = False
    while open_ends:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            timed_out = True
            break
        ready, _, _ = select.select(open_ends, [], [], 0.1)
        for end in ready:
            data = os.read(end, 1 << 16)
            if data:
                chunks[end].append(data)
            else:
                open_ends.remove(end)
    for end in (out_read, err_read):
        os.close(end)
    _, status = os.waitpid(pid, 0)
    stdout, stderr = (b"".join(chunks[end]).decode("utf-8", "replace")
                      for end in (out_read, err_read))
    if timed_out:
        return None, stdout, stderr + "\n(campaign: timed out)"
    return os.waitstatus_to_exitcode(status), stdout, stderr


def drop_permission_override() -> None:
    """Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this process and what it runs (as
    root: file modes then apply to it as to any user; other users lack both anyway)."""
    if os.geteuid() != 0:
        return
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):  # out of the bounding set: an exec
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; as root would get them back
    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    mask = ~((1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
    data[0].effective &= mask
    data[0].permitted &= mask
    data[0].inheritable &= mask
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def fingerprint(paths: list[str]) -> dict[str, str | None]:
    prints = {}
    for name in paths:
        path = Path(name)
        if path.is_file():
            prints[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            prints[name] = "dir:" + ",".join(
                f"{p.relative_to(path)}:{hashlib.sha256(p.read_bytes()).hexdigest()}"
                for p in sorted(path.rglob("*")) if p.is_file())
        else:
            prints[name] = None
    return prints


def classify(case: Case, code: int | None, stdout: str, stderr: str,
             before: dict, after: dict) -> tuple[str, str]:
    changed = [name for name in before if before[name] != after.get(name)]
    if changed:
        return "data loss", f"changed: {changed}"
    if "Traceback (most recent call last)" in stderr:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return "traceback", lines[-1] if lines else ""
    if code is None:
        return "unclear", "timed out"
    if code < 0:
        return "unclear", f"killed by signal {-code}"
    if code == 0:
        if case.expect == "error":
            return "wrong output", f"exit 0: {stdout[:160]!r}"
        problem = CHECKS[case.check](stdout, case.check_args.get("output", ""),
                                     case.check_args.get("source", ""),
                                     **{k: v for k, v in case.check_args.items()
                                        if k not in ("output", "source")}) \
            if case.check else ""
        return ("wrong output", problem) if problem else ("accepted correctly", "")
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("rnnlab: error:")]
    if "usage:" in stderr:
        # argparse refusing a flag's value at parse time (an --output that is a folder, an
        # --out that is a file) names the file in its one error line: a clear error;
        # anything else means the campaign's arguments no longer fit the CLI
        last = lines[-1] if lines else ""
        if code == 2 and case.names and ": error: argument " in last and any(
                name in last for name in case.names) and case.expect != "accept":
            return "clear error", last
        return "unclear", "usage error (campaign arguments): " + last
    if len(errors) != 1 or not lines or not lines[-1].startswith("rnnlab: error:"):
        return "unclear", (lines[-1] if lines else f"exit {code}, no message")
    line = errors[0]
    if case.names and not any(name in line for name in case.names):
        return "unclear", f"does not name {case.names[0]}: {line}"
    if case.expect == "accept":
        return "unclear", f"refused a valid input: {line}"  # ("either": a clear error is fine)
    return "clear error", line


def worker(cases_file: Path, results_file: Path) -> None:
    """Run the cases of ``cases_file`` one forked child each; write their results."""
    import tqdm

    tqdm.tqdm.monitor_interval = 0
    import rnnlab.cli  # noqa: F401 — imported once, before forking
    from rnnlab.cli import build_parser

    build_parser()  # imports every command module
    for module in ("onnx", "sacrebleu", "matplotlib.pyplot", "safetensors.numpy"):
        with contextlib.suppress(ImportError):
            __import__(module)
    cases = [Case(**c) for c in json.loads(cases_file.read_text())]
    results = []
    for case in cases:
        before = fingerprint(case.inputs)
        code, stdout, stderr = run_in_child(case, CASE_TIMEOUT)
        outcome, detail = classify(case, code, stdout, stderr, before,
                                   fingerprint(case.inputs))
        results.append({"ident": case.ident, "outcome": outcome, "exit": code,
                        "stderr": stderr[-1500:], "detail": detail})
    results_file.write_text(json.dumps(results))


def run_workers(cases: list[Case], work: Path, jobs: int) -> list[Result]:
    """Split the cases over ``jobs`` worker processes (interleaved, so each gets a share
    of every category)."""
    by_id = {}
    for i, case in enumerate(cases):
        case.ident = str(i)
        by_id[case.ident] = case
    procs = []
    for j in range(jobs):
        share = cases[j::jobs]
        if not share:
            continue
        cases_file, results_file = work / f"cases-{j}.json", work / f"results-{j}.json"
        cases_file.write_text(json.dumps([dataclasses.asdict(c) for c in share]))
        procs.append((subprocess.Popen([sys.executable, __file__, "--worker", str(cases_file),
                                        str(results_file)], env=child_env()), results_file))
    results = []
    for proc, results_file in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a campaign worker failed (exit {proc.returncode})")
        for r in json.loads(results_file.read_text()):
            results.append(Result(by_id[r["ident"]], r["outcome"], r["exit"], r["stderr"],
                                  r["detail"]))
    return results


# ================================================== category: bad input files
def bad_file_cases(files: dict[str, Path], runs: Path, work: Path) -> list[Case]:
    bad = work / "bad"
    outputs = work / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    os.chmod(outputs, 0o777)  # only the "no permission" input is unreadable
    f = {k: str(v) for k, v in files.items()}
    r = {k: str(runs / k) for k in ("tagger", "classifier", "classifier-sst", "lm",
                                    "generator", "captioner", "seq2seq")}
    # (command label, family, good file, argv with {} for the file, check, check args)
    readers = [
        ("tag --input (conllu)", "conllu", "tagged.conllu",
         ["tag", "--model", r["tagger"], "--input", "{}", "--output", "{out}"],
         "conllu_tags", {}),
        ("tag --input (text)", "lines", "text.txt",
         ["tag", "--model", r["tagger"], "--format", "text", "--input", "{}", "--output",
          "{out}"], "", {}),
        ("tag stdin (conllu)", "conllu", "tagged.conllu",
         ["tag", "--model", r["tagger"], "--format", "conllu"], "conllu_tags",
         {"stdin": True}),
        ("classify --input", "lines", "text.txt",
         ["classify", "--model", r["classifier"], "--input", "{}"], "lines", {}),
        ("translate --input", "lines", "src.txt",
         ["translate", "--model", r["seq2seq"], "--input", "{}", "--output", "{out}"],
         "lines", {}),
        ("translate stdin", "lines", "src.txt",
         ["translate", "--model", r["seq2seq"]], "lines", {"stdin": True}),
        ("generate --vector", "npy", "vector.npy",
         ["generate", "--model", r["captioner"], "--vector", "{}", "--length", "5",
          "--seed", "1"], "", {}),
        ("eval tagger --data", "conllu", "tagged.conllu",
         ["eval", "tagger", "--model", r["tagger"], "--data", "{}"], "number", {}),
        ("eval classifier --data (tsv)", "tsv", "labelled.tsv",
         ["eval", "classifier", "--model", r["classifier"], "--data", "{}"], "number", {}),
        ("eval classifier --data (sst)", "sst", "trees.txt",
         ["eval", "classifier", "--model", r["classifier-sst"], "--data", "{}", "--format",
          "sst"], "number", {}),
        ("eval lm --data", "lines", "lm.txt",
         ["eval", "lm", "--model", r["lm"], "--data", "{}"], "number", {}),
        ("eval seq2seq --src", "lines", "src.txt",
         ["eval", "seq2seq", "--model", r["seq2seq"], "--src", "{}", "--ref", f["tgt.txt"]],
         "number", {"aligned": True}),
        ("eval seq2seq --ref", "lines", "tgt.txt",
         ["eval", "seq2seq", "--model", r["seq2seq"], "--src", f["src.txt"], "--ref", "{}"],
         "number", {"aligned": True}),
        ("train tagger --train", "conllu", "tagged.conllu",
         ["train", "tagger", "--train", "{}", "--dev", f["tagged.conllu"], "--out", "{run}",
          "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS], "files", {}),
        ("train tagger --dev", "conllu", "tagged.conllu",
         ["train", "tagger", "--train", f["tagged.conllu"], "--dev", "{}", "--out", "{run}",
          "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS], "files", {}),
        ("train classifier --train (tsv)", "tsv", "labelled.tsv",
         ["train", "classifier", "--train", "{}", "--dev", f["labelled.tsv"], "--out", "{run}",
          "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS], "files", {}),
        ("train classifier --dev (sst)", "sst", "trees.txt",
         ["train", "classifier", "--train", f["trees.txt"], "--dev", "{}", "--format", "sst",
          "--out", "{run}", "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS],
         "files", {}),
        ("train lm --train", "lines", "lm.txt",
         ["train", "lm", "--train", "{}", "--level", "word", "--out", "{run}",
          "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS], "files", {}),
        ("train generator --train (folder)", "folder", "names",
         ["train", "generator", "--train", "{}", "--out", "{run}", "--hidden-size", "8",
          "--embed-dim", "8", *TRAIN_FLAGS], "files", {}),
        ("train generator --train (captions)", "lines", "captions.txt",
         ["train", "generator", "--train", f["features.npy"], "{}", "--level", "word",
          "--out", "{run}", "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS],
         "files", {"aligned": True}),
        ("train seq2seq --src-train", "lines", "src.txt",
         ["train", "seq2seq", "--src-train", "{}", "--tgt-train", f["tgt.txt"],
          "--src-dev", f["src.txt"], "--tgt-dev", f["tgt.txt"],
          "--out", "{run}", "--hidden-size", "8", "--embed-dim", "8", *TRAIN_FLAGS],
         "files", {"aligned": True}),
    ]
    cases = []
    for n, (label, family, good, argv, check, extra) in enumerate(readers):
        for kind, path, expect in bad_files(files[good], family, bad / f"{n}"):
            aligned = extra.get("aligned") and kind in ("truncated", "huge-line")  # counts
            out = outputs / f"{n}-{kind}.out"
            run = outputs / f"{n}-{kind}.run"
            args = [a.replace("{}", str(path)).replace("{out}", str(out))
                    .replace("{run}", str(run)) for a in argv]
            case = Case("bad files", label, kind, args,
                        expect="error" if aligned else expect,
                        names=[str(path), path.name], inputs=[str(path)] if path.exists()
                        else [], unprivileged=kind == "no-permission")
            if extra.get("stdin"):
                if kind in ("missing", "directory", "no-permission"):
                    continue  # the shell opens stdin, not rnnlab
                case.stdin, case.names = str(path), []
            if case.expect in ("accept", "either"):
                case.check = check
                source = str(path)
                if check == "files":
                    case.check_args = {"paths": [str(run / "model")]}
                else:
                    case.check_args = {"output": str(out) if "{out}" in argv else "",
                                       "source": source}
            cases.append(case)
    return cases


# ================================================ category: model folders
def model_folder_cases(files: dict[str, Path], runs: Path, work: Path) -> list[Case]:
    """Corrupt copies of each trained model folder, read by each command of its kind; an
    exit 0 must give exactly the pristine model's output."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    models = work / "models"
    refs = work / "references"
    refs.mkdir(parents=True, exist_ok=True)
    f = {k: str(v) for k, v in files.items()}
    readers = {
        "tagger": [("tag", ["tag", "--model", "{}", "--input", f["tagged.conllu"]]),
                   ("tag --format text", ["tag", "--model", "{}", "--format", "text",
                                          "--input", f["text.txt"]]),
                   ("export", ["export", "{}", "--out", "{onnx}"])],
        "classifier": [("classify", ["classify", "--model", "{}", "--input", f["text.txt"]])],
        "lm": [("generate", ["generate", "--model", "{}", "--length", "8", "--seed", "3"]),
               ("eval lm", ["eval", "lm", "--model", "{}", "--data", f["lm.txt"]])],
        "generator": [("generate --condition", ["generate", "--model", "{}", "--condition",
                                                "Dutch", "--length", "6", "--seed", "3"])],
        "seq2seq": [("translate", ["translate", "--model", "{}", "--input", f["src.txt"]])],
    }
    well_formed = {"tag": ("conllu_tags", {"source": f["tagged.conllu"]}),
                   "tag --format text": ("conllu_of_text", {"source": f["text.txt"]}),
                   "export": ("files", {})}
    cases = []
    for kind, commands in readers.items():
        pristine = runs / kind / "model"
        variants = corruptions(pristine, models / kind, np, load_file, save_file)
        for label, argv in commands:
            reference = refs / f"{kind}-{label.replace(' ', '_')}.txt"
            for name, folder in variants:
                args = [a.replace("{}", str(folder)).replace(
                    "{onnx}", str(work / "outputs" / f"{kind}-{folder.name}.onnx"))
                    for a in argv]
                check_args = {"reference": str(reference)}
                if label == "export":
                    check_args = {"output": args[args.index("--out") + 1],
                                  "reference": str(work / "outputs" / f"{kind}-ref.onnx")}
                check = "same_file" if label == "export" else "same_as"
                if name in VALID_EDITS.get(kind, ()):  # another valid model: well formed
                    check, check_args = well_formed[label]
                    if check == "files":
                        check_args = {"paths": [args[-1]]}
                cases.append(Case(
                    "model folders", f"{label} ({kind})", name, args,
                    expect="accept" if name == "pristine" or name in VALID_EDITS.get(kind, ())
                    else "either",
                    check=check, check_args=check_args, names=[str(folder), folder.name],
                    inputs=[str(folder)]))
            cases.append(Case("setup", f"reference {label} ({kind})", "pristine",
                              [a.replace("{}", str(pristine)).replace(
                                  "{onnx}", str(work / "outputs" / f"{kind}-ref.onnx"))
                               for a in argv],
                              expect="accept", check_args={"save_stdout": str(reference)}))
    return cases


# Edits that leave a valid model, only another one: the output must be well formed, not the
# pristine model's. A CoNLL-U word form may hold a space (UD v2 allows it, and treebanks
# such as Vietnamese have them), so a tagger's words.json entry "BAD TAG" is a word.
VALID_EDITS = {"tagger": {"words.json entry space"}}


def corruptions(pristine: Path, out: Path, np, load_file, save_file) -> list[tuple[str, Path]]:
    """(name, folder) of the corrupted copies of a model folder."""
    out.mkdir(parents=True, exist_ok=True)
    made = []

    def copy(name: str) -> Path:
        folder = out / "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(pristine, folder)
        made.append((name, folder))
        return folder

    copy("pristine")
    names = sorted(p.name for p in pristine.iterdir() if p.is_file())
    for name in names:
        (copy(f"missing {name}") / name).unlink()
        path = copy(f"truncated {name}") / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        if name.endswith(".json"):
            for label, text in (("[]", "[]"), ("null", "null"), ("garbage", "{{{ not json"),
                                ("empty object", "{}")):
                (copy(f"{name} = {label}") / name).write_text(text)
    config = json.loads((pristine / "config.json").read_text())
    fields = config.get("config", config)
    for key, value in sorted(fields.items()):
        if isinstance(value, bool):
            trials = [("string", "yes")]
        elif isinstance(value, int):
            trials = [("null", None), ("string", "8"), ("huge", 10_000_000), ("negative", -1)]
        elif isinstance(value, float):
            trials = [("string", "x"), ("null", None)]
        elif isinstance(value, str):
            trials = [("number", 5), ("null", None)]
        else:
            continue
        for label, bad in trials:
            folder = copy(f"config {key} {label}")
            changed = json.loads((folder / "config.json").read_text())
            (changed.get("config", changed))[key] = bad
            (folder / "config.json").write_text(json.dumps(changed))
    weights = load_file(str(pristine / "weights.safetensors"))
    first = sorted(weights)[0]
    edits = {
        "weights NaN": lambda w: {**w, first: np.where(np.arange(w[first].size).reshape(
            w[first].shape) == 0, np.nan, w[first]).astype(w[first].dtype)},
        "weights +inf": lambda w: {**w, first: np.full_like(w[first], np.inf)},
        "weights int32": lambda w: {k: v.astype(np.int32) for k, v in w.items()},
        "weights bool": lambda w: {k: v != 0 for k, v in w.items()},
        "weights tensor missing": lambda w: {k: v for k, v in w.items() if k != first},
        "weights extra tensor": lambda w: {**w, "surplus.weight": np.zeros(3, np.float32)},
        "weights wrong shape": lambda w: {**w, first: np.zeros(w[first].shape + (1,),
                                                                w[first].dtype)},
    }
    for label, edit in edits.items():
        folder = copy(label)
        save_file(edit(weights), str(folder / "weights.safetensors"))
    for name in names:
        if not name.endswith(".json") or name == "config.json":
            continue
        data = json.loads((pristine / name).read_text())
        tokens = data.get("tokens") if isinstance(data, dict) else data
        if not isinstance(tokens, list) or len(tokens) < 3:
            continue
        for label, entry in (("newline", "A\nB"), ("space", "BAD TAG"), ("empty", ""),
                             ("duplicate", tokens[-1])):
            folder = copy(f"{name} entry {label}")
            changed = json.loads((folder / name).read_text())
            listed = changed["tokens"] if isinstance(changed, dict) else changed
            listed[-1 if label != "duplicate" else -2] = entry
            (folder / name).write_text(json.dumps(changed))
        if isinstance(data, dict) and data.get("unk"):
            folder = copy(f"{name} without its unknown entry")
            changed = json.loads((folder / name).read_text())
            unk = changed.pop("unk")
            changed["tokens"] = [t for t in changed["tokens"] if t != unk]
            (folder / name).write_text(json.dumps(changed))
    return made


# ============================================================ category: API
API_PROBE = textwrap.dedent("""
    import json, math, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    import numpy as np
    from rnnlab import GRU, LSTM, RNN
    from rnnlab.recurrent import compute_path
    results = []
    x = np.random.default_rng(0).standard_normal((5, 2, 4)).astype(np.float32)

    def probe(name, make, expect, check=None):
        try:
            value = make()
            if expect == "error":
                results.append((name, "wrong output", f"accepted: {type(value).__name__}"))
            else:
                problem = check(value) if check else ""
                results.append((name, "wrong output" if problem else "accepted correctly",
                                problem))
        except (ValueError, TypeError) as error:
            message = str(error)
            one_line = (message and "\\n" not in message.strip() and "allow_pickle" not in message
                        and not ("uint64" in name and "-1" in message))
            results.append((name, "clear error" if expect in ("error", "either") and one_line
                            else "unclear", f"{type(error).__name__}: {message[:160]}"))
        except BaseException as error:
            results.append((name, "traceback", f"{type(error).__name__}: {str(error)[:160]}"))

    def finite_output(layer_and_input):
        layer, inputs = layer_and_input
        return finite_result(layer(inputs))

    def finite_result(result):
        out, _ = result
        data = np.asarray(out.data)
        if not np.isfinite(data).all():
            return "non-finite output"
        if not np.any(data):
            return "all zeros"
        return ""

    for cls in (RNN, LSTM, GRU):
        n = cls.__name__
        for args in [(0, 8), (4, 0), (-1, 8), (4, -3), (4.5, 8), (4, float("inf")),
                     (4, float("nan")), ("4", 8), (4, 10**7), (2**24 + 1, 4), (True, 8)]:
            probe(f"{n}{args}", lambda: cls(*args), "error")
        # sizes up to rnnlab's limit (2**24) are built when the weights fit in memory (a
        # 10 M-word one-hot input with 4 units: 40 M weights), else refused saying so
        probe(f"{n}{(10**7, 4)}", lambda: cls(10**7, 4), "either")
        for layers in (0, -1, 2.0):
            probe(f"{n}(4, 8, num_layers={layers})", lambda: cls(4, 8, num_layers=layers),
                  "error")
        for dtype in ("int32", "bool", "complex64", "object"):
            probe(f"{n}(4, 8, dtype={dtype})", lambda: cls(4, 8, dtype=getattr(np, dtype)
                  if dtype != "object" else object), "error")
        # float16: refused with a message, or computed (finite) — issue 17 allows either
        probe(f"{n}(4, 8, dtype=float16) forward",
              lambda: (cls(4, 8, dtype=np.float16), x.astype(np.float16)), "either",
              finite_output)
        probe(f"{n}(4, 8) on float64 input", lambda: (cls(4, 8), x.astype(np.float64)),
              "accept", finite_output)
        layer = cls(4, 8)
        probe(f"{n} lengths uint64 (valid values)",
              lambda: layer(x, lengths=np.array([5, 3], np.uint64)), "accept", finite_result)
        for label, lengths in [("uint64 too long", np.array([7, 3], np.uint64)),
                               ("negative", np.array([5, -1])), ("too long", np.array([6, 3])),
                               ("float", np.array([5.0, 2.5])), ("wrong count", np.array([5])),
                               ("zero", np.array([5, 0])), ("2-D", np.array([[5, 3]]))]:
            probe(f"{n} lengths {label}", lambda: layer(x, lengths=lengths), "error")
        probe(f"{n} input 2-D", lambda: layer(x[0]), "error")
        probe(f"{n} input wrong width", lambda: layer(x[..., :3]), "error")
    print(json.dumps({"path": compute_path.current(), "results": results}))
""")


def api_results(numba: bool) -> list[Result]:
    done = subprocess.run([sys.executable, "-c", API_PROBE], env=child_env(numba=numba),
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        case = Case("API", "API probe", "all", [])
        return [Result(case, "traceback", done.returncode, done.stderr[-1500:],
                       done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "")]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    category = f"API ({found['path']} path)"
    return [Result(Case(category, name.split("(")[0].split(" ")[0], name, []), outcome, None,
                   "", detail) for name, outcome, detail in found["results"]]


# =================================================== category: interruptions
def rnnlab_run(argv: list[str], *, fsize: int = 0, unprivileged: bool = False,
               timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    def limits() -> None:
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if unprivileged:
            drop_permission_override()

    return subprocess.run([*CLI, *argv], env=child_env(), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limits)


def same_weights(a: Path, b: Path) -> str:
    from safetensors.numpy import load_file

    for name in ("model/weights.safetensors", "checkpoint/model.safetensors",
                 "checkpoint/optimizer.safetensors"):
        x, y = load_file(str(a / name)), load_file(str(b / name))
        if x.keys() != y.keys() or any(x[k].tobytes() != y[k].tobytes() for k in x):
            return f"{name} differs from the uninterrupted run"
    ra = [json.loads(line) for line in (a / "metrics.jsonl").read_text().splitlines()]
    rb = [json.loads(line) for line in (b / "metrics.jsonl").read_text().splitlines()]
    if [{k: v for k, v in row.items() if k != "seconds"} for row in ra] != \
            [{k: v for k, v in row.items() if k != "seconds"} for row in rb]:
        return "metrics.jsonl differs from the uninterrupted run"
    return ""


def default_sigint() -> None:
    """SIGINT back to its default in the child (so Python installs its own handler): a
    campaign started in the background by a non-interactive shell ignores SIGINT, and its
    children would inherit that and never see the Ctrl-C they are sent."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted_training(run: Path, argv: list[str], plan: str, straight: Path) -> Result:
    """Start a run, interrupt it as ``plan`` says, resume it (as a user would, after a
    refusal that says how), compare with the uninterrupted run."""
    kind, _, when = plan.partition("@")
    command = [*CLI, *argv]
    proc = subprocess.Popen(command, env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    state = run / "checkpoint" / "state.json"
    deadline = time.monotonic() + TIMEOUT
    target = int(when) if when.isdigit() else 0
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            step = json.loads(state.read_text())["loop"]["global_step"]
        except (OSError, ValueError, KeyError):
            step = 0
        if step >= target:
            break
        time.sleep(0.002)
    if proc.poll() is None:
        signals = {"kill": [signal.SIGKILL], "sigint": [signal.SIGINT],
                   "sigint2": [signal.SIGINT, signal.SIGINT],
                   "sigterm": [signal.SIGTERM], "sigterm2": [signal.SIGTERM, signal.SIGTERM]}
        for i, sig in enumerate(signals[kind]):
            if i:
                time.sleep(0.01)  # the second one while the first is being handled
            if proc.poll() is None:
                proc.send_signal(sig)
    try:
        _, first_err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, first_err = proc.communicate()
    case = Case("interruptions", "train classifier", plan, argv)
    stderr = first_err
    resume = ["--resume"]
    for _ in range(2):  # --resume; after a refusal, what its message says
        done = rnnlab_run([*argv, *resume])
        stderr += done.stderr
        if "Traceback (most recent call last)" in stderr:
            return Result(case, "traceback", done.returncode, stderr[-1500:])
        if done.returncode == 0:
            problem = same_weights(straight, run)
            return Result(case, "wrong output" if problem else "accepted correctly", 0,
                          stderr[-1500:], problem or f"resumed with {resume or 'a new run'}")
        if "holds no run to resume" in done.stderr:  # stopped before run.json: start anew
            resume = []
        elif "--overwrite" in done.stderr and "damaged" not in done.stderr:
            resume = ["--overwrite"]
        else:
            break
    return Result(case, "unclear", done.returncode, stderr[-1500:],
                  "could not resume: " + done.stderr.strip()[-300:])


def output_failure_cases(files: dict[str, Path], runs: Path, work: Path) -> list[Case]:
    """Full disks, size limits and unwritable places for every command that writes."""
    out = work / "writes"
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o777)
    big = out / "big.conllu"
    sentences = [random.Random(i).sample(WORDS, 7) for i in range(6000)]
    big.write_text(conllu_text(sentences), encoding="utf-8")
    src_copy = out / "src-copy.txt"
    shutil.copy(files["src.txt"], src_copy)
    readonly = out / "readonly"
    readonly.mkdir(exist_ok=True)
    os.chmod(readonly, 0o555)
    a_file = out / "a-file"
    a_file.write_text("not a folder\n")
    tagger, seq2seq = str(runs / "tagger"), str(runs / "seq2seq")
    limit = big.stat().st_size // 3
    cases = [
        Case("output failures", "tag --input F --output F", "file-size limit",
             ["tag", "--model", tagger, "--input", str(big), "--output", str(big)],
             fsize=limit, names=[str(big), big.name], inputs=[str(big)]),
        Case("output failures", "tag --output", "/dev/full",
             ["tag", "--model", tagger, "--input", str(files["tagged.conllu"]), "--output",
              "/dev/full"], names=["/dev/full"]),
        Case("output failures", "tag --output", "a folder",
             ["tag", "--model", tagger, "--input", str(files["tagged.conllu"]), "--output",
              str(out)], names=[str(out)]),
        Case("output failures", "tag --output", "read-only folder",
             ["tag", "--model", tagger, "--input", str(files["tagged.conllu"]), "--output",
              str(readonly / "x.conllu")], names=[str(readonly)], unprivileged=True),
        Case("output failures", "translate --input F --output F", "file-size limit",
             ["translate", "--model", seq2seq, "--input", str(src_copy), "--output",
              str(src_copy)], fsize=64, names=[str(src_copy), src_copy.name],
             inputs=[str(src_copy)]),
        Case("output failures", "translate --output", "/dev/full",
             ["translate", "--model", seq2seq, "--input", str(files["src.txt"]), "--output",
              "/dev/full"], names=["/dev/full"]),
        Case("output failures", "eval seq2seq --output", "/dev/full",
             ["eval", "seq2seq", "--model", seq2seq, "--src", str(files["src.txt"]), "--ref",
              str(files["tgt.txt"]), "--output", "/dev/full"], names=["/dev/full"]),
        Case("output failures", "export --out", "a folder",
             ["export", tagger, "--out", str(out)], names=[str(out)]),
        Case("output failures", "export --out", "/dev/full",
             ["export", tagger, "--out", "/dev/full"], names=["/dev/full"]),
        Case("output failures", "export --out", "file-size limit",
             ["export", tagger, "--out", str(out / "t.onnx")], fsize=200,
             names=[str(out / "t.onnx"), "t.onnx"]),
        Case("output failures", "train --out", "an existing file",
             ["train", "tagger", "--train", str(files["tagged.conllu"]), "--dev",
              str(files["tagged.conllu"]), "--out", str(a_file),
              *TRAIN_FLAGS], names=[str(a_file)], inputs=[str(a_file)]),
        Case("output failures", "train --out", "file-size limit",
             ["train", "tagger", "--train", str(files["tagged.conllu"]), "--dev",
              str(files["tagged.conllu"]), "--out",
              str(out / "limited"), *TRAIN_FLAGS], fsize=300, names=[str(out / "limited")]),
        Case("output failures", "train --out", "read-only folder",
             ["train", "tagger", "--train", str(files["tagged.conllu"]), "--dev",
              str(files["tagged.conllu"]), "--out",
              str(readonly / "run"), *TRAIN_FLAGS], names=[str(readonly)], unprivileged=True),
        Case("output failures", "generate (stdout)", "/dev/full",
             ["generate", "--model", str(runs / "lm"), "--length", "50", "--seed", "1"],
             stdout="/dev/full"),
        Case("output failures", "tag (stdout)", "/dev/full",
             ["tag", "--model", tagger, "--input", str(files["tagged.conllu"])],
             stdout="/dev/full"),
    ]
    return cases


def interruption_results(files: dict[str, Path], work: Path, jobs: int) -> list[Result]:
    runs = work / "interrupted"
    runs.mkdir(parents=True, exist_ok=True)
    base = ["train", "classifier", "--train", str(files["labelled.tsv"]), "--dev",
            str(files["labelled.tsv"]), "--hidden-size", "8", "--embed-dim", "8",
            "--epochs", "20", "--checkpoint-every", "2", "--no-progress", "--seed", "5",
            "--batch-size", "4"]
    straight = runs / "straight"
    done = rnnlab_run([*base, "--out", str(straight)])
    if done.returncode != 0:
        case = Case("interruptions", "train classifier", "uninterrupted", base)
        return [Result(case, "unclear", done.returncode, done.stderr[-1500:],
                       "the uninterrupted run failed")]
    plans = [f"{kind}@{step}" for kind in ("kill", "sigint", "sigint2", "sigterm", "sigterm2")
             for step in (0, 3, 41)]

    def one(plan: str) -> Result:
        run = runs / plan.replace("@", "-")
        return interrupted_training(run, [*base, "--out", str(run)], plan, straight)

    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(one, plans))
    limited = runs / "fsize"
    done = rnnlab_run([*base, "--out", str(limited)], fsize=2000)
    case = Case("interruptions", "train classifier", "file-size limit", base,
                names=[str(limited)])
    outcome, detail = classify(case, done.returncode, done.stdout, done.stderr, {}, {})
    results.append(Result(case, outcome, done.returncode, done.stderr[-1500:], detail))
    again = rnnlab_run(["train", "classifier", "--out", str(limited), "--resume",
                        "--no-progress"])
    if again.returncode != 0 and "--overwrite" in again.stderr:
        again = rnnlab_run([*base, "--out", str(limited), "--overwrite"])
    case = Case("interruptions", "train classifier", "--resume after a file-size limit", base)
    if "Traceback (most recent call last)" in again.stderr:
        results.append(Result(case, "traceback", again.returncode, again.stderr[-1500:]))
    else:
        problem = same_weights(straight, limited) if again.returncode == 0 else \
            again.stderr.strip()[-300:]
        results.append(Result(case, "wrong output" if problem else "accepted correctly",
                              again.returncode, again.stderr[-1500:], problem))
    return results


# ================================================================== the table
def table(results: list[Result]) -> str:
    categories: dict[str, Counter] = {}
    for result in results:
        categories.setdefault(result.case.category, Counter())[result.outcome] += 1
    total = Counter()
    for counts in categories.values():
        total.update(counts)
    head = "| category | tried | " + " | ".join(OUTCOMES) + " |"
    rule = "|---|" + "---:|" * (len(OUTCOMES) + 1)
    rows = [f"| {name} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in OUTCOMES)
            + " |" for name, c in categories.items()]
    rows.append(f"| **total** | **{sum(total.values())}** | "
                + " | ".join(f"**{total[o]}**" for o in OUTCOMES) + " |")
    return "\n".join([head, rule, *rows])


def details(results: list[Result]) -> str:
    lines = []
    for outcome in ("data loss", "traceback", "wrong output", "unclear"):
        chosen = [r for r in results if r.outcome == outcome]
        if not chosen:
            continue
        lines.append(f"\n### {outcome} ({len(chosen)})\n")
        for r in chosen:
            lines.append(f"- {r.case.category}: `{r.case.label()}` — {r.detail[:240]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="write the table (Markdown) here")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary)")
    parser.add_argument("--only", nargs="+", choices=("bad-files", "model-folders", "api",
                                                       "interruptions"),
                        default=("bad-files", "model-folders", "api", "interruptions"))
    parser.add_argument("--jobs", type=int, default=2, help="processes at once")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    started = time.time()
    work = args.work or Path(tempfile.mkdtemp(prefix="rnnlab-campaign-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    files = make_data(work / "data")
    for path in (work / "data").rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    runs = work / "runs"
    print(f"campaign in {work}: training the tiny models", flush=True)
    setup = []
    for kind, argv in train_commands(files, runs).items():
        done = rnnlab_run(argv)
        ok = done.returncode == 0 and (runs / kind / "model").is_dir()
        setup.append(Result(Case("setup", f"train {kind}", "control", argv),
                            "accepted correctly" if ok else "unclear", done.returncode,
                            done.stderr[-1500:], "" if ok else done.stderr.strip()[-300:]))
        if not ok:
            print(f"control failed: train {kind}: {done.stderr.strip()[-500:]}",
                  file=sys.stderr)
    for path in runs.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    results = list(setup)
    forked: list[Case] = []
    if "model-folders" in args.only:
        mf = model_folder_cases(files, runs, work)
        references = [c for c in mf if c.category == "setup"]
        for case in references:  # the pristine outputs the corrupted folders are held to
            done = rnnlab_run(case.argv)
            Path(case.check_args["save_stdout"]).write_text(done.stdout, encoding="utf-8")
            results.append(Result(case, "accepted correctly" if done.returncode == 0
                                  else "unclear", done.returncode, done.stderr[-1500:]))
        forked += [c for c in mf if c.category != "setup"]
    if "bad-files" in args.only:
        forked += bad_file_cases(files, runs, work)
        forked += output_failure_cases(files, runs, work)
    if forked:
        print(f"{len(forked)} forked cases on {args.jobs} workers", flush=True)
        results += run_workers(forked, work, args.jobs)
    if "api" in args.only:
        print("API probes", flush=True)
        for numba in (False, True):
            results += api_results(numba)
    if "interruptions" in args.only:
        print("interruptions", flush=True)
        results += interruption_results(files, work, args.jobs)
    text = table(results)
    print(text)
    print(details(results))
    print(f"\n{len(results)} attempts in {time.time() - started:.0f} s")
    if args.report:
        sys.path.insert(0, str(ROOT))  # this checkout's rnnlab, as in the children
        from rnnlab.io.atomic import atomic_write_text

        atomic_write_text(
            args.report,
            f"# Reliability campaign\n\n{time.strftime('%Y-%m-%d')}, "
            f"`python benchmarks/reliability/campaign.py`, {len(results)} attempts in "
            f"{time.time() - started:.0f} s\n\n{text}\n{details(results)}\n")
    if not args.keep and args.work is None:
        for path in work.rglob("*"):  # the no-permission files and read-only folders
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if threading.current_thread() is threading.main_thread():
        main()
