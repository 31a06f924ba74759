"""A folder written as one unit: a failure while writing or between the two renames leaves
the previous complete folder, and the next write or read recovers."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from rnnlab.io import folder_swap
from rnnlab.io.folder_swap import find_complete_folder, folder_problem, replace_folder


def write_files(**files: str):
    def write(folder: Path) -> None:
        for name, text in files.items():
            (folder / name).write_text(text)
    return write


def test_replace_writes_a_manifest_and_leaves_nothing_else(tmp_path: Path):
    target = tmp_path / "ckpt"
    replace_folder(target, write_files(a="1", b="22"))
    replace_folder(target, write_files(a="333"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    assert sorted(p.name for p in target.iterdir()) == ["a", "manifest.json"]
    assert json.loads((target / "manifest.json").read_text()) == {
        "files": {"a": 3}, "sha256": {"a": hashlib.sha256(b"333").hexdigest()}}
    assert folder_problem(target) is None


def test_a_failure_while_writing_keeps_the_old_folder(tmp_path: Path):
    target = tmp_path / "ckpt"
    replace_folder(target, write_files(a="old"))

    def half_written(folder: Path) -> None:
        (folder / "a").write_text("new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_folder(target, half_written)
    assert (target / "a").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_a_crash_between_the_renames_leaves_the_previous_folder(tmp_path: Path, monkeypatch):
    target = tmp_path / "ckpt"
    replace_folder(target, write_files(a="old"))
    real_replace, calls = os.replace, []

    def crash_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # target -> previous done, tmp -> target not
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(folder_swap.os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        replace_folder(target, write_files(a="new"))
    monkeypatch.setattr(folder_swap.os, "replace", real_replace)
    assert not target.exists()
    found = find_complete_folder(target)
    assert found.name == "ckpt.previous" and (found / "a").read_text() == "old"

    replace_folder(target, write_files(a="newer"))
    assert (target / "a").read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_incomplete_folders_are_recognised(tmp_path: Path):
    target = tmp_path / "ckpt"
    replace_folder(target, write_files(a="1234"))
    (target / "a").write_text("12")
    assert "has 2 bytes, the manifest says 4" in folder_problem(target)
    (target / "a").unlink()
    assert "lacks a" in folder_problem(target)
    with pytest.raises(FileNotFoundError, match="lacks a"):
        find_complete_folder(target)
    legacy = tmp_path / "legacy"  # written before manifests: the required files decide
    legacy.mkdir()
    (legacy / "state.json").write_text("{}")
    assert folder_problem(legacy, ("state.json",)) is None
    assert "lacks model.safetensors" in folder_problem(legacy, ("state.json",
                                                                 "model.safetensors"))
