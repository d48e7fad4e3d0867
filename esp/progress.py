"""Progress for long work (drawing or generating a large model): a rich
progress bar on a terminal, and nothing at all when the output is piped, in
CI logs or in tests.

    from esp.progress import track

    for view in track(views, "drawing"):
        render(view)

Bars go to stderr, so stdout stays clean for pipes. rich is imported only
when a bar is shown: quiet runs stay fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TextIO, TypeVar

T = TypeVar("T")


def enabled(stream: TextIO | None = None) -> bool:
    """Show bars? Only on a terminal; never with ESP_PROGRESS=0, TERM=dumb or in CI."""
    stream = sys.stderr if stream is None else stream
    if os.environ.get("ESP_PROGRESS") == "0" or os.environ.get("TERM") == "dumb" or os.environ.get("CI"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress(
    total: int | None, description: str, *, stream: TextIO | None = None, show: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps; the context gives ``advance(n=1)``. Silent
    (and rich-free) unless ``show`` or, by default, :func:`enabled`."""
    stream = sys.stderr if stream is None else stream
    if not (enabled(stream) if show is None else show):
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, force_terminal=show or None, no_color=bool(os.environ.get("NO_COLOR")))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def _ignore(n: int = 1) -> None:
    """The quiet bar's advance."""


def track(
    items: Iterable[T], description: str, *, stream: TextIO | None = None, show: bool | None = None
) -> Iterator[T]:
    """Yield ``items``, advancing a bar (see :func:`progress`) after each one."""
    total = len(items) if isinstance(items, Sized) else None
    with progress(total, description, stream=stream, show=show) as advance:
        for item in items:
            yield item
            advance(1)
