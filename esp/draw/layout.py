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


def run_many(sources: list[str]) -> list[str]:
    """The SVG of each DOT source, in order; one ``dot`` per CPU, each given a
    contiguous batch of graphs (dot renders every graph of its input in turn)."""
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(os.cpu_count() or 1, len(sources)))
    size = -(-len(sources) // workers)
    batches = ["\n".join(sources[i : i + size]) for i in range(0, len(sources), size)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(lambda batch: run(batch, "svg").decode("utf-8"), batches))
    documents = [doc for out in outputs for doc in _documents(out)]
    if len(documents) != len(sources):
        raise RuntimeError(f"dot returned {len(documents)} drawings for {len(sources)} graphs")
    return documents


def _documents(output: str) -> list[str]:
    return ["<?xml" + part for part in output.split("<?xml")[1:]]


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
