"""The small graph every view builds and every back-end renders.

Views (``esp_map``, ``flow``, ``context``, ``saga``, ``aggregate``) turn the
Model into a :class:`Graph`; renderers (``dot``, ``mermaid``, ``html``) turn a
Graph into text. Keeping this in between means a view never knows DOT or
Mermaid syntax, and a back-end never looks at the Model.

Everything is a tuple built in model order, and node ids come from names, so
the same model always gives the same graph (and the same bytes).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from esp.model import Aggregate, Command, Event, Listener, Model, Query
from esp.names import human, snake

WRAP = 18  # characters per line on a sticky: about the width of a real one


@dataclass(frozen=True)
class Node:
    """A sticky note: ``kind`` picks its colour and shape (see ``style``)."""

    id: str
    kind: str
    label: str
    note: str = ""  # a smaller second line: "integration", "pivot", "in kitchen"


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    kind: str  # picks colour and line style (see ``style.EDGES``)
    label: str = ""
    constraint: bool = True  # False: the edge must not push the layout (listeners across rows)
    routed: bool = False  # drawn after the layout through free space (``routes``): listeners across the map


@dataclass(frozen=True)
class Group:
    """A labelled box around nodes: a microservice, a saga, an aggregate."""

    id: str
    label: str
    kind: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One process of the ESP map: the node ids in each of the five lanes."""

    id: str
    label: str
    cells: tuple[tuple[str, ...], ...]
    title: str = ""  # shown on the row's box; process rows name themselves in their first sticky


@dataclass(frozen=True)
class Graph:
    view: str
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    groups: tuple[Group, ...] = ()
    lanes: tuple[str, ...] = ()  # the ESP map's lane titles; with ``rows``, a grid
    rows: tuple[Row, ...] = ()
    same_rank: tuple[tuple[str, ...], ...] = ()  # nodes to keep side by side (saga T/C ladder)
    layers: tuple[tuple[str, ...], ...] = ()  # every node's layer, in order (the flow view's time)
    direction: Literal["LR", "TB"] = "LR"
    empty: str = ""  # why the view has nothing to show ("No sagas in this model")
    notes: tuple[str, ...] = field(default=())  # lines under the title (filters applied)
    legend: bool = True
    page: int = 0  # in a drawing split into pages (``pages``), this one's number from 1

    @property
    def suffix(self) -> str:
        """Keeps the ids a back-end makes up (lane titles) unique across pages."""
        return f"-p{self.page}" if self.page > 1 else ""

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Node kinds used, in first-use order (for a legend of only what is drawn)."""
        return tuple(dict.fromkeys(n.kind for n in self.nodes))

    @property
    def edge_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.kind for e in self.edges))


_ID_UNSAFE = re.compile(r"[^a-z0-9_]+")


@functools.lru_cache(maxsize=32768)  # a live board builds the graph of a big model after every change
def node_id(kind: str, name: str, *more: str) -> str:
    """A stable id from the kind and the name: ('command', 'Open Table') -> 'command-open_table'."""
    parts = [snake(name) or "x", *(snake(m) or _ID_UNSAFE.sub("_", m.lower()) for m in more)]
    return "-".join([kind, *parts])


def item_id(model: Model, kind: str, item: Aggregate | Command | Event | Query, *more: str) -> str:
    """The node id of an aggregate, command or event: with its microservice where another microservice
    defines the same name (bounded contexts), so that the two are two stickies, not one."""
    if model.shared(item):
        return node_id(kind, item.name, item.microservice.name, *more)
    return node_id(kind, item.name, *more)


def item_label(model: Model, item: Aggregate | Command | Event | Query) -> str:
    """A sticky's text for an aggregate, command or event: qualified by its microservice where another
    microservice defines the same name ('kitchen.Restaurant Created')."""
    if model.shared(item):
        return f"{item.microservice.name}.{label(item.name)}"
    return label(item.name)


@functools.lru_cache(maxsize=32768)
def label(name: str) -> str:
    """A sticky's text for people: 'OpenTable' -> 'Open Table'."""
    return human(name)


def wrap(text: str, width: int = WRAP) -> list[str]:
    """Lines of at most ``width`` characters, so long names never widen a lane.

    Lines break between words, or after an underscore or a hyphen inside one
    ("awaiting_" / "acceptance"), never inside a word: a word longer than
    ``width`` keeps a line of its own.
    """
    flat = " ".join(text.split())
    if len(flat) <= width:  # most stickies: nothing to do
        return [flat]
    lines: list[str] = []
    line = ""
    for word in flat.split(" "):
        for i, piece in enumerate(_PIECE.findall(word)):
            glue = "" if i else " "
            if line and len(line) + len(glue) + len(piece) > width:
                lines.append(line)
                line = piece
            else:
                line = f"{line}{glue}{piece}" if line else piece
    lines.append(line)
    return lines


_PIECE = re.compile(r"[^_-]+[_-]*|[_-]+")  # a word's parts, each ending at an underscore or hyphen


def key_label(listener: Listener) -> str:
    """How a listener finds the aggregates its command goes to, when by a key: 'by buyer_id', 'for each
    product_id' (a fan-out: one command per aggregate found)."""
    if listener.key is None:
        return ""
    return f"for each {listener.key}" if listener.each else f"by {listener.key}"


def keys_note(aggregate: Aggregate) -> str:
    """The keys an aggregate is found by, one a line: 'key: buyer_id (unique)', 'key: product_id (many)'."""
    return "\n".join(f"key: {k.name} ({'unique' if k.unique else 'many'})" for k in aggregate.keys)
