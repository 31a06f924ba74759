"""Write a folder of files as one unit: a reader finds the old complete folder or the new
complete one, never a mix of the two.

A checkpoint is several files (weights, optimizer buffers, loop state) that only make sense
together; replacing them one by one leaves, after a crash between two of them, new weights
beside an old loop position. So :func:`replace_folder` writes the whole new folder beside the
old one (``NAME.tmp-…``), flushes every file and a ``manifest.json`` listing them with their
sizes and SHA-256 digests (written last: its presence means the set is complete) to disk,
and only then switches:

1. the older ``NAME.previous`` is removed (only while ``NAME`` is complete),
2. ``NAME`` → ``NAME.previous`` (the last complete folder is kept),
3. ``NAME.tmp-…`` → ``NAME``,
4. without ``keep_previous``, ``NAME.previous`` is removed.

The switch (steps 1–3) runs with SIGINT and SIGTERM deferred: a Ctrl-C arriving then takes
effect once the switch is done. It is safe even without that (``kill -9`` cannot be
deferred): a crash before step 2 leaves ``NAME`` untouched (the half-written temporary
folder is removed by the next write); between steps 2 and 3 ``NAME`` is missing and
:func:`find_complete_folder` returns ``NAME.previous``; after step 3 the new folder is in
place.

A folder whose files do not match its manifest (a file missing, truncated, or changed) is
damaged: :func:`find_complete_folder` refuses it with :class:`IncompleteFolderError`, which
names the last complete folder (``NAME.previous``) when there is one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from rnnlab.io.atomic import fsync_dir

MANIFEST = "manifest.json"
PREVIOUS_SUFFIX = ".previous"
TMP_INFIX = ".tmp-"
_DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class IncompleteFolderError(FileNotFoundError):
    """A folder is missing or damaged; ``fallback`` is the last complete folder, if any."""

    def __init__(self, problem: str, fallback: Path | None = None) -> None:
        super().__init__(problem)
        self.problem, self.fallback = problem, fallback


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _fsync_tree(directory: Path) -> dict[str, dict]:
    """fsync every file under ``directory``; returns ``{"files": {relative path: size},
    "sha256": {relative path: digest}}``."""
    sizes, digests = {}, {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
            name = path.relative_to(directory).as_posix()
            sizes[name], digests[name] = path.stat().st_size, _digest(path)
    for sub in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        fsync_dir(sub)
    return {"files": sizes, "sha256": digests}


def _remove_leftovers(target: Path) -> None:
    """Remove temporary folders a crashed earlier write left beside ``target``."""
    for leftover in target.parent.glob(f"{target.name}{TMP_INFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _make_temp_folder(target: Path) -> Path:
    """``NAME.tmp-RANDOM`` beside ``target``, with mode 0777 & ~umask like any new folder."""
    while True:
        tmp = target.with_name(f"{target.name}{TMP_INFIX}{secrets.token_hex(4)}")
        try:
            os.mkdir(tmp, 0o777)
        except FileExistsError:
            continue
        return tmp


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them to the handlers that
    were in place (only in the main thread, the one Python delivers signals to)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {}
    for sig in _DEFERRED_SIGNALS:
        handler = signal.getsignal(sig)
        if handler is not None:  # None: a handler installed outside Python, left alone
            previous[sig] = signal.signal(sig, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(arrived):
            signal.raise_signal(sig)


def _renamed(error: OSError, tmp: Path, target: Path) -> OSError:
    """``error`` naming the file by its place in ``target`` rather than in the temporary
    folder (the name the user knows); unchanged when it names no file there."""
    name = str(error.filename or "")
    if error.errno is None or not name.startswith(str(tmp)):
        return error
    return type(error)(error.errno, error.strerror, str(target) + name[len(str(tmp)):])


def replace_folder(target: str | Path, write: Callable[[Path], object], *,
                   manifest: bool = True, keep_previous: bool = False) -> None:
    """Call ``write(folder)`` on a fresh temporary folder, then make it ``target`` as one unit.

    With ``manifest`` a ``manifest.json`` of the files, their sizes and digests is written
    last, so :func:`find_complete_folder` can tell a complete folder from a damaged one.
    With ``keep_previous`` the folder replaced stays as ``target.previous`` (the fallback
    should ``target`` be damaged later).
    """
    target = Path(target)
    if not target.parent.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    tmp = _make_temp_folder(target)
    try:
        try:
            write(tmp)
        except OSError as error:
            raise _renamed(error, tmp, target) from error
        listing = _fsync_tree(tmp)
        if manifest:
            path = tmp / MANIFEST
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(listing, indent=2, sort_keys=True) + "\n")
                f.flush()
                os.fsync(f.fileno())
            fsync_dir(tmp)
        previous = target.with_name(target.name + PREVIOUS_SUFFIX)
        with _signals_deferred():
            if target.exists():
                if folder_problem(target, verify=False) is None:
                    if previous.exists():  # `target` is complete: the older one can go
                        shutil.rmtree(previous)
                    os.replace(target, previous)
                else:  # damaged: `previous` stays the fallback
                    shutil.rmtree(target)
            os.replace(tmp, target)
            fsync_dir(target.parent)
        if not keep_previous:
            shutil.rmtree(previous, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def folder_problem(folder: Path, required: tuple[str, ...] = (), *,
                   verify: bool = True) -> str | None:
    """Why ``folder`` is not a complete unit, or None when it is.

    A folder with a manifest must hold every listed file at its listed size and (with
    ``verify``) with its listed SHA-256 digest; one without (written before manifests
    existed) must hold the ``required`` files.
    """
    if not folder.is_dir():
        return f"{folder} does not exist"
    path = folder / MANIFEST
    if not path.is_file():
        missing = [name for name in required if not (folder / name).is_file()]
        return f"{folder} lacks {', '.join(missing)}" if missing else None
    try:
        listing = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        listing = None
    files = listing.get("files") if isinstance(listing, dict) else None
    digests = listing.get("sha256", {}) if isinstance(listing, dict) else None
    if not isinstance(files, dict) or not isinstance(digests, dict):
        return f"{path} is damaged"
    for name, size in files.items():
        file = folder / name
        if not file.is_file():
            return f"{folder} lacks {name}"
        if file.stat().st_size != size:
            return f"{file} has {file.stat().st_size} bytes, the manifest says {size}"
        if verify and name in digests and _digest(file) != digests[name]:
            return f"{file} differs from the file the manifest lists (SHA-256 mismatch)"
    return None


def find_complete_folder(target: str | Path, required: tuple[str, ...] = ()) -> Path:
    """``target`` if it is complete; the ``target.previous`` a switch left behind when
    ``target`` is missing (a crash between the two renames).

    Raises:
        IncompleteFolderError: ``target`` is damaged (its ``fallback`` is
            ``target.previous`` when that is complete), or neither folder exists complete.
    """
    target = Path(target)
    previous = target.with_name(target.name + PREVIOUS_SUFFIX)
    problem = folder_problem(target, required)
    if problem is None:
        return target
    fallback = previous if folder_problem(previous, required) is None else None
    if fallback is not None and not target.exists():
        return fallback
    raise IncompleteFolderError(problem, fallback)
