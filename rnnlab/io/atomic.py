"""Atomic file writes: a reader (or a later run) sees the old file or the new one, never
half of one, whatever stops the writer — an error, a full disk, a file-size limit, Ctrl-C
or ``kill -9``.

Every file rnnlab writes goes through this module. The recipe is the standard one:

1. create a temporary file beside the target (same folder, so the rename below stays on one
   file system): ``.NAME.RANDOM.tmpSUFFIX`` (the target's suffix is kept, so libraries that
   choose a format from the name — matplotlib, NumPy — write the right one);
2. write it, flush it and ``fsync`` it (the bytes are on disk);
3. ``os.replace`` it onto the target (atomic on POSIX and Windows) and ``fsync`` the folder
   (the new name is on disk);
4. on any failure before step 3 the temporary file is removed and the target is untouched.

Permissions: a new file gets ``0666 & ~umask`` — the temporary file is created with
``os.open(..., 0o666)``, so the kernel applies the umask (and default ACLs) exactly as for
any other new file; the umask is never read or changed, which would race with other
threads. A file that is replaced keeps its permission bits.

Targets that cannot be replaced (a device such as ``/dev/null`` or ``/dev/full``, a named
pipe) are written in place; a folder is refused (:class:`IsADirectoryError`). A symbolic
link is followed: the file it points to is replaced and the link stays.

Writing onto an input file is safe: the input is replaced only after the output is
complete, and readers that opened it keep reading the old file. ``inputs=`` names the files
a command reads; an output that is one of them and cannot be replaced atomically (a pipe
or device) is refused with :class:`ValueError`.

API::

    atomic_write_text(path, text)           # also atomic_write_bytes(path, data)
    with atomic_output(path, "w", inputs=[input_path]) as f:   # a file object
        f.write(...)
    with atomic_path(path) as tmp:           # a path, for libraries that write by path
        figure.savefig(tmp)
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

PathLike = str | os.PathLike
_TEMP_NAME = re.compile(r"\.(.+)\.[0-9a-f]{8}\.tmp.*", re.DOTALL)


def fsync_dir(directory: PathLike) -> None:
    """Flush a folder's entries (names created or renamed in it) to disk, where the
    platform allows it (Windows cannot open folders; some file systems refuse)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _target(path: PathLike, inputs: Iterable[PathLike]) -> tuple[Path, bool]:
    """The file to write (symbolic links followed) and whether it is replaced atomically
    (False: a device or pipe, written in place)."""
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real, True
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if stat.S_ISREG(info.st_mode):
        return real, True
    for given in inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(given, real):
                raise ValueError(f"{path} is both an input and the output, and it is not a "
                                 "regular file (a pipe or device): write to another file")
    return real, False


def _create_temp(target: Path) -> tuple[int, Path, int]:
    """Create ``.NAME.RANDOM.tmpSUFFIX`` beside ``target``; returns its descriptor, its path
    and the permission bits the result must have: those of the file it replaces, else
    those the kernel gave the new file (0666 & ~umask)."""
    if not target.parent.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(
            f".{target.name[:120]}.{secrets.token_hex(4)}.tmp{target.suffix[:16]}")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        if mode is None:
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
        return fd, tmp, mode
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


def _named(error: BaseException, path: PathLike) -> OSError | None:
    """For an OSError that names no file (a failed write or fsync), the same error naming
    ``path``, so the message says which output failed; None for any other exception."""
    if isinstance(error, OSError) and error.filename is None and error.errno is not None:
        return type(error)(error.errno, error.strerror or os.strerror(error.errno), str(path))
    return None


def _start(target: Path, path: PathLike) -> tuple[int, Path, int]:
    """:func:`_create_temp`, with a failure reported against the output's name (not the
    temporary file's, which the user never chose)."""
    try:
        return _create_temp(target)
    except OSError as error:
        raise type(error)(error.errno, error.strerror or str(error), str(path)) from error


def leftover_of(name: str) -> str | None:
    """The file name a temporary file called ``name`` was written for (a write killed
    before its rename leaves one behind), or None when ``name`` is not one."""
    match = _TEMP_NAME.fullmatch(name)
    return match.group(1) if match else None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _commit(tmp: Path, target: Path, mode: int) -> None:
    """Give ``tmp`` its permission bits (a library may have written a file of its own in
    its place) and move it onto ``target``."""
    if stat.S_IMODE(os.stat(tmp).st_mode) != mode:
        os.chmod(tmp, mode)
    os.replace(tmp, target)
    fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_path(path: PathLike, *, inputs: Iterable[PathLike] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a library that writes by file name
    (``savefig``, ``safetensors.save_file``, ``onnx.save``, ``np.save``); when the block
    ends without an exception the file is fsynced and replaces ``path``.

    Raises:
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is one of ``inputs`` and cannot be replaced atomically.
    """
    target, atomic = _target(path, inputs)
    if not atomic:
        yield target
        return
    fd, tmp, mode = _start(target, path)
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, target, mode)
    except BaseException:
        _remove(tmp)
        named = _named(sys.exc_info()[1], path)
        if named is None:
            raise
        raise named from sys.exc_info()[1]


@contextlib.contextmanager
def atomic_output(
    path: PathLike,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    inputs: Iterable[PathLike] = (),
) -> Iterator[IO[Any]]:
    """Yield a file object (``mode`` "w" text or "wb" binary) whose contents replace
    ``path`` when the block ends without an exception (flushed, fsynced, renamed).

    Raises:
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is one of ``inputs`` and cannot be replaced atomically, or a
            mode other than "w" / "wb".
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_output writes a new file: mode 'w' or 'wb', not {mode!r}")
    binary = mode == "wb"
    options = {} if binary else {"encoding": encoding, "newline": newline}
    target, atomic = _target(path, inputs)
    if not atomic:
        try:
            with open(target, mode, **options) as file:
                yield file
        except OSError as error:
            named = _named(error, path)
            if named is None:
                raise
            raise named from error
        return
    fd, tmp, bits = _start(target, path)
    file = None
    try:
        file = os.fdopen(fd, mode, **options)
        yield file
        file.flush()
        os.fsync(file.fileno())
        file.close()
        _commit(tmp, target, bits)
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            if file is None:
                os.close(fd)
            else:
                file.close()  # closes the descriptor even when the final flush fails
        _remove(tmp)
        named = _named(sys.exc_info()[1], path)
        if named is None:
            raise
        raise named from sys.exc_info()[1]


def atomic_write_bytes(path: PathLike, data: bytes, *, inputs: Iterable[PathLike] = ()) -> None:
    """Replace ``path`` by ``data`` atomically."""
    with atomic_output(path, "wb", inputs=inputs) as file:
        file.write(data)


def atomic_write_text(
    path: PathLike,
    text: str,
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
    inputs: Iterable[PathLike] = (),
) -> None:
    """Replace ``path`` by ``text`` atomically (UTF-8 unless ``encoding`` says otherwise)."""
    with atomic_output(path, "w", encoding=encoding, newline=newline, inputs=inputs) as file:
        file.write(text)


def atomic_write(path: PathLike, writer: Callable[[Path], object]) -> None:
    """Call ``writer(tmp_path)``, then move the result onto ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        writer(tmp)
