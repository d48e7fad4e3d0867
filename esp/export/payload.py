"""Event payloads as JSON Schema: the one type mapping every exporter uses.

``decimal`` becomes a *string* with a decimal pattern, not a JSON number:
most JSON parsers read numbers as IEEE doubles, so 0.1 + 0.2 money would
drift on the consumer's side; the eventsourcing library's transcoder writes
``Decimal`` as a string too. ``format: decimal`` names the intent for tools
that know it (unknown formats are ignored by JSON Schema validators).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from esp import names
from esp.model import Event, FieldType, ValueType

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


# Where a value object's schema is (a JSON pointer, ``#/components/schemas/Money``), for a document that
# declares each once; None: written out where it is used.
Refs = Callable[[ValueType], str] | None


def type_schema(ftype: FieldType, refs: Refs = None) -> JsonSchema:
    """The JSON Schema of one field type; ``optional[T]`` is T or null; a value object is an object of its
    fields (or a reference to its schema, with ``refs``)."""
    if ftype.name == "list":
        assert ftype.of is not None
        return {"type": "array", "items": type_schema(ftype.of, refs)}
    if ftype.name == "optional":
        assert ftype.of is not None
        inner = type_schema(ftype.of, refs)
        if "type" not in inner:  # a reference
            return {"oneOf": [inner, {"type": "null"}]}
        kind = inner["type"]
        kinds = list(kind) if isinstance(kind, list) else [kind]
        return {**inner, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    if ftype.value is not None:
        return {"$ref": refs(ftype.value)} if refs is not None else value_schema(ftype.value)
    return dict(_SCALARS[ftype.name])


def value_schema(vo: ValueType, refs: Refs = None) -> JsonSchema:
    """A value object's JSON form: an object of its fields, as the generated code writes it (an optional
    field may be null)."""
    properties = {names.field_name(f.name): type_schema(f.type, refs) for f in vo.fields}
    schema: JsonSchema = {"title": vo.key, "type": "object", "properties": properties}
    schema["required"] = list(properties)  # the generated code writes every field, None as null
    schema["additionalProperties"] = False
    if vo.description:
        schema["description"] = vo.description
    return schema


def event_schema(
    event: Event, *, draft: str | None = None, version: int | None = None, refs: Refs = None
) -> JsonSchema:
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
        properties[key] = type_schema(fld.type, refs)
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
