"""Drawing a Model: the ESP map and the views a team needs to see its model.

``draw(model, view, fmt)`` is the one entry point. A view module turns the
Model into a small :class:`~esp.draw.graph.Graph`; a back-end turns the Graph
into text (``dot``, ``mermaid``, ``html``); ``layout`` runs Graphviz's ``dot``
for svg, png and pdf. Heavy work (running dot) happens only for those formats.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from esp.draw import aggregate, context, esp_map, flow, saga
from esp.draw.graph import Graph
from esp.draw.scope import Scope, select
from esp.errors import UserError
from esp.model import Model

VIEWS: MappingProxyType[str, Callable[[Model, Scope], Graph]] = MappingProxyType(
    {
        "esp": esp_map.build,
        "flow": flow.build,
        "context": context.build,
        "saga": saga.build,
        "aggregate": aggregate.build,
    }
)
FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "html")
BINARY = ("png", "pdf")
EXTENSIONS = MappingProxyType(
    {
        ".svg": "svg",
        ".png": "png",
        ".pdf": "pdf",
        ".dot": "dot",
        ".gv": "dot",
        ".mmd": "mermaid",
        ".mermaid": "mermaid",
        ".html": "html",
        ".htm": "html",
    }
)


def graph(model: Model, view: str = "esp", *, process: str | None = None, microservice: str | None = None) -> Graph:
    """The view's graph of the model (or of the part the filters select)."""
    if view not in VIEWS:
        raise UserError(f"unknown view {view!r}", hint="views: " + ", ".join(VIEWS))
    return VIEWS[view](model, select(model, process=process, microservice=microservice))


def draw(
    model: Model,
    view: str = "esp",
    fmt: str = "svg",
    *,
    process: str | None = None,
    microservice: str | None = None,
) -> bytes | str:
    """The drawing as text (svg, dot, mermaid, html) or bytes (png, pdf)."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}", hint="formats: " + ", ".join(FORMATS))
    drawing = graph(model, view, process=process, microservice=microservice)
    return render(drawing, fmt)


def draw_pages(
    model: Model, view: str = "esp", *, process: str | None = None, microservice: str | None = None
) -> list[str]:
    """The drawing as SVG, one document per page (one, unless the view is large): a
    live board sends each page on its own, and again only when it changed."""
    from esp.draw import pages

    return pages.svg_pages(graph(model, view, process=process, microservice=microservice))


def render(drawing: Graph, fmt: str) -> bytes | str:
    from esp.draw import dot, html, mermaid, pages

    if fmt == "dot":
        return dot.render(drawing)
    if fmt == "mermaid":
        return mermaid.render(drawing)
    if fmt == "html":
        return html.render(drawing)
    if fmt == "svg":
        return pages.svg(drawing)
    data = pages.render(drawing, fmt)
    return data if fmt in BINARY else data.decode("utf-8")


def failure_svg(view: str, message: str) -> str:
    """An SVG saying the ``view`` could not be drawn and why (``message``): what a page
    shows in the drawing's place. Needs no Graphviz."""
    from esp.draw.layout import failure_svg as draw_failure

    return draw_failure(view, message)


def format_for(path: Path) -> str:
    """The format a file name asks for: 'map.png' -> 'png'."""
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(
            f"cannot tell the format from {path.name!r}",
            hint="use --format, or one of the extensions " + ", ".join(EXTENSIONS),
        )
    return fmt


__all__ = ["EXTENSIONS", "FORMATS", "VIEWS", "draw", "draw_pages", "failure_svg", "format_for", "graph", "render"]
