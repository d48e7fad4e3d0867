"""Running Graphviz's ``dot`` program: DOT source in, SVG, PNG or PDF out.

``dot`` is a program, not a Python module, so its absence is the user's
problem to fix (exit 2 with how to install it), found before anything runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from esp.errors import UserError

INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; see https://graphviz.org/download/), "
    "or choose --format dot, mermaid or html, which need no Graphviz"
)
LAID_OUT = ("svg", "png", "pdf")
MIN_SCALE = 0.5  # a bitmap shrunk further than this is unreadable: refuse rather than draw it
_SHRUNK = re.compile(r"too large for cairo-renderer bitmaps\. Scaling by ([0-9.]+)")
MAX_WORKERS: int | None = None  # dot processes at once for a paged drawing (None: one per CPU)


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
    shrink = _SHRUNK.search(done.stderr.decode(errors="replace"))
    if shrink is not None and float(shrink[1]) < MIN_SCALE:
        raise UserError(
            f"the drawing is too large for one {fmt}: Graphviz would shrink it to {float(shrink[1]):.0%}"
            " (bitmaps stop at 32,767 pixels a side), too small to read",
            hint="draw it as svg, html or pdf, or a part of it with --process NAME or --microservice NAME",
        )
    return done.stdout


def run_many(sources: list[str]) -> list[str]:
    """The SVG of each DOT source, in order, with one ``dot`` at a time per CPU.

    One process per graph: dot can render several graphs from one input, but
    then the later ones are not laid out the same from run to run.
    """
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(MAX_WORKERS or os.cpu_count() or 1, len(sources)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda source: run(source, "svg").decode("utf-8"), sources))


_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([^"]+)"')


def stack(documents: list[str]) -> str:
    """One SVG of the given SVG documents, one under the other, left-aligned."""
    parts, top, width = [], 0.0, 0.0
    for number, doc in enumerate(documents, start=1):
        size = _SIZE.search(doc)
        if size is None:
            raise RuntimeError("unexpected SVG from dot: no size")
        w, h = float(size[1]), float(size[2])
        body = doc[doc.index(">", size.end()) + 1 : doc.rindex("</svg>")]
        body = body.replace('id="graph0"', f'id="page{number}"')
        parts.append(f'<svg x="0" y="{top:g}" width="{w:g}" height="{h:g}" viewBox="{size[3]}">{body}</svg>')
        top += h
        width = max(width, w)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg width="{width:g}pt" height="{top:g}pt" viewBox="0 0 {width:g} {top:g}"'
        ' xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )
