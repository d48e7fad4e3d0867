"""The HTML back-end: one page with the title, a legend and the drawing.

With Graphviz's ``dot`` the page is self-contained: the SVG is inline. Without
it the page carries the Mermaid source and loads Mermaid from a CDN to draw it
in the browser. Every text from the journey is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from esp.draw import layout, mermaid, pages
from esp.draw.graph import Graph
from esp.draw.style import LINES, STICKIES

MERMAID_CDN = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs"
_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
p.note { color: #555; margin: .2rem 0; }
figure { margin: 1rem 0; overflow: auto; border: 1px solid #ddd; padding: .5rem; }
figure svg { max-width: 100%; height: auto; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
ul.legend li { display: flex; align-items: center; gap: .4rem; font-size: .85rem; }
.swatch { display: inline-block; width: 1.6rem; height: 1rem; border: 1px solid; text-align: center; font-size: .7rem; }
.stroke { display: inline-block; width: 1.8rem; border-top-width: 3px; }
"""


def render(graph: Graph) -> str:
    """The page: inline SVG when ``dot`` is installed, else Mermaid drawn in the browser."""
    if layout.dot_program() is not None:
        return page(graph, figure=inline_svg(pages.svg(replace(graph, legend=False))))  # the page has its own legend
    source = html.escape(mermaid.render(graph), quote=False)
    figure = f'<pre class="mermaid">\n{source}</pre>\n<script type="module">\n'
    figure += (
        f'import mermaid from "{MERMAID_CDN}";\nmermaid.initialize({{ startOnLoad: true, securityLevel: "strict" }});\n'
    )
    figure += "</script>"
    return page(
        graph, figure=figure, note="Drawn by Mermaid in the browser (install Graphviz for a self-contained page)."
    )


def inline_svg(document: str) -> str:
    """The <svg> element alone: no XML declaration or doctype inside HTML."""
    start = document.find("<svg")
    return re.sub(r"<!--.*?-->\n?", "", document[start:], flags=re.DOTALL).strip()


def page(graph: Graph, *, figure: str, note: str = "") -> str:
    notes = [*graph.notes, note] if note else list(graph.notes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(graph.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(graph.title)}</h1>",
        *(f'<p class="note">{html.escape(n)}</p>' for n in notes),
        legend(graph),
        f"<figure>\n{figure}\n</figure>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def legend(graph: Graph) -> str:
    items = []
    for kind in graph.kinds:
        if kind in ("start", "end", "note"):
            continue
        s = STICKIES[kind]
        border = f"{'3px double' if s.peripheries > 1 else '1px solid'} {s.border}"
        items.append(
            f'<li class="{kind}"><span class="swatch" style="background:{s.fill};border:{border}">'
            f"{html.escape(s.marker)}</span>{html.escape(s.legend)}</li>"
        )
    for kind in graph.edge_kinds:
        line = LINES[kind]
        style = {"bold": "solid", "dashed": "dashed", "dotted": "dotted"}.get(line.style, "solid")
        items.append(
            f'<li class="edge-{kind}"><span class="stroke" style="border-top-style:{style};'
            f'border-top-color:{line.color}"></span>{html.escape(line.legend)}</li>'
        )
    return '<ul class="legend">\n' + "\n".join(items) + "\n</ul>"
