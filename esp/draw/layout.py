"""Running Graphviz's ``dot`` program: DOT source in, SVG, PNG or PDF out.

``dot`` is a program, not a Python module, so its absence is the user's
problem to fix (exit 2 with how to install it), found before anything runs.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from esp.errors import UserError

INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz; see https://graphviz.org/download/), "
    "or choose --format dot, mermaid or html, which need no Graphviz"
)
LAID_OUT = ("svg", "png", "pdf")
MIN_SCALE = 0.5  # a bitmap shrunk further than this is unreadable: refuse rather than draw it
_PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z\)")  # as long as its replacement: offsets hold
_SHRUNK = re.compile(r"too large for cairo-renderer bitmaps\. Scaling by ([0-9.]+)")
# A laid-out graph (``dot -Tdot``) -> the edges placed on it, each as a DOT statement and as SVG.
Finish = Callable[[str], list[tuple[str, str]]]
MAX_WORKERS: int | None = None  # dot processes at once for a paged drawing (None: one per CPU)


class LayoutFailed(UserError):
    """dot could not lay out a drawing, whatever lines it was asked for: a page that holds
    several drawings shows this one as failed (:func:`failure_svg`) and the others."""


def dot_program() -> str | None:
    """The path of ``dot`` on PATH, or None."""
    return shutil.which("dot")


# dot's spline router can fail on graphs with boxes (Graphviz 2.43: "triangulation
# failed", "lost edge"): then the same graph is laid out again with simpler lines,
# and at last without drawing the boxes, rather than not at all.
ATTEMPTS: tuple[tuple[str, ...], ...] = (
    (),
    ("-Gsplines=polyline",),
    ("-Gsplines=line",),
    ("-Gsplines=line", "-Gclusterrank=none"),
)


def run(source: str, fmt: str, finish: Finish | None = None) -> bytes:
    """Lay out and render DOT ``source`` as ``fmt`` (svg, png or pdf).

    With ``finish``, the laid-out graph (``dot -Tdot``: every position fixed) is
    handed to it for more edges, already placed. For SVG they are written into
    dot's own drawing (one ``dot`` run for both); for PNG and PDF, ``neato -n2``
    renders the whole graph as laid out.
    """
    program = dot_program()
    if program is None:
        raise UserError(f"drawing {fmt} needs Graphviz's dot program, which is not on PATH", hint=INSTALL_HINT)
    if finish is None:
        return _checked(_dot(program, source, [f"-T{fmt}"]), fmt)
    if fmt == "svg":
        both = _dot(program, source, ["-Tsvg", "-Tdot"]).stdout.decode("utf-8")
        end = both.index("</svg>") + len("</svg>\n")
        svg, placed = both[:end], both[end:]
        first_node = svg.find('class="node"')
        at = svg.rfind("<g ", 0, first_node) if first_node >= 0 else svg.rindex("</g>")
        return (svg[:at] + "".join(group + "\n" for _, group in finish(placed)) + svg[at:]).encode("utf-8")
    placed = _dot(program, source, ["-Tdot"]).stdout.decode("utf-8")
    whole = placed[: placed.rindex("}")] + "".join(line + "\n" for line, _ in finish(placed)) + "}\n"
    neato = shutil.which("neato", path=os.path.dirname(program)) or "neato"
    return _checked(_dot(neato, whole, ["-n2", f"-T{fmt}"]), fmt)


def _dot(program: str, source: str, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """``program`` run on ``source`` (the same input gives the same output: a live
    board redrawing a paged map lays out again only the pages that changed)."""
    return _dot_once(program, source, tuple(args))


@functools.lru_cache(maxsize=64)
def _dot_once(program: str, source: str, args: tuple[str, ...]) -> subprocess.CompletedProcess[bytes]:
    """``program`` run on ``source``, tried again with simpler lines when it fails."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}  # a cairo that reads it dates PDFs 1970 (see _PDF_DATE)
    first = ""
    for extra in ATTEMPTS:
        done = subprocess.run(
            [program, *args, *extra], input=source.encode(), capture_output=True, env=env, check=False
        )
        if done.returncode == 0:
            return done
        first = first or _reason(done.stderr.decode(errors="replace"), done.returncode)
    raise LayoutFailed(
        f"Graphviz's dot could not lay out this drawing: {first}",
        hint="draw a part of it (--process NAME or --microservice NAME), or choose --format dot, mermaid or"
        " html, which need no layout by esp; please report it with the journey",
    )


