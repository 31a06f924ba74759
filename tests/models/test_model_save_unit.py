"""``Model.save`` writes the model folder as one unit: a save that fails or is stopped at
any point leaves the old folder complete (or the new one), never a mix of their files;
it never deletes files that are not part of a model folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from rnnlab.io import folder_swap, save_model_dir, serialization
from rnnlab.models import KINDS, open_model_dir


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def two_models():
    kind = KINDS["language_model"]
    old, new = kind.sample(), kind.sample()
    for value in new.state_dict().values():
        value += 1.0  # same shapes, other numbers
    return kind, old, new


@pytest.mark.parametrize("fail_at", [1, 2])  # config.json, vocab.json
def test_a_save_failing_at_any_file_leaves_the_old_folder(tmp_path, monkeypatch, fail_at):
    kind, old, new = two_models()
    folder = old.save(tmp_path / "m")
    before = snapshot(folder)
    real, calls = serialization.atomic_write_text, []

    def failing(path, text, **options):
        calls.append(path)
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device", str(path))
        return real(path, text, **options)

    monkeypatch.setattr(serialization, "atomic_write_text", failing)
    with pytest.raises(OSError, match="No space left"):
        new.save(folder)
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left


def test_a_save_stopped_between_the_renames_still_opens_the_old_model(tmp_path, monkeypatch):
    kind, old, new = two_models()
    folder = old.save(tmp_path / "m")
    real, calls = folder_swap.os.replace, []

    def stop_on_second(src, dst):  # (os.replace also moves each file into its folder)
        if Path(dst).parent == tmp_path:
            calls.append(dst)
        if len(calls) == 2:  # NAME -> NAME.previous done, NEW -> NAME not: as after kill -9
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(folder_swap.os, "replace", stop_on_second)
    with pytest.raises(KeyboardInterrupt):
        new.save(folder)
    monkeypatch.setattr(folder_swap.os, "replace", real)
    assert not folder.exists() and (tmp_path / "m.previous" / "config.json").is_file()
    loaded = open_model_dir(folder)
    for name, value in old.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value)
    new.save(folder)  # the next save completes the switch
    loaded = open_model_dir(folder)
    for name, value in new.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_saving_over_another_model_leaves_only_the_new_models_files(tmp_path):
    folder = KINDS["pos_tagger"].sample().save(tmp_path / "m")
    KINDS["language_model"].sample().save(folder)
    loaded = open_model_dir(folder)
    assert type(loaded) is KINDS["language_model"].model_class
    assert not (folder / "upos.json").exists()


def test_a_folder_holding_other_files_is_refused_untouched(tmp_path):
    folder = tmp_path / "m"
    (folder / "notes").mkdir(parents=True)
    (folder / "README.md").write_text("mine\n")
    before = snapshot(folder)
    with pytest.raises(FileExistsError, match="README.md.*not part of a model folder") as error:
        KINDS["language_model"].sample().save(folder)
    assert error.value.filename == str(folder)
    assert snapshot(folder) == before


def test_a_file_in_the_folders_place_is_refused(tmp_path):
    (tmp_path / "m").write_text("a file\n")
    with pytest.raises(NotADirectoryError) as error:
        KINDS["language_model"].sample().save(tmp_path / "m")
    assert error.value.filename == str(tmp_path / "m")
    assert (tmp_path / "m").read_text() == "a file\n"


def test_the_generic_save_model_dir_is_one_unit_too(tmp_path, monkeypatch):
    folder = save_model_dir(tmp_path / "m", {"w": np.zeros(3, np.float32)}, {"a": 1},
                            extra={"b": 2})
    before = snapshot(folder)

    def failing(path, text, **options):
        raise OSError(27, "File too large", str(path))

    monkeypatch.setattr(serialization, "atomic_write_text", failing)
    with pytest.raises(OSError, match="File too large"):
        save_model_dir(folder, {"w": np.ones(3, np.float32)}, {"a": 2}, extra={"b": 3})
    assert snapshot(folder) == before


def test_an_empty_folder_is_written_into_and_an_incomplete_one_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    kind, old, _ = two_models()
    real = serialization.atomic_write_text

    def failing(path, text, **options):
        if str(path).endswith("vocab.json"):
            raise OSError(28, "No space left on device", str(path))
        return real(path, text, **options)

    monkeypatch.setattr(serialization, "atomic_write_text", failing)
    with pytest.raises(OSError, match="No space left"):
        old.save(folder)
    monkeypatch.setattr(serialization, "atomic_write_text", real)
    with pytest.raises(FileNotFoundError, match=r"vocab\.json is missing"):
        open_model_dir(folder)
    assert old.save(folder) == folder and open_model_dir(folder) is not None
