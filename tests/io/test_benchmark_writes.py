"""The benchmark scripts write their results (reports, JSON, figures) through
:mod:`rnnlab.io.atomic`, like the library: a script stopped mid-write leaves the old result
or the new one. Checked on the source: no ``write_text``/``write_bytes``, no ``open`` for
writing, and ``savefig`` only onto a path from ``atomic_path``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*(ROOT / "benchmarks" / "tasks").glob("*.py"),
                  *(ROOT / "benchmarks" / "speed").glob("*.py")])
KERNEL_CONTROLS = ("/proc/",)  # not files the script produces


def plain_writes(source: str) -> list[str]:
    tree = ast.parse(source)
    atomic_names = {item.optional_vars.id for node in ast.walk(tree)
                    if isinstance(node, ast.With) for item in node.items
                    if isinstance(item.optional_vars, ast.Name)
                    and isinstance(item.context_expr, ast.Call)
                    and getattr(item.context_expr.func, "id", "") == "atomic_path"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
        text = ast.get_source_segment(source, node) or ""
        if any(control in text for control in KERNEL_CONTROLS):
            continue
        plain = name in ("write_text", "write_bytes", "to_csv")
        figure = name == "savefig" and not (node.args and isinstance(node.args[0], ast.Name)
                                            and node.args[0].id in atomic_names)
        opened = (name == "open" and len(node.args) > 1
                  and isinstance(node.args[1], ast.Constant)
                  and str(node.args[1].value).startswith("w"))
        if plain or figure or opened:
            found.append(f"line {node.lineno}: {text[:80]}")
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_results_are_written_atomically(script):
    assert plain_writes(script.read_text(encoding="utf-8")) == []


def test_the_check_sees_a_plain_write():
    source = ("from pathlib import Path\nPath('r.md').write_text('x')\n"
              "fig.savefig('a.png')\nwith atomic_path('b.png') as tmp:\n    fig.savefig(tmp)\n")
    assert [w.split(":")[0] for w in plain_writes(source)] == ["line 2", "line 3"]
