"""The context view: microservices as boxes and what flows between them, a
context map. Integration events heard by another service's listener are
labelled arrows (with the key a listener finds its aggregates by: "(by buyer_id)",
"(for each product_id)"), as are the events that answer a saga; read models fed from
another service, read models asked by another service's queries and a saga's
calls into other services are drawn too, each in its own line style.
"""

from __future__ import annotations

from esp.draw.graph import Edge, Graph, Node, item_label, key_label, label, node_id
from esp.draw.hotspots import hotspot_nodes
from esp.draw.scope import Scope
from esp.draw.style import INTEGRATION_MARKER
from esp.model import Microservice, Model

_Links = dict[tuple[str, str, str], list[str]]  # (from, to, kind) -> labels, in model order


def build(model: Model, scope: Scope) -> Graph:
    links = _links(model)
    chosen = {node_id("microservice", m.name) for m in scope.microservices}
    if not scope.whole:  # the chosen services and their neighbours
        links = {k: v for k, v in links.items() if k[0] in chosen or k[1] in chosen}
    shown = set(chosen) | {end for key in links for end in key[:2]}
    nodes = [_box(model, m) for m in model.microservices if node_id("microservice", m.name) in shown]
    edges = [Edge(src, dst, kind, "\n".join(names)) for (src, dst, kind), names in links.items()]
    for spot, subject in hotspot_nodes(model, nodes):
        if subject is not None:
            nodes.append(spot)
            edges.append(Edge(spot.id, subject, "about"))
    return Graph(
        view="context",
        title=f"Context map: {model.name}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        empty="" if nodes else "No microservices to draw",
        notes=(scope.note,) if scope.note else (),
    )


def _box(model: Model, service: Microservice) -> Node:
    aggregates = ", ".join(label(a.name) for a in model.aggregates_in(service))
    return Node(node_id("microservice", service.name), "microservice", label(service.name), aggregates)


def _add(links: _Links, src: Microservice, dst: Microservice, kind: str, text: str) -> None:
    if src is dst:
        return
    names = links.setdefault((node_id("microservice", src.name), node_id("microservice", dst.name), kind), [])
    if text not in names:
        names.append(text)


def _links(model: Model) -> _Links:
    links: _Links = {}
    for listener in model.listeners:
        marker = f"{INTEGRATION_MARKER} " if listener.on.integration else ""
        found_by = f"\n({key_label(listener)})" if listener.key is not None else ""  # the correlation key, a line
        _add(
            links,
            listener.on.microservice,
            listener.microservice,
            "integration",
            marker + item_label(model, listener.on) + found_by,
        )
    for projection in model.projections:
        for event in projection.sources:
            _add(links, event.microservice, projection.microservice, "projects", item_label(model, event))
    for query in model.queries:  # a service that asks another's read model
        if query.projection is not None:
            _add(links, query.projection.microservice, query.microservice, "reads", label(query.projection.name))
    for saga in model.sagas:  # the saga's calls out, and the events that answer it
        prefix = f"{label(saga.name)}: " if len(model.sagas) > 1 else ""
        for step in saga.steps:
            for command in (step.invoke, step.compensate):
                if command is not None:
                    _add(links, saga.microservice, command.microservice, "saga", prefix + item_label(model, command))
            for answer in (step.succeeds_on, step.fails_on):
                if answer is not None:
                    marker = f"{INTEGRATION_MARKER} " if answer.integration else ""
                    _add(
                        links, answer.microservice, saga.microservice, "integration", marker + item_label(model, answer)
                    )
    return links
