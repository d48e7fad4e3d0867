"""Running Graphviz's ``dot`` program: DOT source in, SVG, PNG or PDF out.

``dot`` is a program, not a Python module, so its absence is the user's
problem to fix (exit 2 with how to install it), found before anything runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from esp.errors import UserError

INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; see https://graphviz.org/download/), "
    "or choose --format dot, mermaid or html, which need no Graphviz"
)
LAID_OUT = ("svg", "png", "pdf")


def dot_program() -> str | None:
    """The path of ``dot`` on PATH, or None."""
    return shutil.which("dot")


def run(source: str, fmt: str) -> bytes:
    """Lay out and render DOT ``source`` as ``fmt`` (svg, png or pdf)."""
    program = dot_program()
    if program is None:
        raise UserError(f"drawing {fmt} needs Graphviz's dot program, which is not on PATH", hint=INSTALL_HINT)
    # SOURCE_DATE_EPOCH: cairo then stamps PDFs with a fixed date, so the same model gives the same bytes.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    done = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
