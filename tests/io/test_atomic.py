"""Atomic writes (:mod:`rnnlab.io.atomic`): the target holds the old bytes or the new ones
whatever fails — an error at any step, a kill at any step, a full disk, a file-size limit —
new files get the user's umask, replaced ones keep their mode, and writing onto the input
is safe."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnlab.io import atomic, save_arrays
from rnnlab.io.atomic import (
    atomic_output,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    leftover_of,
)
from rnnlab.io.folder_swap import replace_folder
from rnnlab.training import plots

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = b"old contents\n" * 50, b"new contents\n" * 80


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ permissions
def test_new_files_and_folders_get_the_umask(tmp_path, umask):
    atomic_write_text(tmp_path / "a.txt", "a")
    with atomic_output(tmp_path / "b.bin", "wb") as f:
        f.write(b"b")
    with atomic_path(tmp_path / "c.png") as tmp:
        tmp.write_bytes(b"c")
    save_arrays(tmp_path / "d.safetensors", {"x": np.zeros(2, np.float32)})
    replace_folder(tmp_path / "run", lambda folder: (folder / "e.json").write_text("{}"))
    for name in ("a.txt", "b.bin", "c.png", "d.safetensors", "run/e.json",
                 "run/manifest.json"):
        assert mode_of(tmp_path / name) == 0o666 & ~umask, name
    assert mode_of(tmp_path / "run") == 0o777 & ~umask


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "out.txt"
    path.write_bytes(OLD)
    os.chmod(path, 0o640)
    atomic_write_bytes(path, NEW)
    assert mode_of(path) == 0o640 and path.read_bytes() == NEW
    os.chmod(path, 0o444)  # read-only: replaced all the same (the folder is writable)
    with atomic_path(path) as tmp:
        tmp.write_bytes(OLD)
    assert mode_of(path) == 0o444 and path.read_bytes() == OLD


# --------------------------------------------------------- failures at every step
OPS = ("open", "fdopen", "write", "fsync", "chmod", "replace")


def _count_and_fail(monkeypatch, fail_at: dict[str, int]) -> dict[str, int]:
    """Patch the operations an atomic write performs; the k-th call of ``op`` (as in
    ``fail_at``) raises ENOSPC. Returns the call counts."""
    calls = dict.fromkeys(OPS, 0)

    def hit(op):
        calls[op] += 1
        if fail_at.get(op) == calls[op]:
            raise OSError(errno.ENOSPC, "No space left on device")

    def wrap(module, name, op):
        real = getattr(module, name)

        def patched(*args, **kwargs):
            hit(op)
            result = real(*args, **kwargs)
            if op == "fdopen":
                write = result.write

                def failing_write(data):
                    hit("write")
                    return write(data)

                result.write = failing_write
            return result

        monkeypatch.setattr(module, name, patched)

    # the folder's fsync after the rename is best effort (some file systems refuse it)
    monkeypatch.setattr(atomic, "fsync_dir", lambda directory: None)
    wrap(atomic.os, "open", "open")
    wrap(atomic.os, "fdopen", "fdopen")
    wrap(atomic.os, "fsync", "fsync")
    wrap(atomic.os, "chmod", "chmod")
    wrap(atomic.os, "replace", "replace")
    return calls


WRITERS = {
    "atomic_write_bytes": lambda path: atomic_write_bytes(path, NEW),
    "atomic_output_text": lambda path: _write_lines(path),
    "atomic_path": lambda path: _write_by_path(path),
    "save_arrays": lambda path: save_arrays(path, {"x": np.arange(300, dtype=np.float32)}),
}


def _write_lines(path):
    with atomic_output(path, "w") as f:
        for line in NEW.decode().splitlines(keepends=True):
            f.write(line)


def _write_by_path(path):
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(NEW)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_error_at_any_step_keeps_the_old_file(tmp_path, monkeypatch, writer):
    path = tmp_path / "target.out"
    path.write_bytes(OLD)
    os.chmod(path, 0o640)  # so that chmod is one of the steps
    with monkeypatch.context() as patch:
        counts = _count_and_fail(patch, {})
        WRITERS[writer](path)
    written = path.read_bytes()
    tried = 0
    for op, count in counts.items():
        for k in range(1, count + 1):
            path.write_bytes(OLD)
            with monkeypatch.context() as patch:
                _count_and_fail(patch, {op: k})
                with pytest.raises(OSError) as raised:
                    WRITERS[writer](path)
            tried += 1
            assert raised.value.errno == errno.ENOSPC, (op, k)
            assert raised.value.filename == str(path), (op, k)  # the message names the file
            assert path.read_bytes() == OLD, (op, k)
            assert only(tmp_path) == ["target.out"], (op, k)  # no temporary file left
    assert tried >= 4
    WRITERS[writer](path)
    assert path.read_bytes() == written


def test_a_writer_that_raises_leaves_no_trace(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(OLD)
    with pytest.raises(KeyboardInterrupt), atomic_output(path) as f:
        f.write("half")
        raise KeyboardInterrupt
    with pytest.raises(ValueError, match="boom"), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise ValueError("boom")
    assert path.read_bytes() == OLD and only(tmp_path) == ["config.json"]


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    from rnnlab.io import atomic
    path, op, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    calls = [0]
    real = getattr(os, op)
    def patched(*args, **kwargs):
        calls[0] += 1
        if calls[0] == k:
            os._exit(86)
        return real(*args, **kwargs)
    setattr(os, op, patched)
    with atomic.atomic_output(path, "wb") as f:
        for i in range(200):
            f.write(b"new line %d\\n" % i)
""")


