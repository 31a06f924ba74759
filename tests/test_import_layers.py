"""Imports among rnnlab's top-level packages flow one way at the bottom of the library:
engine ← recurrent ← nn (DESIGN.md, "Layers of the library"). The analysis is that of
``../shared/tools/import_cycles.py``: every import of every file counts, function-local
ones too, and a strongly connected component of more than one package is a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnnlab"
BOTTOM = ("engine", "recurrent", "nn")  # each may import only those before it


def _package_edges(package: Path) -> dict[str, set[str]]:
    """unit → the other top-level units (packages or modules of rnnlab) it imports."""
    units = {p.stem for p in package.iterdir() if p.is_dir() or p.suffix == ".py"}
    units.discard("__init__")
    edges: dict[str, set[str]] = {}
    for file in package.rglob("*.py"):
        parts = list(file.relative_to(package.parent).with_suffix("").parts)
        if len(parts) < 2 or parts[1] == "__init__":
            continue
        source, package_parts = parts[1], parts[:-1]
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package_parts[: len(package_parts) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if len(bits) > 1 and bits[0] == "rnnlab" and bits[1] in units \
                        and bits[1] != source:
                    edges.setdefault(source, set()).add(bits[1])
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(unit: str) -> None:
        order[unit] = low[unit] = len(order)
        stack.append(unit)
        for other in edges.get(unit, ()):
            if other not in order:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], order[other])
        if low[unit] == order[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for unit in sorted(edges):
        if unit not in order:
            visit(unit)
    return cycles


def test_function_local_and_relative_imports_make_a_cycle(tmp_path):
    package = tmp_path / "rnnlab"
    for unit in ("a", "b", "c"):
        (package / unit).mkdir(parents=True)
    (package / "a" / "x.py").write_text("def f():\n    from rnnlab.b import y\n")
    (package / "b" / "y.py").write_text("from ..a import x\n")
    (package / "c" / "z.py").write_text("import rnnlab.a.x\n")
    edges = _package_edges(package)
    assert edges == {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _cycles(edges) == [["a", "b"]]


def test_no_import_cycle_among_rnnlab_packages():
    """Imports flow one way (DESIGN.md): no two top-level packages import each other,
    directly or around a loop, function-local imports included."""
    assert _cycles(_package_edges(PACKAGE)) == []


def test_engine_recurrent_nn_import_only_downwards():
    edges = _package_edges(PACKAGE)
    for position, unit in enumerate(BOTTOM):
        above = set(BOTTOM[position + 1 :])
        assert not edges.get(unit, set()) & above, f"{unit} imports {edges[unit] & above}"