def _checked(done: subprocess.CompletedProcess[bytes], fmt: str) -> bytes:
    """The output, unless Graphviz shrank a bitmap past reading."""
    shrink = _SHRUNK.search(done.stderr.decode(errors="replace"))
    if shrink is not None and float(shrink[1]) < MIN_SCALE:
        raise UserError(
            f"the drawing is too large for one {fmt}: Graphviz would shrink it to {float(shrink[1]):.0%}"
            " (bitmaps stop at 32,767 pixels a side), too small to read",
            hint="draw it as svg, html or pdf, or a part of it with --process NAME or --microservice NAME",
        )
    if fmt == "pdf":  # cairo stamps the time of day; the same bytes for the same model need a fixed one
        return _PDF_DATE.sub(b"/CreationDate (D:19700101000000Z)", done.stdout)
    return done.stdout


def _reason(stderr: str, code: int) -> str:
    """dot's first error line (it prints many), or how it ended."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("Warning")]
    return (errors or lines or [f"exit status {code}"])[0]


def failure_svg(view: str, message: str) -> str:
    """An SVG that says the view could not be drawn, and why: what a page shows in
    the drawing's place (the live board, an HTML export) instead of nothing."""
    from xml.sax.saxutils import escape

    lines = [f"The {view} view could not be drawn.", *textwrap.wrap(message, 90)]
    texts = "".join(
        f'<text x="16" y="{28 + 20 * i}" font-size="{15 if i == 0 else 13}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    height = 28 + 20 * len(lines)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" viewBox="0 0 720 {height}"'
        ' class="failure" font-family="Helvetica,Arial,sans-serif">'
        f'<rect x="1" y="1" width="718" height="{height - 2}" fill="#fff3f3" stroke="#c62828" stroke-dasharray="6 3"/>'
        f"{texts}</svg>"
    )


def run_many(jobs: list[Callable[[], str]]) -> list[str]:
    """The result of each job (drawing one page), in order, with one ``dot`` at a time per CPU.

    One process per graph: dot can render several graphs from one input, but
    then the later ones are not laid out the same from run to run.
    """
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(MAX_WORKERS or os.cpu_count() or 1, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([^"]+)"')
_NAMESPACES = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


@dataclass(frozen=True)
class Page:
    """One page of a stacked drawing: its size and what it draws, to be placed at some height."""

    width: float
    height: float
    view_box: str
    body: str

    def at(self, top: float) -> str:
        """The page as an element of the stacked SVG, ``top`` units down."""
        return f'<svg x="0" y="{top:g}" {self.size}>{self.body}</svg>'

    def alone(self) -> str:
        """The page as an SVG document of its own (a live board fetches only the pages that changed)."""
        return f"<svg {_NAMESPACES} {self.size}>{self.body}</svg>"

    @property
    def size(self) -> str:
        return f'width="{self.width:g}" height="{self.height:g}" viewBox="{self.view_box}"'


def page(document: str, number: int) -> Page:
    """Page ``number`` (from 1) of a stacked drawing, from ``dot``'s SVG ``document``."""
    size = _SIZE.search(document)
    if size is None:
        raise RuntimeError("unexpected SVG from dot: no size")
    body = document[document.index(">", size.end()) + 1 : document.rindex("</svg>")]
    return Page(float(size[1]), float(size[2]), size[3], body.replace('id="graph0"', f'id="page{number}"'))


def stack(documents: list[str]) -> str:
    """One SVG of the given SVG documents, one under the other, left-aligned."""
    return stacked([page(doc, number) for number, doc in enumerate(documents, start=1)])


def stacked(pages: list[Page]) -> str:
    parts, top = [], 0.0
    for each in pages:
        parts.append(each.at(top))
        top += each.height
    width = max(each.width for each in pages)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg width="{width:g}pt" height="{top:g}pt" viewBox="0 0 {width:g} {top:g}" {_NAMESPACES}>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )
