"""Imports flow one way around the models (function-local imports count): files, data and
decoding never import the models; the models never import what sits above them — the
ONNX export, which is keyed by their registry, or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rnnlab"
BELOW_THE_MODELS = ("io", "data", "decoding")
ABOVE_THE_MODELS = ("export", "cli")


def _imported_packages(package: str) -> set[str]:
    """The rnnlab top-level packages that any file of ``package`` imports."""
    found = set()
    for file in (PACKAGE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found |= {name.split(".")[1] for name in names
                      if name.startswith("rnnlab.") and name.count(".") >= 1}
    return found - {package}


@pytest.mark.parametrize("package", BELOW_THE_MODELS)
def test_packages_below_the_models_do_not_import_them(package):
    assert not _imported_packages(package) & {"models", *ABOVE_THE_MODELS}


def test_the_models_do_not_import_what_sits_above_them():
    assert not _imported_packages("models") & set(ABOVE_THE_MODELS)


def test_the_export_package_sits_below_the_command_line():
    assert "cli" not in _imported_packages("export")
