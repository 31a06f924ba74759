"""The examples of docs/pipeline.md run as written, one after the other as a reader would
run them, and print what the page shows after each."""

from __future__ import annotations

import contextlib
import io
import re

from doc_examples import DOCS, examples

PAGE = "pipeline.md"


def _shown() -> list[str]:
    """The indented block after each "prints" on the page, unindented."""
    text = (DOCS / PAGE).read_text(encoding="utf-8")
    return [re.sub(r"^    ", "", block, flags=re.M)
            for block in re.findall(r"\nprints\n\n((?:    .*\n)+)", text)]


def test_each_example_prints_what_the_page_shows():
    codes, shown = examples(PAGE, 3), _shown()
    assert len(shown) == len(codes)
    namespace: dict = {"__name__": "docs_example"}
    for code, expected in zip(codes, shown, strict=True):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(DOCS / PAGE), "exec"), namespace)
        assert printed.getvalue().rstrip("\n") == expected.rstrip("\n")
