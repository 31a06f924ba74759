"""Write a folder of files as one unit: a reader finds the old complete folder or the new
complete one, never a mix of the two.

A checkpoint is several files (weights, optimizer buffers, loop state) that only make sense
together; replacing them one by one leaves, after a crash between two of them, new weights
beside an old loop position. So :func:`replace_folder` writes the whole new folder beside the
old one (``NAME.tmp-…``), flushes every file and a ``manifest.json`` listing them (written
last: its presence means the set is complete) to disk, and only then switches:

1. ``NAME`` → ``NAME.previous`` (the last complete folder is kept),
2. ``NAME.tmp-…`` → ``NAME``,
3. ``NAME.previous`` is removed.

A crash before step 1 leaves ``NAME`` untouched (the half-written temporary folder is
removed by the next write); between steps 1 and 2 ``NAME`` is missing and
:func:`find_complete_folder` returns ``NAME.previous``; after step 2 the new folder is in
place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MANIFEST = "manifest.json"
PREVIOUS_SUFFIX = ".previous"
TMP_INFIX = ".tmp-"


def _fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (the names of renamed files) to disk, where possible."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> dict[str, int]:
    """fsync every file under ``directory``; returns ``{relative path: size}``."""
    sizes = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
            sizes[path.relative_to(directory).as_posix()] = path.stat().st_size
    for sub in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        _fsync_dir(sub)
    return sizes


def _remove_leftovers(target: Path) -> None:
    """Remove temporary folders a crashed earlier write left beside ``target``."""
    for leftover in target.parent.glob(f"{target.name}{TMP_INFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def replace_folder(target: str | Path, write: Callable[[Path], object], *,
                   manifest: bool = True) -> None:
    """Call ``write(folder)`` on a fresh temporary folder, then make it ``target`` as one unit.

    With ``manifest`` a ``manifest.json`` of the files and their sizes is written last, so
    :func:`find_complete_folder` can tell a complete folder from a damaged one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}{TMP_INFIX}", dir=target.parent))
    try:
        write(tmp)
        sizes = _fsync_tree(tmp)
        if manifest:
            path = tmp / MANIFEST
            path.write_text(json.dumps({"files": sizes}, indent=2, sort_keys=True) + "\n",
                            encoding="utf-8")
            with open(path, "rb") as f:
                os.fsync(f.fileno())
            _fsync_dir(tmp)
        previous = target.with_name(target.name + PREVIOUS_SUFFIX)
        if target.exists():
            if previous.exists():  # only while `target` is complete: safe to drop
                shutil.rmtree(previous)
            os.replace(target, previous)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def folder_problem(folder: Path, required: tuple[str, ...] = ()) -> str | None:
    """Why ``folder`` is not a complete unit, or None when it is.

    A folder with a manifest must hold every listed file at its listed size; one without
    (written before manifests existed) must hold the ``required`` files.
    """
    if not folder.is_dir():
        return f"{folder} does not exist"
    path = folder / MANIFEST
    if not path.is_file():
        missing = [name for name in required if not (folder / name).is_file()]
        return f"{folder} lacks {', '.join(missing)}" if missing else None
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        return f"{path} is damaged"
    for name, size in files.items():
        file = folder / name
        if not file.is_file():
            return f"{folder} lacks {name}"
        if file.stat().st_size != size:
            return f"{file} has {file.stat().st_size} bytes, the manifest says {size}"
    return None


def find_complete_folder(target: str | Path, required: tuple[str, ...] = ()) -> Path:
    """``target`` if it is complete, else the ``target.previous`` a switch left behind.

    Raises:
        FileNotFoundError: neither is a complete folder; the message says what is wrong
            with ``target``.
    """
    target = Path(target)
    problem = folder_problem(target, required)
    if problem is None:
        return target
    previous = target.with_name(target.name + PREVIOUS_SUFFIX)
    if folder_problem(previous, required) is None:
        return previous
    raise FileNotFoundError(problem)
