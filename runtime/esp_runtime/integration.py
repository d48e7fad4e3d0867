"""Integration events: the events other microservices read, with a stable name, a version and a JSON form."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Self
from uuid import UUID

from esp_runtime.evolution import upcast


class IntegrationEvent:
    """An event other microservices read: a stable name, a version and a JSON form."""

    NAME: ClassVar[str]
    VERSION: ClassVar[int]

    def to_json(self) -> str:
        """The event as JSON: its name, version and data (ids, decimals and dates as text)."""
        data = {key: _encode(value) for key, value in sorted(vars(self).items())}
        return json.dumps({"name": self.NAME, "version": self.VERSION, "data": data}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The event read back from ``to_json``'s form, of this version or another: an
        earlier version goes through the event's upcasters (generated from its history),
        a later one is read by the fields this version knows. Another event's message,
        or one that lacks a field this version needs, is refused (ValueError)."""
        message = json.loads(text)
        version = message.get("version")
        if message.get("name") != cls.NAME or not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"not a {cls.NAME} message: {message.get('name')} v{version}")
        hints = typing.get_type_hints(cls)
        hints["originator_id"] = UUID
        data = dict(message["data"])
        if version < cls.VERSION:
            upcast(cls, data, version)
        elif version > cls.VERSION:  # a newer publisher: what it added is not ours to read
            data = {key: value for key, value in data.items() if key in hints}
        values = {key: _decode(value, hints.get(key, Any)) for key, value in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"a {cls.NAME} v{version} message does not fit v{cls.VERSION}: {exc}") from None


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a value object: its fields
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    if hint in (datetime, date, UUID, Decimal) and isinstance(value, hint):
        return value  # already decoded, e.g. a default an upcaster filled in
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(value, inner[0]) if inner else value
    if origin is list:
        (inner_hint,) = typing.get_args(hint)
        return [_decode(v, inner_hint) for v in value]
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint in (UUID, Decimal):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):  # a value object
        hints = typing.get_type_hints(hint)
        return hint(**{key: _decode(item, hints.get(key, Any)) for key, item in value.items()})
    return value
