"""Event Storming colours, shared by every back-end and the legend.

The palette follows the sticky notes of a workshop wall: commands blue,
domain events orange, integration events orange with a heavy double border
and a ⇄ marker, aggregates yellow, queries and read models green, actors
small pale yellow, policies lilac, hotspots pink.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sticky:
    legend: str
    fill: str
    border: str
    shape: str = "box"
    penwidth: float = 1.0
    peripheries: int = 1
    fontsize: int = 11
    marker: str = ""  # prefixed to the note line, e.g. "⇄"
    rounded: bool = False
    dashed: bool = False
    wrap: int = 18  # characters per line


@dataclass(frozen=True)
class Line:
    legend: str
    color: str
    style: str = "solid"  # solid, dashed, dotted, bold
    arrowhead: str = "normal"
    penwidth: float = 1.0  # bold lines are 2


INTEGRATION_MARKER = "⇄"
TIMER_MARKER = "◷"  # a clock face (DejaVu has it, not the hourglass): a timer's note line ("◷ after 1m")
BREAKER_MARKER = "⚡"  # DejaVu has it: a saga step's line about its participant's circuit breaker
LANE_FILL = "#37474f"  # the ESP map's lane titles

STICKIES: dict[str, Sticky] = {
    "process": Sticky("process", "#ffffff", "#555555", penwidth=1.5, fontsize=12),
    "actor": Sticky("actor (user)", "#fff9c4", "#c9b458", fontsize=9, rounded=True),
    "query": Sticky("query", "#c5e1a5", "#689f38"),
    "command": Sticky("command", "#a7c7e7", "#3b6ea5"),
    "compensation": Sticky("compensating command", "#dbe7f3", "#3b6ea5", dashed=True),
    "step": Sticky("saga step", "#a7c7e7", "#3b6ea5"),
    "pivot": Sticky("pivot step", "#a7c7e7", "#1a3d66", penwidth=3.0),
    "parked": Sticky("parked saga run (dead-letter list)", "#ffcdd2", "#c62828", dashed=True),
    "microservice": Sticky("microservice", "#eceff1", "#546e7a", penwidth=1.5, rounded=True),
    "event": Sticky("domain event", "#ffb74d", "#e68a00"),
    "integration": Sticky(
        "integration event", "#ffa726", "#a64d00", penwidth=2.5, peripheries=2, marker=INTEGRATION_MARKER
    ),
    "aggregate": Sticky("ES aggregate", "#fff176", "#c8a600", penwidth=1.5),
    "state": Sticky("aggregate state", "#fffde7", "#c8a600", shape="box", rounded=True),
    "readmodel": Sticky("read model", "#aed581", "#558b2f", rounded=True),
    "listener": Sticky("listener (policy)", "#d1c4e9", "#7e57c2"),
    "timer": Sticky("timer (after a time in a state)", "#ede7f6", "#7e57c2", rounded=True, marker=TIMER_MARKER),
    "saga": Sticky("saga", "#d1c4e9", "#512da8", penwidth=2.0),
    "value": Sticky("value object (its fields)", "#e0f2f1", "#00796b", wrap=24),
    "hotspot": Sticky("hotspot (open question)", "#f8bbd0", "#c2185b", fontsize=10, wrap=24),
    "start": Sticky("start", "#333333", "#333333", shape="circle", fontsize=8),
    "end": Sticky("end", "#ffffff", "#333333", shape="doublecircle", fontsize=8),
    "note": Sticky("note", "#ffffff", "#9e9e9e", dashed=True),
}

LINES: dict[str, Line] = {
    "emits": Line("command emits event", "#3b6ea5"),
    "builds": Line("event builds aggregate", "#c8a600"),
    "listener": Line("listener issues command", "#7e57c2", "bold"),
    "reads": Line("query reads", "#689f38", "dashed"),
    "projects": Line("event feeds read model", "#689f38", "dashed"),
    "next": Line("then", "#555555"),
    "integration": Line("integration event", "#a64d00", "bold"),
    "moves": Line("event moves state", "#e68a00"),
    "fails": Line("fails on", "#c62828", "dashed"),
    "compensates": Line("compensation", "#c62828"),
    "retry": Line("retry (forward recovery)", "#7e57c2", "dashed"),
    "about": Line("hotspot about", "#c2185b", "dashed", "none", penwidth=1.5),
    "saga": Line("saga invokes", "#512da8", "dashed"),
    "records": Line("saga records event", "#512da8", "bold"),
    "timer": Line("timer runs in a state, then issues", "#7e57c2", "dotted"),
}
