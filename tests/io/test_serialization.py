"""Model directories round-trip (safetensors + JSON, no pickle), damaged files give clear
errors, writes are atomic, and the library never imports torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rnnlab.io import (
    atomic_write,
    load_arrays,
    load_json,
    load_model_dir,
    save_arrays,
    save_json,
    save_model_dir,
)
from rnnlab.recurrent import LSTM


def _model() -> LSTM:
    return LSTM(3, 4, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))


def test_model_dir_round_trip(tmp_path):
    model = _model()
    config = {"kind": "lstm", "hidden_size": 4, "layers": [2, "bi"], "name": "Gödel"}
    vocab = {"tokens": ["<pad>", "ä", "b"]}
    directory = save_model_dir(tmp_path / "model", model.state_dict(), config, vocab=vocab)

    state, loaded_config = load_model_dir(directory)
    assert loaded_config == config
    assert load_json(directory / "vocab.json") == vocab
    assert state.keys() == model.state_dict().keys()
    for name, value in model.state_dict().items():
        assert state[name].dtype == value.dtype and np.array_equal(state[name], value), name

    restored = LSTM(3, 4, num_layers=2, bidirectional=True, rng=np.random.default_rng(1))
    restored.load_state_dict(state)
    x = np.random.default_rng(2).standard_normal((5, 2, 3)).astype(np.float32)
    assert np.array_equal(restored(x)[0].data, model(x)[0].data)


def test_arrays_keep_dtype_shape_and_zero_dimensional_values(tmp_path):
    arrays = {
        "step": np.array(7),
        "lr": np.array(0.5),
        "half": np.arange(6, dtype=np.float16).reshape(2, 3),
        "ids": np.arange(4, dtype=np.int32),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],  # not contiguous
    }
    save_arrays(tmp_path / "a.safetensors", arrays)
    loaded = load_arrays(tmp_path / "a.safetensors")
    for name, value in arrays.items():
        assert loaded[name].dtype == value.dtype, name
        assert loaded[name].shape == value.shape and np.array_equal(loaded[name], value), name


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"this is not a weights file at all", id="garbage"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[:9] + b"!" + data[10:], id="bad-header-json"),
    ],
)
def test_corrupt_weights_file_gives_a_clear_error(tmp_path, damage):
    directory = save_model_dir(tmp_path / "model", _model().state_dict(), {"kind": "lstm"})
    weights = directory / "weights.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(ValueError, match=r"weights.safetensors: not a valid safetensors file"):
        load_model_dir(directory)


def test_missing_files_and_bad_json(tmp_path):
    with pytest.raises(FileNotFoundError, match="model directory .* does not exist"):
        load_model_dir(tmp_path / "nowhere")
    directory = save_model_dir(tmp_path / "model", _model().state_dict(), {"kind": "lstm"})
    (directory / "config.json").write_text('{"kind": "lstm",\n "layers": }', encoding="utf-8")
    with pytest.raises(ValueError, match=r"config.json: line 2: invalid JSON"):
        load_model_dir(directory)
    (directory / "weights.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no weights file at"):
        load_model_dir(directory)


def test_failed_write_leaves_the_old_file_and_no_debris(tmp_path):
    path = tmp_path / "config.json"
    save_json(path, {"version": 1})

    def failing_writer(tmp):
        tmp.write_text("half a fi", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, failing_writer)
    assert load_json(path) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_importing_rnnlab_does_not_import_torch():
    """Import rnnlab and every submodule that imports today; torch must stay unloaded."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import rnnlab
        failed = []
        for module in pkgutil.walk_packages(rnnlab.__path__, "rnnlab.", failed.append):
            try:
                importlib.import_module(module.name)
            except Exception as error:
                failed.append(f"{module.name}: {error!r}")
        core = ["rnnlab.engine", "rnnlab.recurrent", "rnnlab.nn", "rnnlab.optim", "rnnlab.io"]
        missing = [name for name in core if name not in sys.modules]
        assert not missing, f"core modules did not import: {missing}; failures: {failed}"
        loaded = sorted(name for name in sys.modules if name.startswith("rnnlab"))
        print(len(loaded), "rnnlab modules imported;", len(failed), "failed:", failed)
        assert "torch" not in sys.modules, "torch was imported"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout.split()[0]) >= 20, result.stdout
