"""The ```python examples of a page in docs/, run as written by the tests that hold each
page to what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def examples(page: str, count: int) -> list[str]:
    """The code of each ```python block of ``docs/<page>``, in order; there must be ``count``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == count, f"docs/{page} should hold {count} examples, has {len(blocks)}"
    return blocks


def run_example(code: str, page: str) -> tuple[dict, str]:
    """Execute one example (the project's own docs) in a fresh namespace: that namespace,
    and what it printed."""
    namespace: dict = {"__name__": "docs_example"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOCS / page), "exec"), namespace)
    return namespace, printed.getvalue()
