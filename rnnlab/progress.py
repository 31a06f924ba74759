"""Progress bars for long reads and inference loops (reading, tagging, evaluating, translating).

Every loop that may run for a while takes ``progress: bool | None``:

- ``None`` (the default, what the command line passes): a bar on standard error when it is
  a terminal, shown only once the loop has run for :data:`AUTO_DELAY` seconds, so short
  runs print nothing and pipes and logs stay clean;
- ``True``: a bar from the start, wherever standard error goes;
- ``False``: no bar.

The bar is tqdm's, with the rate in the loop's unit (sentences/s, words/s). tqdm is
imported only when a bar may be shown.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Protocol

AUTO_DELAY = 2.0  # seconds before an automatic bar appears


class Bar(Protocol):
    """What the loops use of a bar."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...

    def __enter__(self) -> Bar: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> object: ...


class _NoBar:
    """The bar of a loop that shows none."""

    def update(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        return None


def enabled(progress: bool | None) -> bool:
    """Whether a loop given ``progress`` shows a bar: ``None`` means when standard error is
    a terminal."""
    if progress is not None:
        return progress
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(total: int, description: str, unit: str, progress: bool | None) -> Bar:
    """A bar over ``total`` items of ``unit`` (e.g. ``"sent"``, ``"word"``), on standard
    error, removed when the loop ends; a bar that does nothing where ``progress`` says none
    (see the module docstring). Use it as a context manager and ``update(n)`` it."""
    if not enabled(progress):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, leave=False,
                dynamic_ncols=True, file=sys.stderr, delay=AUTO_DELAY if progress is None else 0)
