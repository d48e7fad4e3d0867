"""All terminal output goes through here: colour only on a terminal, never
with NO_COLOR (https://no-color.org), forced with FORCE_COLOR.

Plain ANSI codes rather than rich on the validate path: importing rich would
cost more than validating a journey.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

_CODES = {"red": "31", "yellow": "33", "green": "32", "blue": "34", "bold": "1", "dim": "2", "cyan": "36"}


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


class Printer:
    """Writes lines to a stream, styled when the stream is a colour terminal."""

    def __init__(self, stream: TextIO | None = None, color: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.color = use_color(self.stream) if color is None else color

    def style(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")


def stdout() -> Printer:
    return Printer(sys.stdout)


def stderr() -> Printer:
    return Printer(sys.stderr)
