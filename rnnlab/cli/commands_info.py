"""``rnnlab info``: versions, which compute paths are active, and where data and the
shipped model are — the first thing to paste into a bug report."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from rnnlab.cli.flags import add_json_flag

if TYPE_CHECKING:
    from rnnlab.cli import CommandGroups
    from rnnlab.cli.parser import CommandParser


def _numba_path() -> str:
    from rnnlab.engine import kernels

    if os.environ.get(kernels.DISABLE_ENV) == "1":
        return f"off ({kernels.DISABLE_ENV}=1): NumPy step kernels"
    if not kernels.numba_importable():
        return "not installed: NumPy step kernels"
    import numba

    return f"on: numba {numba.__version__} fused step kernels"


def _mkl_path() -> str:
    from rnnlab.recurrent import compute_path, step_product

    if os.environ.get(step_product.DISABLE_ENV) == "1":
        return f"off ({step_product.DISABLE_ENV}=1): NumPy's BLAS for every product"
    library = step_product.mkl_library()
    if library is None:
        return ("not installed: NumPy's BLAS for every product (pip install mkl, where its "
                "wheels exist: x86-64 Linux and Windows)")
    if compute_path.current() == compute_path.NUMBA_MKL:
        return f"on: packed GEMM inside compiled time loops ({library._name})"
    return (f"on: packed GEMM for per-step products of ≥ {step_product.MIN_MACS} "
            f"multiply-adds ({library._name})")


_LOOPS = {  # compute path → how a recurrent layer's time loop runs on it
    "numpy": "time loop in Python, NumPy step kernels",
    "numba": "time loop in Python, compiled step kernels",
    "numba+blas": "compiled time loops calling NumPy's BLAS ({blas})",
    "numba+mkl": "compiled time loops calling MKL's packed GEMM",
}


def _compute_path() -> str:
    """The compute path of a recurrent layer's time loop here
    (:mod:`rnnlab.recurrent.compute_path`), and the small forwards' exception."""
    from rnnlab.recurrent import compute_path, numpy_blas

    path = compute_path.current()
    blas = numpy_blas.find() if path == compute_path.NUMBA_BLAS else None
    loops = _LOOPS[path].format(blas=blas and Path(blas.path).name)
    if path == compute_path.NUMPY:
        return f"{path}: {loops}"
    return (f"{path}: {loops}; small forwards without gradients on NumPy until Numba is "
            "first needed")


def _blas() -> str:
    import numpy as np

    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except (AttributeError, KeyError, TypeError):
        return "unknown"


def _data_dir() -> str:
    from rnnlab.data.paths import ENV_VAR, shared_data_dir

    try:
        return str(shared_data_dir())
    except FileNotFoundError:
        return f"not found (set {ENV_VAR})"


def _onnx_export() -> str:
    """Whether ``rnnlab export`` can write (onnx) and verify (onnxruntime) here."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("onnx", "onnxruntime"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    if found["onnx"] is None:
        return "not installed: pip install -e '.[onnx]' (rnnlab export)"
    verify = (f"onnxruntime {found['onnxruntime']} for --verify" if found["onnxruntime"]
              else "no onnxruntime: no --verify")
    return f"onnx {found['onnx']}; {verify}"


def _wait_policy() -> str:
    from rnnlab.recurrent import worker

    try:
        policy = worker.wait_policy()
    except ValueError as error:
        return str(error)
    how = (f"poll for work up to {worker.SPIN_SECONDS * 1e3:g} ms, then sleep"
           if policy == "active" else "sleep at once")
    return f"{policy}: the layer threads {how} ({worker.WAIT_POLICY_ENV})"


def collect() -> dict[str, str]:
    import numpy as np

    import rnnlab
    from rnnlab.models.tagger import DEFAULT_MODEL_DIR
    from rnnlab.recurrent import parallel

    return {
        "rnnlab": rnnlab.__version__,
        "python": platform.python_version(),
        "numpy": f"{np.__version__} with {_blas()}",
        "step kernels": _numba_path(),
        "per-step GEMM": _mkl_path(),
        "compute path": _compute_path(),
        "BLAS threads": (f"{parallel.blas_description()}; one each inside the layer "
                         "threads"),
        "layer threads": (f"{parallel.num_threads()} (directions of a bidirectional layer, or "
                          f"a batch split in two; {parallel.THREADS_ENV})"),
        "thread wait": _wait_policy(),
        "data": _data_dir(),
        "ONNX export": _onnx_export(),
        "shipped tagger": str(DEFAULT_MODEL_DIR) + (
            "" if (Path(DEFAULT_MODEL_DIR) / "weights.safetensors").is_file() else " (missing)"),
    }


def run_info(args: argparse.Namespace) -> int:
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        width = max(map(len, info))
        for key, value in info.items():
            print(f"{key:<{width}}  {value}")
    return 0


def _build(p: CommandParser) -> None:
    add_json_flag(p, "the report")
    p.set_defaults(handler=run_info)


def register(groups: CommandGroups) -> None:
    groups.top.add_parser("info", help="versions, active compute paths, data location",
                          build=_build)
