"""``rnnlab info`` and ``rnnlab --version`` report what is installed and which compute
paths the environment switches on or off."""

from __future__ import annotations

import json

import pytest

import rnnlab
from rnnlab.cli import main


def _info(capsys) -> dict:
    assert main(["info", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_names_versions_and_paths(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_DISABLE_NUMBA", raising=False)
    monkeypatch.delenv("RNNLAB_DISABLE_MKL", raising=False)
    info = _info(capsys)
    assert info["rnnlab"] == rnnlab.__version__
    assert info["step kernels"].startswith("on: numba")
    assert info["per-step GEMM"].startswith("on: packed GEMM inside compiled time loops")
    assert info["shipped tagger"].endswith("en_ewt_tagger")


def test_info_reports_paths_switched_off(capsys, monkeypatch):
    monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1")
    monkeypatch.setenv("RNNLAB_DISABLE_MKL", "1")
    info = _info(capsys)
    assert info["step kernels"].startswith("off (RNNLAB_DISABLE_NUMBA=1)")
    assert info["per-step GEMM"].startswith("off (RNNLAB_DISABLE_MKL=1)")


def test_info_reports_layer_threads(capsys, monkeypatch):
    monkeypatch.setenv("RNNLAB_NUM_THREADS", "1")
    assert _info(capsys)["layer threads"].startswith("1 (")


def test_info_reports_the_thread_wait_policy(capsys, monkeypatch):
    assert _info(capsys)["thread wait"].startswith("active: ")
    monkeypatch.setenv("RNNLAB_WAIT_POLICY", "passive")
    assert _info(capsys)["thread wait"].startswith("passive: ")
    monkeypatch.setenv("RNNLAB_WAIT_POLICY", "eager")
    assert "RNNLAB_WAIT_POLICY must be one of" in _info(capsys)["thread wait"]


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"rnnlab {rnnlab.__version__}"


def test_info_says_whether_onnx_export_can_run(capsys, monkeypatch):
    assert _info(capsys)["ONNX export"].startswith("onnx 1.")  # the test extras install it
    from importlib import metadata

    real = metadata.version

    def missing(package):
        if package in ("onnx", "onnxruntime"):
            raise metadata.PackageNotFoundError(package)
        return real(package)

    monkeypatch.setattr(metadata, "version", missing)
    assert _info(capsys)["ONNX export"].startswith("not installed: pip install")


def test_info_names_the_compute_path_and_the_blas(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_DISABLE_NUMBA", raising=False)
    monkeypatch.delenv("RNNLAB_DISABLE_MKL", raising=False)
    monkeypatch.delenv("RNNLAB_DISABLE_BLAS_LOOPS", raising=False)
    info = _info(capsys)
    assert info["compute path"].startswith("numba+mkl: compiled time loops calling MKL's")
    assert "openblas " in info["BLAS threads"]  # NumPy's wheel, with its threads
    assert "thread" in info["BLAS threads"]
    monkeypatch.setenv("RNNLAB_DISABLE_MKL", "1")
    assert _info(capsys)["compute path"].startswith(
        "numba+blas: compiled time loops calling NumPy's BLAS (")
    monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1")
    assert _info(capsys)["compute path"] == "numpy: time loop in Python, NumPy step kernels"
