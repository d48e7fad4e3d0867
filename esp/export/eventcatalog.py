"""EventCatalog: a folder of domains, services and events with MDX pages.

The layout (https://www.eventcatalog.dev/docs): ``domains/<id>/index.mdx``,
``services/<id>/index.mdx``, ``events/<id>/index.mdx`` with ``schema.json``
beside it. Each journey is a domain (the microservices that take part in
it); each microservice a service that *sends* its integration events and
*receives* those its listeners, projections and sagas hear; each integration
event an event with its payload schema (the same mapping as AsyncAPI).

Text from the journeys goes into YAML frontmatter (quoted by the YAML
dumper) or into the MDX body with markdown and JSX punctuation escaped, so a
description can never become a JSX expression or a component.
"""

from __future__ import annotations

import json
import re
from typing import Any

from esp import names
from esp.export import integration
from esp.export.payload import event_schema
from esp.model import Aggregate, Event, Journey, Microservice, Model

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SERVICE_VERSION = "1.0.0"
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")  # markdown emphasis/links/code, JSX braces and tags
_BULLET = re.compile(r"^([-+=])")  # would start a list or underline a heading
_NUMBERED = re.compile(r"^(\d+)([.)])")  # would start a numbered list


def slug(name: str) -> str:
    return "-".join(names.words(name)) or "unnamed"


def event_id(model: Model, event: Event) -> str:
    """An integration event's id: its class name, qualified by its microservice where another microservice
    defines the same name ('kitchen.RestaurantCreated')."""
    cls = names.class_name(event.name)
    return f"{slug(event.microservice.name)}.{cls}" if model.shared(event) else cls


def event_version(event: Event, version: int | None = None) -> str:
    return f"{event.version if version is None else version}.0.0"


def mdx_text(text: str) -> str:
    """Plain text for an MDX body: markdown and JSX punctuation escaped."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _NUMBERED.sub(r"\1\\\2", _BULLET.sub(r"\\\1", escaped))


def _page(front: dict[str, Any], body: list[str]) -> str:
    import yaml

    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{head}---\n\n" + "\n\n".join(body) + "\n"


def _ref(ident: str, version: str) -> dict[str, str]:
    return {"id": ident, "version": version}


CONFIG = "eventcatalog.config.js"


def config(model: Model) -> str:
    """A minimal eventcatalog.config.js, so the folder builds as it is. The title
    is a JSON string literal (data, never code); the catalog id is derived from
    the model's name, so the file is the same on every export."""
    import uuid

    cid = uuid.uuid5(uuid.NAMESPACE_URL, f"esp:{model.name}")
    title = json.dumps(f"{model.name} events", ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
    return (
        "// Written once by esp export eventcatalog; edit freely (esp never overwrites it).\n"
        "export default {\n"
        f"  cId: {json.dumps(str(cid))},\n"
        f"  title: {title},\n"
        '  organizationName: "esp",\n'
        '  output: "static",\n'
        "};\n"
    )


def files(model: Model) -> dict[str, str]:
    """Every file of the catalog, by its path relative to the catalog folder."""
    out: dict[str, str] = {CONFIG: config(model)}
    for journey in model.journeys:
        out[f"domains/{slug(journey.name)}/index.mdx"] = _domain(journey)
    sends = dict(integration.published(model))
    receives = dict(integration.received(model))
    for ms in model.microservices:
        out[f"services/{slug(ms.name)}/index.mdx"] = _service(
            model, ms, model.aggregates_in(ms), sends.get(ms, ()), receives.get(ms, ())
        )
    for event in integration.integration_events(model):
        folder = f"events/{event_id(model, event)}"
        out[f"{folder}/index.mdx"] = _event(model, event)
        out[f"{folder}/schema.json"] = json.dumps(event_schema(event, draft=DRAFT_07), indent=2) + "\n"
        for version in range(1, event.version):  # EventCatalog's versioned/<version>/ folders
            older = f"{folder}/versioned/{version}.0.0"
            out[f"{older}/index.mdx"] = _event(model, event, version)
            schema = event_schema(event, draft=DRAFT_07, version=version)
            out[f"{older}/schema.json"] = json.dumps(schema, indent=2) + "\n"
    return out


def _summary(text: str, fallback: str) -> str:
    return " ".join(text.split()) or fallback


def _domain(journey: Journey) -> str:
    services = list(dict.fromkeys(p.microservice for p in journey.processes))
    front = {
        "id": slug(journey.name),
        "name": journey.name,
        "version": SERVICE_VERSION,
        "summary": _summary(journey.description, f"The {journey.name} journey."),
        "services": [_ref(slug(ms.name), SERVICE_VERSION) for ms in services],
        "badges": [{"content": "journey", "backgroundColor": "blue", "textColor": "blue"}],
    }
    actors = ", ".join(a.name for a in journey.actors)
    body = ["## Overview", mdx_text(journey.description or journey.name)]
    if actors:
        body.append(f"Actors: {mdx_text(actors)}")
    body.append("<NodeGraph />")
    return _page(front, body)


def _service(
    model: Model,
    ms: Microservice,
    aggregates: tuple[Aggregate, ...],
    sends: tuple[Event, ...],
    receives: tuple[Event, ...],
) -> str:
    front: dict[str, Any] = {
        "id": slug(ms.name),
        "name": ms.name,
        "version": SERVICE_VERSION,
        "summary": _summary(ms.description, f"The {ms.name} microservice."),
        "sends": [_ref(event_id(model, e), event_version(e)) for e in sends],
        "receives": [_ref(event_id(model, e), event_version(e)) for e in receives],
        "badges": [{"content": "microservice", "backgroundColor": "green", "textColor": "green"}],
    }
    body = ["## Overview", mdx_text(ms.description or ms.name)]
    if aggregates:
        items = "\n".join(f"- {mdx_text(a.name)}: {mdx_text(a.description)}".rstrip(": ") for a in aggregates)
        body += ["## Aggregates", items]
    body.append("<NodeGraph />")
    return _page(front, body)


def _event(model: Model, event: Event, version: int | None = None) -> str:
    """The page of an integration event, at its current or an earlier ``version``."""
    badges = [{"content": "integration event", "backgroundColor": "orange", "textColor": "orange"}]
    front: dict[str, Any] = {
        "id": event_id(model, event),
        "name": integration.title(model, event),
        "version": event_version(event, version),
        "summary": _summary(event.description, f"{names.human(event.name)}, published by {event.microservice.name}."),
        "schemaPath": "schema.json",
        "badges": badges,
    }
    body = ["## Overview", mdx_text(event.description or names.human(event.name))]
    if event.aggregate is not None:
        body.append(
            f"Recorded by the {mdx_text(event.aggregate.name)} aggregate in {mdx_text(event.microservice.name)}."
        )
    body += _versions(event, version)
    body += ["<NodeGraph />", "## Schema", '<SchemaViewer file="schema.json" />']
    return _page(front, body)


def _versions(event: Event, shown: int | None) -> list[str]:
    """What each version changed (from the event's history), up to the one shown."""
    last = event.version if shown is None else shown
    lines = [
        f"- Version {rev.version}: " + mdx_text("; ".join(rev.changes()) or "no change to the fields")
        for rev in event.history
        if rev.version <= last
    ]
    if not lines:
        return []
    promise = f"Compatibility: {mdx_text(event.compatibility)}."
    return ["## Versions", "\n".join(lines), promise]
