"""The command line's one error boundary (issue 17 item 3): each expected failure is one
line ``rnnlab: error: …`` naming the file and exit status 1; Ctrl-C is 130; a closed pipe
ends quietly; an unexpected exception keeps its traceback. Outputs are written atomically,
so a failed write leaves the earlier file whole, and an output that is the input is refused.
"""

from __future__ import annotations

import errno
import io
import os
import resource
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rnnlab.cli import commands_info, main
from rnnlab.cli.commands_lm import load_vectors
from rnnlab.cli.errors import CommandError, describe
from rnnlab.cli.files import read_input
from rnnlab.data.errors import DataFormatError

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = ROOT / "tests" / "fixtures" / "tagger" / "sentences.txt"


def error_line(capsys) -> str:
    """The one line the command printed on standard error."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("rnnlab: error: "), err
    return err.removeprefix("rnnlab: error: ").rstrip("\n")


def run_rnnlab(argv: list[str], **kwargs) -> subprocess.Popen:
    """``rnnlab ARGV`` in a fresh interpreter (this checkout's rnnlab, NumPy kernels)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RNNLAB_DISABLE_NUMBA": "1"}
    code = f"import sys; from rnnlab.cli import main; sys.exit(main({argv!r}))"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, **kwargs)


@pytest.fixture
def text(tmp_path) -> Path:
    path = tmp_path / "text.txt"
    path.write_text("The cat sat on the mat .\nDogs bark .\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------- reading
def test_a_folder_given_as_input(tmp_path, capsys):
    assert main(["tag", "--input", str(tmp_path)]) == 1
    assert error_line(capsys) == f"{tmp_path}: Is a directory"


def test_an_input_without_read_permission(text, capsys, monkeypatch):
    text.chmod(0)
    if os.access(text, os.R_OK):  # root reads it anyway: make the read fail as it would
        real = Path.read_bytes

        def refused(self):
            if self == text:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", refused)
    assert main(["tag", "--input", str(text)]) == 1
    assert error_line(capsys) == f"{text}: Permission denied"


def test_a_missing_input_and_a_missing_model(tmp_path, capsys):
    assert main(["tag", "--input", str(tmp_path / "none.txt")]) == 1
    assert error_line(capsys) == f"{tmp_path / 'none.txt'}: No such file or directory"
    assert main(["tag", "--model", str(tmp_path), "--input", str(SENTENCES)]) == 1
    assert str(tmp_path) in error_line(capsys)


def test_a_model_folder_with_a_broken_config(tmp_path, capsys):
    (tmp_path / "config.json").write_text("[]", encoding="utf-8")
    assert main(["tag", "--model", str(tmp_path), "--input", str(SENTENCES)]) == 1
    assert str(tmp_path / "config.json") in error_line(capsys)


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_input_is_an_error(content, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content.encode())))
    assert main(["tag"]) == 1
    assert error_line(capsys) == "<stdin>: no sentences to tag (the input is empty)"


def test_invalid_utf8_on_standard_input_names_the_line(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"ok\nbad \xff\n")))
    with pytest.raises(DataFormatError, match=r"<stdin>:2: invalid UTF-8"):
        read_input(None)


def test_bad_vector_files_are_named_and_never_suggest_pickle(tmp_path):
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty.npy: empty or truncated"):
        load_vectors(str(empty))
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CommandError, match="objects.npy: not a .npy file of numbers") as caught:
        load_vectors(str(objects))
    assert "pickle" not in str(caught.value)
    words = tmp_path / "words.npy"
    np.save(words, np.array(["a", "b"]))
    with pytest.raises(CommandError, match="expected a .npy array of numbers"):
        load_vectors(str(words))
    assert load_vectors(str(_saved(tmp_path / "ok.npy", np.ones(3)))).shape == (1, 3)


def _saved(path: Path, array: np.ndarray) -> Path:
    np.save(path, array)
    return path


# ----------------------------------------------------------------- writing
def test_a_full_device_as_output(text, capsys):
    assert main(["tag", "--input", str(text), "--output", "/dev/full"]) == 1
    assert error_line(capsys) == "cannot write /dev/full: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # written to, never replaced


def test_devices_and_links_are_written_through(text, tmp_path):
    assert main(["tag", "--input", str(text), "--output", "/dev/null"]) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    real, link = tmp_path / "real.conllu", tmp_path / "link.conllu"
    real.write_text("old\n", encoding="utf-8")
    link.symlink_to(real)
    assert main(["tag", "--input", str(text), "--output", str(link), "--tokenizer", "lines"]) == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("# sent_id = 1")


def _unwritable_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    if not os.access(folder, os.W_OK):
        return folder
    try:  # root writes anywhere it may chmod: take a read-only mount instead
        tempfile.mkstemp(dir="/sys")
    except OSError:
        return Path("/sys")
    pytest.skip("no unwritable folder here")


def test_a_read_only_output_folder(text, tmp_path, capsys):
    output = _unwritable_folder(tmp_path) / "out.conllu"
    assert main(["tag", "--input", str(text), "--output", str(output)]) == 1
    assert error_line(capsys) == f"cannot write {output}: Permission denied"
    assert not output.exists()


@pytest.mark.parametrize("argv", [
    ["tag", "--output", "{folder}"],
    ["export", "--model", "m", "--output", "{folder}"],
    ["export", "m", "--out", "{folder}"],
])
def test_an_output_file_that_is_a_folder(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([a.format(folder=tmp_path) for a in argv])
    assert stop.value.code == 2
    assert f"argument --output: {tmp_path} is a folder" in capsys.readouterr().err


def test_a_run_folder_that_is_a_file(text, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "tagger", "--train", str(text), "--dev", str(text), "--out", str(text)])
    assert stop.value.code == 2
    assert f"argument --out: {text} is a file, not a folder" in capsys.readouterr().err


def test_the_output_may_not_be_the_input(text, tmp_path, capsys):
    before = text.read_bytes()
    assert main(["tag", "--input", str(text), "--output", str(text)]) == 1
    assert error_line(capsys) == (f"--output {text} is the --input file; write the output to "
                                  "another file")
    link = tmp_path / "same.txt"
    os.link(text, link)
    assert main(["tag", "--input", str(text), "--output", str(link)]) == 1
    assert "is the --input file" in error_line(capsys)
    assert text.read_bytes() == before


def test_a_file_size_limit_leaves_the_old_output_whole(text, tmp_path):
    text.write_text("The cat sat on the mat .\n" * 200, encoding="utf-8")
    output = tmp_path / "out.conllu"
    output.write_text("an earlier output\n", encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    process = run_rnnlab(["tag", "--input", str(text), "--output", str(output), "--tokenizer",
                          "lines"], preexec_fn=limit, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1
    assert err.decode() == f"rnnlab: error: cannot write {output}: File too large\n"
    assert output.read_text(encoding="utf-8") == "an earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.conllu", "text.txt"]


def test_a_closed_pipe_ends_quietly(text):
    text.write_text("The cat sat on the mat .\n" * 2000, encoding="utf-8")  # > a pipe's buffer
    process = run_rnnlab(["tag", "--input", str(text), "--tokenizer", "lines"],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"# sent_id = 1\n"
    process.stdout.close()  # what `| head -1` does
    err = process.stderr.read()
    process.wait(timeout=300)
    assert process.returncode == 141 and err == b""


# ----------------------------------------------------------- the boundary
def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(commands_info, "collect", interrupted)
    assert main(["info"]) == 130
    assert capsys.readouterr().err == "rnnlab: interrupted\n"


def test_an_unexpected_exception_keeps_its_traceback(monkeypatch):
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands_info, "collect", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["info"])


@pytest.mark.parametrize("error, message", [
    (IsADirectoryError(errno.EISDIR, "Is a directory", "data/"), "data/: Is a directory"),
    (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    (FileExistsError(errno.EEXIST, "File exists", "a", None, "b"), "a -> b: File exists"),
    (FileNotFoundError("no rnnlab model at x: it does not exist"),
     "no rnnlab model at x: it does not exist"),
    (EOFError("No data left in file"), "unexpected end of file (No data left in file)"),
    (MemoryError(), "not enough memory for this (a smaller model, batch or input may fit)"),
    (DataFormatError("f.conllu", 3, "expected 10 columns"), "f.conllu:3: expected 10 columns"),
    (TypeError("a bug"), None),
    (KeyError("a bug"), None),
])
def test_what_each_failure_prints(error, message):
    assert describe(error) == message


def test_a_unicode_error_without_a_file_still_reads_as_one_line():
    try:
        b"ab\xff".decode("utf-8")
    except UnicodeDecodeError as error:
        assert describe(error) == "invalid utf-8 byte sequence at byte 2 (invalid start byte)"