@pytest.mark.parametrize("op", ["open", "fsync", "chmod", "replace"])
def test_a_kill_at_any_step_keeps_the_old_file(tmp_path, op):
    path = tmp_path / "target.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    new = b"".join(b"new line %d\n" % i for i in range(200))
    for k in (1, 2):
        path.write_bytes(OLD)
        os.chmod(path, 0o600)
        done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(path), op, str(k)],
                              env=env, capture_output=True, timeout=120)
        assert done.returncode in (0, 86), done.stderr  # 0: fewer than k calls
        assert path.read_bytes() in (OLD, new), (op, k)  # the old file or the whole new one
        debris = [name for name in only(tmp_path) if name != "target.txt"]
        assert all(leftover_of(name) == "target.txt" for name in debris), debris


def test_a_file_size_limit_keeps_the_original(tmp_path):
    """RLIMIT_FSIZE below the new file's size: the write fails with EFBIG naming the file,
    the 1.8 MB original stays whole (the issue's tag --output F case), no debris."""
    path = tmp_path / "big.conllu"
    original = b"".join(b"%d\tword\t_\tNOUN\t_\t_\t0\troot\t_\t_\n\n" % (i % 9 + 1)
                        for i in range(60000))
    path.write_bytes(original)
    assert len(original) > 1_500_000
    script = textwrap.dedent("""
        import errno, resource, sys
        from rnnlab.io.atomic import atomic_output
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))
        path = sys.argv[1]
        try:
            with open(path, "rb") as source, atomic_output(path, "wb", inputs=[path]) as out:
                for line in source:
                    out.write(line.replace(b"NOUN", b"PROPN"))
        except OSError as error:
            assert error.errno == errno.EFBIG and error.filename == path, error
            print("refused:", error)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-c", script, str(path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "refused: [Errno 27] File too large" in done.stdout, (
        done.stdout + done.stderr)
    assert path.read_bytes() == original and only(tmp_path) == ["big.conllu"]


# ------------------------------------------------------------ special targets
def test_writing_onto_the_input_is_safe(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("a\nb\nc\n")
    with open(path, encoding="utf-8") as source, atomic_output(path, inputs=[path]) as out:
        for line in source:
            out.write(line.upper())
    assert path.read_text() == "A\nB\nC\n"
    with pytest.raises(RuntimeError), open(path, encoding="utf-8") as source, \
            atomic_output(path, inputs=[path]) as out:
        out.write(source.readline())
        raise RuntimeError("stopped half-way")
    assert path.read_text() == "A\nB\nC\n"


def test_a_pipe_that_is_also_the_input_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="both an input and the output"), \
            atomic_output(fifo, inputs=[fifo]):
        pass


def test_devices_are_written_in_place(tmp_path):
    atomic_write_text(os.devnull, "discarded")
    with pytest.raises(OSError) as raised:
        atomic_write_text("/dev/full", "x" * 100_000)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == "/dev/full"


def test_a_folder_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(IsADirectoryError) as raised:
        atomic_write_bytes(tmp_path, NEW)
    assert raised.value.filename == str(tmp_path) and "is a folder" in str(raised.value)
    assert only(tmp_path) == []


def test_a_symbolic_link_is_followed(tmp_path):
    real = tmp_path / "real.txt"
    real.write_bytes(OLD)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_bytes(link, NEW)
    assert link.is_symlink() and real.read_bytes() == NEW


def test_text_options_and_missing_folders(tmp_path):
    path = tmp_path / "new" / "folder" / "crlf.txt"
    atomic_write_text(path, "é\n", newline="\r\n")
    assert path.read_bytes() == "é\r\n".encode()
    with pytest.raises(ValueError, match="mode 'w' or 'wb'"), atomic_output(path, "a"):
        pass


def test_leftover_names():
    assert leftover_of(".metrics.jsonl.0a1b2c3d.tmp.jsonl") == "metrics.jsonl"
    assert leftover_of(".run.json.0a1b2c3d.tmp.json") == "run.json"
    assert leftover_of("metrics.jsonl") is None and leftover_of(".x.tmp") is None


# --------------------------------------------------------------- figures
def test_a_failed_figure_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "learning_curves.png"
    history = [{"epoch": 1, "train_loss": 2.0}, {"epoch": 2, "train_loss": 1.0}]
    plots.plot_learning_curves(history, path)
    first = path.read_bytes()
    assert first.startswith(b"\x89PNG")  # the format follows the target's suffix

    def full_disk(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", full_disk)
    with pytest.raises(OSError, match="No space left"):
        plots.plot_learning_curves(history * 2, path)
    assert path.read_bytes() == first and only(tmp_path) == ["learning_curves.png"]


def test_json_and_arrays_are_written_atomically(tmp_path, monkeypatch):
    from rnnlab.io import save_json

    save_json(tmp_path / "a.json", {"v": 1})

    def no_rename(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", no_rename)
    with pytest.raises(OSError, match="Input/output error"):
        save_json(tmp_path / "a.json", {"v": 2})
    assert json.loads((tmp_path / "a.json").read_text()) == {"v": 1}
    assert only(tmp_path) == ["a.json"]
