"""AsyncAPI 3.0.0: the integration events of a model as an API description.

One channel per *publishing microservice*, not per event: at run time a
consumer follows a microservice's whole notification log (the eventsourcing
library's ProcessApplication follows an upstream application), which keeps a
publisher's events in order for each aggregate. Each channel lists the
messages it carries; a ``send`` operation is the publisher, and one
``receive`` operation per listening microservice names just the messages
that microservice hears (its listeners, projections and sagas).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from esp import names
from esp.export import integration
from esp.export.payload import event_schema
from esp.model import Event, Microservice, Model

VERSION = "3.0.0"
CONTENT_TYPE = "application/json"

Doc = dict[str, Any]


def channel_id(ms: Microservice) -> str:
    """A key the spec allows (letters, digits, ``.-_``): 'Food Menu' -> 'food-menu'."""
    return "-".join(names.words(ms.name)) or "service"


def message_id(event: Event) -> str:
    return names.class_name(event.name)


def document(model: Model, *, api_version: str = "1.0.0") -> Doc:
    """The AsyncAPI document of ``model`` as plain data, in model order."""
    described = [j for j in model.journeys if j.description.strip()]
    if len(described) == 1:
        description = described[0].description.strip()
    else:
        description = "\n\n".join(f"{j.name}: {j.description.strip()}" for j in described)
    info: Doc = {"title": model.name, "version": api_version}
    if description:
        info["description"] = description
    doc: Doc = {"asyncapi": VERSION, "info": info, "defaultContentType": CONTENT_TYPE}
    doc["channels"] = _channels(model)
    doc["operations"] = _operations(model)
    doc["components"] = _components(model)
    return doc


def _channels(model: Model) -> Doc:
    channels: Doc = {}
    for ms, events in integration.published(model):
        cid = channel_id(ms)
        channel: Doc = {"address": f"{cid}.events", "title": f"{names.human(ms.name)} events"}
        if ms.description:
            channel["description"] = f"Integration events published by {ms.name}: {ms.description}"
        channel["messages"] = {message_id(e): {"$ref": f"#/components/messages/{message_id(e)}"} for e in events}
        channels[cid] = channel
    return channels


def _message_refs(events: tuple[Event, ...] | list[Event]) -> list[Doc]:
    return [
        {"$ref": f"#/channels/{channel_id(e.microservice)}/messages/{message_id(e)}"} for e in dict.fromkeys(events)
    ]


def _operations(model: Model) -> Doc:
    ops: Doc = {}
    for ms, events in integration.published(model):
        cid = channel_id(ms)
        ops[f"{names.snake(ms.name)}_publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": f"{ms.name} publishes its integration events.",
            "messages": _message_refs(events),
        }
    by_pair: dict[tuple[Microservice, Microservice], list[integration.Receipt]] = defaultdict(list)
    for receipt in integration.receipts(model):
        by_pair[(receipt.microservice, receipt.event.microservice)].append(receipt)
    for (listener, publisher), receipts in by_pair.items():
        ways = sorted({f"{r.via} {r.name}" for r in receipts})
        ops[f"{names.snake(listener.name)}_receives_from_{names.snake(publisher.name)}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id(publisher)}"},
            "summary": f"{listener.name} hears events of {publisher.name}.",
            "description": "Through " + ", ".join(ways) + ".",
            "messages": _message_refs([r.event for r in receipts]),
        }
    return ops


def _components(model: Model) -> Doc:
    messages: Doc = {}
    schemas: Doc = {}
    for event in integration.integration_events(model):
        mid = message_id(event)
        schemas[mid] = event_schema(event)
        message: Doc = {
            "name": mid,
            "title": names.human(event.name),
            "contentType": CONTENT_TYPE,
            "payload": {"$ref": f"#/components/schemas/{mid}"},
            "x-esp-version": event.version,
            "x-esp-microservice": event.microservice.name,
        }
        if event.aggregate is not None:
            message["x-esp-aggregate"] = event.aggregate.name
        if event.description:
            message["summary"] = event.description.strip()
        messages[mid] = message
    return {"messages": messages, "schemas": schemas}


def dumps(doc: Doc, fmt: str = "yaml") -> str:
    """The document as YAML (block style, in order) or JSON."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    import yaml

    class _Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # repeated schemas stay written out, not &id001
            return True

    return str(yaml.dump(doc, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=100))
