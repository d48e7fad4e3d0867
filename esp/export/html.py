"""`esp export html`: one self-contained page for the team — the ESP table in
sticky-note colours, the drawings (inline SVG), listeners, sagas and hotspots.

Nothing is loaded from elsewhere, so the page works offline and can be
attached to a wiki. All text from the journey is HTML-escaped.
"""

from __future__ import annotations

import html

from esp.draw import draw, failure_svg
from esp.draw.html import inline_svg
from esp.draw.layout import LayoutFailed
from esp.draw.style import STICKIES
from esp.export.table import LANES, Sticky, listener_route, rows
from esp.model import Model

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th { background: #37474f; color: #fff; padding: .4rem; text-align: left; }
td { border: 1px solid #cfd8dc; padding: .3rem; vertical-align: top; }
.sticky { display: block; margin: .15rem 0; padding: .2rem .4rem; border: 1px solid; font-size: .9rem; }
.sticky small { display: block; font-size: .7rem; opacity: .8; }
.integration { border-width: 3px; border-style: double; }
.process { font-weight: 700; }
figure { margin: 1rem 0; overflow: auto; border: 1px solid #ddd; padding: .5rem; }
figure svg { max-width: 100%; height: auto; }
ul.hotspots li { background: #f8bbd0; border-left: 4px solid #c2185b; margin: .3rem 0; padding: .2rem .5rem; }
ul.hotspots { list-style: none; }
"""
_VIEWS = (("esp", "The ESP map"), ("flow", "Command → event → listener flow"), ("context", "Context map"))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _sticky(sticky: Sticky) -> str:
    style = STICKIES[sticky.kind]
    note = f"<small>{'⇄ ' if sticky.kind == 'integration' else ''}{_e(sticky.note)}</small>" if sticky.note else ""
    return (
        f'<span class="sticky {sticky.kind}" style="background:{style.fill};border-color:{style.border}">'
        f"{_e(sticky.text)}{note}</span>"
    )


def _table(model: Model) -> str:
    head = "<tr>" + "".join(f"<th>{lane}</th>" for lane in LANES) + "</tr>"
    body = "".join(
        "<tr>" + "".join("<td>" + "".join(_sticky(s) for s in cell) + "</td>" for cell in cells) + "</tr>"
        for cells in rows(model)
    )
    return f"<table>\n{head}\n{body}\n</table>"


def _figures(model: Model) -> list[str]:
    views = [*_VIEWS, ("saga", "Sagas")] if model.sagas else list(_VIEWS)
    return [f"<h2>{title}</h2>\n<figure>{_drawing(model, view)}</figure>" for view, title in views]


def _drawing(model: Model, view: str) -> str:
    """The view as inline SVG; one dot cannot lay out says so in its place, as the live board does,
    and the rest of the page is still written."""
    try:
        return inline_svg(str(draw(model, view, "svg")))
    except LayoutFailed as failed:
        return inline_svg(failure_svg(view, failed.message))


def _lists(model: Model) -> list[str]:
    parts = []
    if model.types:  # as the markdown export lists them: the ESP map's stickies name them
        items = "".join(
            f"<tr><td><b>{_e(vo.key)}</b></td><td>{_e(', '.join(f'{f.name}: {f.type}' for f in vo.fields))}</td>"
            f"<td>{_e(vo.description)}</td></tr>"
            for vo in model.types
        )
        parts.append(f"<h2>Value objects</h2><table><tr><th>type</th><th>fields</th><th></th></tr>{items}</table>")
    if model.listeners:
        items = "".join(
            f"<li>on <b>{_e(model.label(li.on))}</b> in {_e(li.microservice.name)}: <b>{_e(li.command.name)}</b>"
            f"{' (' + _e(listener_route(li)) + ')' if listener_route(li) else ''}</li>"
            for li in model.listeners
        )
        parts.append(f"<h2>Listeners</h2><ul>{items}</ul>")
    if model.hotspots:
        items = "".join(f"<li>{_e(h.text)}</li>" for h in model.hotspots)
        parts.append(f'<h2>Hotspots</h2><ul class="hotspots">{items}</ul>')
    return parts


def page(model: Model) -> str:
    """The whole page; needs Graphviz's dot for the drawings."""
    descriptions = "".join(f"<p>{_e(j.description)}</p>" for j in model.journeys if j.description)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>User journey: {_e(model.name)}</title>",
        f"<style>{_CSS}</style></head>",
        "<body>",
        f"<h1>User journey: {_e(model.name)}</h1>",
        descriptions,
        "<h2>Event Storming Process map</h2>",
        _table(model),
        *_figures(model),
        *_lists(model),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
