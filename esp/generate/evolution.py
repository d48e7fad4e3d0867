"""The upcasters of an event with a history: eventsourcing's ``upcast_vN_vM`` steps, as source.

Each step brings the stored state of an event (a dict) from the version before
to the next one, in the order the history's entries are applied
(:class:`esp.model.Revision`): renames, widenings, defaults for added fields,
removed fields dropped. Field names go through the one naming pass and into
string literals; a default is a literal of the field's type (``literal``), so
no journey text becomes code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esp.generate.text import UnsafeText, literal, literal_names, pystr
from esp.model import Event, FieldType, Revision
from esp.naming import field_name

# What a generated aggregate module imports from esp_runtime.evolution for its upcasters.
HELPERS = ("rename", "widen")


@dataclass(frozen=True)
class UpcasterV:
    """``upcast_v{version - 1}_v{version}``: a static method of the event class."""

    version: int
    doc: UnsafeText
    lines: tuple[str, ...]  # statements, as source; none for a version that changed nothing stored
    stdlib: frozenset[str] = frozenset()  # the standard-library names they read (an added field's default)

    @property
    def method(self) -> str:
        return f"upcast_v{self.version - 1}_v{self.version}"


def upcasters(event: Event) -> tuple[UpcasterV, ...]:
    """One step per version after the first (eventsourcing walks every step), in order."""
    return tuple(_step(event, version) for version in range(2, event.version + 1))


def _step(event: Event, version: int) -> UpcasterV:
    rev = event.revision(version)
    if rev is None:
        return UpcasterV(version, UnsafeText(f"Version {version} changed nothing stored."), ())
    changes = "; ".join(rev.changes()) or "nothing stored changed"
    doc = f"To version {version}: {changes}."
    after = {f.name: f.type for f in event.fields_at(version)}
    stdlib = frozenset[str]().union(*(literal_names(value, after[name]) for name, value in rev.added))
    return UpcasterV(version, UnsafeText(doc), tuple(_lines(rev, after)), stdlib)


def _lines(rev: Revision, after: dict[str, FieldType]) -> list[str]:
    lines = [_call("", "rename", ["state", _key(old), _key(new)]) for old, new in rev.renamed]
    for name, before in rev.widened:
        key = _key(name)
        lines.append(_call(f"state[{key}] = ", "widen", [f"state[{key}]", pystr(str(before)), pystr(str(after[name]))]))
    lines += [_default(_key(name), value, after[name]) for name, value in rev.added]
    lines += [_call("", "state.pop", [_key(f.name), "None"]) for f in rev.removed]
    return lines


# Where aggregates.py.j2 prints an upcaster's statements, and the generated packages' line length: a
# statement that does not fit is written the way ruff format leaves it (tests/test_evolution_generate.py).
INDENT = 12
WIDTH = 120


def _call(prefix: str, callee: str, args: list[str]) -> str:
    """``prefix callee(args)``; when too long, one argument a line with a trailing comma (ruff keeps it so)."""
    flat = f"{prefix}{callee}({', '.join(args)})"
    if INDENT + len(flat) <= WIDTH:
        return flat
    pad = " " * (INDENT + 4)
    return f"{prefix}{callee}(" + "".join(f"\n{pad}{a}," for a in args) + f"\n{' ' * INDENT})"


def _default(key: str, value: Any, ftype: FieldType) -> str:
    """``state[key] = <the default as a literal of its type>``, split as ruff splits it when too long."""
    source = literal(value, ftype)
    prefix = f"state[{key}] = "
    if INDENT + len(prefix + source) <= WIDTH:
        return prefix + source
    inner = ftype.of if ftype.name == "optional" and value is not None else ftype
    if inner is not None and inner.name == "list" and inner.of is not None and value:
        pad = " " * (INDENT + 4)
        items = "".join(f"\n{pad}{literal(v, inner.of)}," for v in value)
        return f"{prefix}[{items}\n{' ' * INDENT}]"
    if source.endswith(")") and "(" in source:  # Decimal("..."), date.fromisoformat("..."), UUID("...")
        callee, _, arg = source[:-1].partition("(")
        return _call(prefix, callee, [arg])
    return f"{prefix}(\n{' ' * (INDENT + 4)}{source}\n{' ' * INDENT})"


def _key(raw: str) -> str:
    """A field's key in the stored state: its attribute in the generated code, as a string literal."""
    return pystr(field_name(raw))


def helpers_used(events: tuple[Event, ...]) -> list[str]:
    """The esp_runtime.evolution functions the upcasters of these events call."""
    revisions = [r for e in events for r in e.history if r.version <= e.version]
    used = {"rename": any(r.renamed for r in revisions), "widen": any(r.widened for r in revisions)}
    return [name for name in HELPERS if used[name]]


def shape(events: tuple[Event, ...]) -> str | None:
    """An aggregate's shape: the versions of its events, when one is past its first (snapshots of
    another shape are passed over, esp_runtime.evolution.FreshSnapshots); None while all are at 1."""
    versions = [f"{e.name} v{e.version}" for e in events if e.version > 1]
    return ", ".join(versions) or None
