"""Reading events written by earlier versions: what generated upcasters call.

esp generates, for each event whose history the journey declares, the
eventsourcing library's ``class_version`` and one ``upcast_vN_vM`` static
method per version step; each step renames, widens, fills and drops fields of
the stored state (a dict) in place. ``widen`` converts one value to a wider
type, whether it comes from the event store (already decoded: a ``Decimal``,
a ``UUID``) or from JSON (text), so the same upcasters serve both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore
from eventsourcing.utils import resolve_topic

_WRAPPED = re.compile(r"^(list|optional)\[(.*)\]$")

# The scalar widenings esp accepts (esp.model.WIDENINGS), as conversions.
_CONVERT: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("int", "float"): float,
    ("int", "decimal"): lambda v: v if isinstance(v, Decimal) else Decimal(str(v)),
    ("float", "decimal"): lambda v: v if isinstance(v, Decimal) else Decimal(str(v)),
    ("int", "str"): str,
    ("uuid", "str"): str,
}


def widen(value: Any, old: str, new: str) -> Any:
    """``value``, of type ``old`` (a journey type: "int", "list[int]"...), as type ``new``."""
    if value is None or old == new:
        return value
    outer_new = _WRAPPED.match(new)
    outer_old = _WRAPPED.match(old)
    if outer_new and outer_new.group(1) == "optional":
        inner_old = outer_old.group(2) if outer_old and outer_old.group(1) == "optional" else old
        return widen(value, inner_old, outer_new.group(2))
    if outer_new and outer_old and outer_new.group(1) == outer_old.group(1) == "list":
        return [widen(item, outer_old.group(2), outer_new.group(2)) for item in value]
    convert = _CONVERT.get((old, new))
    if convert is None:
        raise ValueError(f"{old} does not widen to {new}")
    return convert(value)


def rename(state: MutableMapping[str, Any], old: str, new: str) -> None:
    """Move a field to its new name (a state that already has the new name keeps it)."""
    if old in state:
        value = state.pop(old)
        state.setdefault(new, value)


def upcast(cls: type[Any], state: MutableMapping[str, Any], version: int) -> None:
    """Bring ``state``, written at ``version``, up to ``cls.class_version`` through its
    ``upcast_vN_vM`` steps (as the eventsourcing library does for stored events)."""
    current = getattr(cls, "class_version", 1)
    for step in range(version, current):
        getattr(cls, f"upcast_v{step}_v{step + 1}")(state)


# The attribute in which a generated aggregate keeps its class's SHAPE (snapshots copy it).
SHAPE_ATTRIBUTE = "_esp_shape"


class FreshSnapshots(EventStore[UUID]):
    """The snapshot store of a generated service. A snapshot is a cache of an aggregate's
    state; one taken before the aggregate's events changed (its class's ``SHAPE`` differs
    from the one the snapshot carries) is passed over, so the aggregate is rebuilt from its
    events, each upcast, exactly as if no snapshot had been taken."""

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        for snapshot in super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=limit):
            if fresh(snapshot):
                yield snapshot


def fresh(snapshot: DomainEventProtocol[UUID]) -> bool:
    """Whether a snapshot was taken of an aggregate of the same shape as its class now: the same
    versions of its events, and every attribute a new one has (an event added since brings new ones,
    which a snapshot taken before lacks: restored, the aggregate would not have them at all)."""
    state = getattr(snapshot, "state", None)
    topic = getattr(snapshot, "topic", None)
    if not isinstance(state, dict) or not isinstance(topic, str):
        return True
    cls = resolve_topic(topic)
    shape = getattr(cls, "SHAPE", None)
    if shape is not None and state.get(SHAPE_ATTRIBUTE) != shape:
        return False
    return attributes(cls) <= state.keys()


@cache
def attributes(cls: type[Any]) -> frozenset[str]:
    """The attributes a generated aggregate's ``__init__`` (it takes no arguments) gives a new one;
    none are known of another aggregate, whose ``__init__`` wants arguments."""
    probe = object.__new__(cls)
    try:
        cls.__init__(probe)
    except TypeError:
        return frozenset()
    return frozenset(vars(probe))
