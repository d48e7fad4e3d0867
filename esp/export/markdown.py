"""`esp export markdown`: the ESP table for a wiki or a README.

The table has the seed's columns (Process | Actions | Microservice | Events |
ES Aggregate), one row per process; listeners, projections, sagas and hotspots
follow, and a Mermaid drawing that GitHub and GitLab render. Text from the
journey is escaped, so it cannot become Markdown or HTML markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from esp.export.table import LANES, Cell, Sticky, listener_route, rows
from esp.model import Model, Saga

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: str) -> str:
    """Text as literal Markdown: special characters escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


_MARKS = {
    "process": ("**", "**"),
    "actor": ("👤 ", ""),
    "command": ("🔵 ", ""),
    "query": ("🟢 ", ""),
    "microservice": ("", ""),
    "event": ("🟠 ", ""),
    "integration": ("🟠 ", ""),
    "aggregate": ("🟨 ", ""),
}


def _sticky(sticky: Sticky) -> str:
    before, after = _MARKS[sticky.kind]
    note = ""
    if sticky.note:
        note = " ⇄ *integration*" if sticky.kind == "integration" else f" *({md(sticky.note)})*"
    return f"{before}{md(sticky.text)}{after}{note}"


def _row(cells: tuple[Cell, ...]) -> str:
    return "| " + " | ".join("<br>".join(_sticky(s) for s in cell) or " " for cell in cells) + " |"


def _saga(saga: Saga) -> list[str]:
    lines = [
        f"### Saga {md(saga.name)}",
        "",
        f"Runs in **{md(saga.microservice.name)}**, starts on {md(saga.starts_on.name)}, "
        f"recovers **{saga.recovery}**; completes with {md(saga.completes_with.name)}, "
        f"aborts with {md(saga.aborts_with.name)}.",
        "",
        "| # | step | invokes | succeeds on | fails on | compensation | |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, step in enumerate(saga.steps, start=1):
        marks = ", ".join(m for m, on in (("pivot", step.pivot), ("retriable", step.retriable)) if on)
        lines.append(
            f"| T{number} | {md(step.name)} | {md(step.invoke.name)} | {md(step.succeeds_on.name)} | "
            f"{md(step.fails_on.name) if step.fails_on else '—'} | "
            f"{f'C{number}: ' + md(step.compensate.name) if step.compensate else '—'} | {marks} |"
        )
    return [*lines, ""]


def markdown(model: Model, mermaid: str | None = None, changes: Sequence[tuple[str, str, str]] = ()) -> str:
    """The whole page; ``mermaid`` is a diagram to embed (e.g. the ESP map); ``changes``
    the live board's change log as (when, who, what)."""
    lines = [f"# User journey: {md(model.name)}", ""]
    for journey in model.journeys:
        if journey.description:
            lines += [md(journey.description), ""]
    lines += [
        "| " + " | ".join(LANES) + " |",
        "|---|---|---|---|---|",
        *(_row(cells) for cells in rows(model)),
        "",
        "🔵 command · 🟢 query · 🟠 event (⇄ integration event) · 🟨 event-sourced aggregate",
        "",
    ]
    if mermaid:
        lines += ["```mermaid", mermaid.rstrip("\n"), "```", ""]
    if model.types:
        lines += ["## Value objects", "", "| type | fields | |", "|---|---|---|"]
        lines += [
            f"| {md(vo.key)} | {', '.join(md(f'{f.name}: {f.type}') for f in vo.fields)} | {md(vo.description)} |"
            for vo in model.types
        ]
        lines.append("")
    if model.listeners:
        lines += ["## Listeners", "", "| on event | in | issues | |", "|---|---|---|---|"]
        lines += [
            f"| {md(model.label(li.on))} | {md(li.microservice.name)} | {md(li.command.name)} | "
            f"{md(listener_route(li))} |"
            for li in model.listeners
        ]
        lines.append("")
    if model.projections:
        lines += ["## Projections", "", "| projection | in | built from |", "|---|---|---|"]
        lines += [
            f"| {md(p.name)} | {md(p.microservice.name)} | {', '.join(md(model.label(e)) for e in p.sources)} |"
            for p in model.projections
        ]
        lines.append("")
    if model.sagas:
        lines += ["## Sagas", ""]
        for saga in model.sagas:
            lines += _saga(saga)
    if model.hotspots:
        lines += ["## Hotspots", ""]
        lines += [f"- ❓ {md(h.text)}" + (f" *(about {md(h.about)})*" if h.about else "") for h in model.hotspots]
        lines.append("")
    if changes:
        lines += ["## Workshop changes", "", "| when (UTC) | who | what |", "|---|---|---|"]
        lines += [f"| {md(when)} | {md(who)} | {md(what)} |" for when, who, what in changes]
        lines.append("")
    return "\n".join(lines)
