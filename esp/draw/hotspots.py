"""Hotspots (pink stickies) placed beside what they are about, in any view."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from esp.draw.graph import Node, label, node_id
from esp.model import Model
from esp.names import snake


def hotspot_nodes(model: Model, drawn: Sequence[Node]) -> Iterator[tuple[Node, str | None]]:
    """Each hotspot as a node, with the id of the drawn node it is about (the first
    drawn node whose name matches ``about``), or None."""
    by_name: dict[str, str] = {}
    for node in drawn:
        if node.kind not in ("hotspot", "note", "start", "end"):
            by_name.setdefault(snake(node.label), node.id)
    for number, spot in enumerate(model.hotspots, start=1):
        subject = by_name.get(snake(spot.about)) if spot.about else None
        said = [
            f"about {label(spot.about)}" if subject is not None and spot.about else "",
            f"by {label(spot.by)}" if spot.by else "",
        ]
        node = Node(node_id("hotspot", str(number)), "hotspot", spot.text, ", ".join(s for s in said if s))
        yield node, subject
