"""Event payloads as JSON Schema: the one type mapping every exporter uses.

``decimal`` becomes a *string* with a decimal pattern, not a JSON number:
most JSON parsers read numbers as IEEE doubles, so 0.1 + 0.2 money would
drift on the consumer's side; the eventsourcing library's transcoder writes
``Decimal`` as a string too. ``format: decimal`` names the intent for tools
that know it (unknown formats are ignored by JSON Schema validators).
"""

from __future__ import annotations

from typing import Any

from esp import names
from esp.model import Event, FieldType

JsonSchema = dict[str, Any]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

_SCALARS: dict[str, JsonSchema] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "decimal": {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "uuid": {"type": "string", "format": "uuid"},
}


def is_optional(ftype: FieldType) -> bool:
    return ftype.name == "optional"


def type_schema(ftype: FieldType) -> JsonSchema:
    """The JSON Schema of one field type; ``optional[T]`` is T or null."""
    if ftype.name == "list":
        assert ftype.of is not None
        return {"type": "array", "items": type_schema(ftype.of)}
    if ftype.name == "optional":
        assert ftype.of is not None
        inner = type_schema(ftype.of)
        kind = inner["type"]
        kinds = list(kind) if isinstance(kind, list) else [kind]
        return {**inner, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    return dict(_SCALARS[ftype.name])


def event_schema(event: Event, *, draft: str | None = None, version: int | None = None) -> JsonSchema:
    """The payload of ``event`` (at an earlier ``version``, read back through its
    history): the aggregate's id first, then the event's fields.

    Optional fields are left out of ``required`` (and may be null); every
    other field is required. Extra properties are refused so that a consumer
    notices a producer that changed the event without a new version.
    """
    properties: JsonSchema = {}
    required: list[str] = []
    aggregate = event.aggregate
    if aggregate is not None:
        ident = names.field_name(aggregate.identity)
        properties[ident] = {
            **_SCALARS["uuid"],
            "description": f"The id of the {names.human(aggregate.name)} this event belongs to.",
        }
        required.append(ident)
    for fld in event.fields if version is None else event.fields_at(version):
        key = names.field_name(fld.name)
        properties[key] = type_schema(fld.type)
        if not is_optional(fld.type) and key not in required:
            required.append(key)
    schema: JsonSchema = {}
    if draft is not None:
        schema["$schema"] = draft
    schema.update(
        {
            "title": names.class_name(event.name),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
    )
    if event.description:
        schema["description"] = event.description
    return schema
