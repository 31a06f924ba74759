"""Start-up (issue 20 item 4): the parser is built without the libraries of the commands
that do not run; heavy libraries are imported where they are used; importing rnnlab starts
no program (MKL is found without ldconfig or gcc) and leaves matplotlib's backend alone.
Each check runs in a fresh interpreter, whose modules are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rnnlab.recurrent import step_product

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "sacrebleu", "onnx", "onnxruntime", "torch", "PIL", "numba", "conllu",
         "tqdm", "lxml")


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    probe = (f"{code}\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_rnnlab_help_imports_no_library_at_all():
    loaded = loaded_after("from rnnlab.cli import build_parser\nbuild_parser().format_help()")
    assert loaded.isdisjoint((*HEAVY, "numpy", "safetensors"))


def test_building_every_command_imports_no_heavy_library():
    loaded = loaded_after("from rnnlab.cli import build_parser\n"
                          "from rnnlab.cli.parser import walk\n"
                          "[p for _, p in walk(build_parser()) if p.format_help()]")
    assert loaded.isdisjoint(("sacrebleu", "onnx", "onnxruntime", "torch", "numba"))


def test_importing_the_library_imports_no_heavy_library():
    loaded = loaded_after("import rnnlab\nrnnlab.LSTM, rnnlab.seed\n"
                          "import rnnlab.models, rnnlab.training, rnnlab.export.onnx\n"
                          "import rnnlab.tasks.tagging, rnnlab.tasks.translation\n"
                          "import rnnlab.tasks.classification, rnnlab.tasks.language_modelling")
    assert loaded.isdisjoint(("matplotlib", "sacrebleu", "onnx", "onnxruntime", "torch", "PIL"))


def test_a_command_builds_only_its_own_options():
    loaded = loaded_after("import sys\nfrom rnnlab.cli import build_parser\n"
                          "build_parser().parse_args(['tag'])\n"
                          "assert 'rnnlab.tasks' not in sys.modules, 'tag builds other commands'")
    assert loaded.isdisjoint(HEAVY)


def test_figures_leave_the_matplotlib_backend_alone(tmp_path):
    code = f"""
import matplotlib
matplotlib.use("pdf")
import numpy as np
from rnnlab.training import plot_learning_curves
from rnnlab.demos import plotting
from rnnlab.models.seq2seq import Translation
from rnnlab.tasks.translation import plot_attention
plot_learning_curves([{{"epoch": 1, "loss": 2.0}}, {{"epoch": 2, "loss": 1.0}}],
                     {str(tmp_path / "curves.png")!r})
fig, axes = plotting.figure(columns=2)
plotting.save(fig, {str(tmp_path / "demo.png")!r})
plot_attention(Translation("x y", ["x", "y"], ["a", "b"], 0.0, np.eye(2)),
               {str(tmp_path / "a.png")!r})
import matplotlib.pyplot
assert matplotlib.get_backend() == "pdf", matplotlib.get_backend()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    for name in ("curves.png", "demo.png", "a.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_finding_mkl_runs_no_program(monkeypatch):
    def no_programs(*args, **kwargs):
        raise AssertionError(f"a program was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_programs)
    monkeypatch.setattr(os, "posix_spawn", no_programs)
    monkeypatch.setattr(step_product, "_library", False)  # not looked for yet
    monkeypatch.delenv(step_product.DISABLE_ENV, raising=False)
    monkeypatch.delenv(step_product.LIBRARY_ENV, raising=False)
    assert step_product.mkl_library() is not None, "MKL not found: install the test extras"


def test_a_named_mkl_library_is_the_only_candidate(monkeypatch):
    monkeypatch.setenv(step_product.LIBRARY_ENV, "/nowhere/libmkl_rt.so")
    assert step_product._candidates() == ["/nowhere/libmkl_rt.so"]
