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
from collections.abc import Callable
from typing import Any

from esp import names
from esp.export import integration
from esp.export.payload import event_schema, value_schema
from esp.model import Event, Microservice, Model, ValueType

VERSION = "3.0.0"
CONTENT_TYPE = "application/json"

Doc = dict[str, Any]


def channel_id(ms: Microservice) -> str:
    """A key the spec allows (letters, digits, ``.-_``): 'Food Menu' -> 'food-menu'."""
    return "-".join(names.words(ms.name)) or "service"


def message_id(model: Model, event: Event, version: int | None = None) -> str:
    """The current version's id, 'OrderPlaced'; an earlier one's, 'OrderPlaced.v1'. An event another
    microservice also defines is unique by its qualified name: 'kitchen.OrderPlaced'."""
    mid = names.class_name(event.name)
    if model.shared(event):
        mid = f"{channel_id(event.microservice)}.{mid}"
    return mid if version is None or version == event.version else f"{mid}.v{version}"


def _message_ids(model: Model, event: Event) -> list[str]:
    """Every version a channel may carry: messages logged before the last change are still there."""
    return [message_id(model, event), *(message_id(model, event, v) for v in range(event.version - 1, 0, -1))]


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
        channel["messages"] = {
            mid: {"$ref": f"#/components/messages/{mid}"} for e in events for mid in _message_ids(model, e)
        }
        channels[cid] = channel
    return channels


def _message_refs(model: Model, events: tuple[Event, ...] | list[Event], *, every_version: bool = False) -> list[Doc]:
    """The messages of ``events``: the current version (what a publisher sends), or every
    version (what a consumer reads: the generated reader upcasts earlier ones)."""
    return [
        {"$ref": f"#/channels/{channel_id(e.microservice)}/messages/{mid}"}
        for e in dict.fromkeys(events)
        for mid in (_message_ids(model, e) if every_version else [message_id(model, e)])
    ]


def _operations(model: Model) -> Doc:
    ops: Doc = {}
    for ms, events in integration.published(model):
        cid = channel_id(ms)
        ops[f"{names.snake(ms.name)}_publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": f"{ms.name} publishes its integration events.",
            "messages": _message_refs(model, events),
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
            "messages": _message_refs(model, [r.event for r in receipts], every_version=True),
        }
    return ops


def _value_keys(model: Model) -> dict[ValueType, str]:
    """The key of each value object's schema among the components' schemas: its name (qualified by its
    microservice's channel where another microservice declares the name too: ``order.Address``), unless a
    message has that id (a type named like an event), then ``<name>Value``."""
    taken = {mid for e in integration.integration_events(model) for mid in _message_ids(model, e)}
    keys: dict[ValueType, str] = {}
    for vo in model.types:
        key = f"{channel_id(vo.microservice)}.{vo.name}" if vo.qualified and vo.microservice else vo.name
        while key in taken:
            key += "Value"
        taken.add(key)
        keys[vo] = key
    return keys


def _components(model: Model) -> Doc:
    messages: Doc = {}
    schemas: Doc = {}
    keys = _value_keys(model)

    def refs(vo: ValueType) -> str:
        return f"#/components/schemas/{keys[vo]}"

    used = {vo for e in integration.integration_events(model) for vo in _values_in(e)}
    for event in integration.integration_events(model):
        mid = message_id(model, event)
        schemas[mid] = event_schema(event, refs=refs)
        message: Doc = {
            "name": mid,
            "title": integration.title(model, event),
            "contentType": CONTENT_TYPE,
            "payload": {"$ref": f"#/components/schemas/{mid}"},
            "x-esp-version": event.version,
            "x-esp-compatibility": event.compatibility,
            "x-esp-microservice": event.microservice.name,
        }
        if event.aggregate is not None:
            message["x-esp-aggregate"] = event.aggregate.name
        if event.description:
            message["summary"] = event.description.strip()
        messages[mid] = message
        for version in range(event.version - 1, 0, -1):
            older = message_id(model, event, version)
            messages[older], schemas[older] = _older(model, event, version, refs)
    for vo in model.types:  # the value objects integration events hold, each once
        if vo in used:
            schemas[keys[vo]] = value_schema(vo, refs)
    return {"messages": messages, "schemas": schemas}


def _values_in(event: Event) -> set[ValueType]:
    """The value objects an event's payload holds, at any of its versions, and the ones they hold."""
    found: set[ValueType] = set()
    todo = [f.type.inner.value for v in range(1, event.version + 1) for f in event.fields_at(v)]
    while todo:
        vo = todo.pop()
        if vo is not None and vo not in found:
            found.add(vo)
            todo.extend(vo.uses())
    return found


def _older(model: Model, event: Event, version: int, refs: Callable[[ValueType], str]) -> tuple[Doc, Doc]:
    """An earlier version's message and payload: what its history says it was."""
    mid = message_id(model, event, version)
    later = event.revision(version + 1)
    changed = f" Version {version + 1}: " + "; ".join(later.changes()) + "." if later and later.changes() else ""
    message: Doc = {
        "name": message_id(model, event),
        "title": f"{integration.title(model, event)} (version {version})",
        "summary": f"Version {version} of {event.name}, as messages published before version {version + 1} carry it."
        + changed,
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": f"#/components/schemas/{mid}"},
        "x-esp-version": version,
        "x-esp-microservice": event.microservice.name,
    }
    return message, event_schema(event, version=version, refs=refs)


def dumps(doc: Doc, fmt: str = "yaml") -> str:
    """The document as YAML (block style, in order) or JSON."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    import yaml

    class _Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # repeated schemas stay written out, not &id001
            return True

    return str(yaml.dump(doc, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=100))
