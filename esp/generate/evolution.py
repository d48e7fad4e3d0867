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

from esp.generate.text import UnsafeText, literal, pystr
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
    return UpcasterV(version, UnsafeText(doc), tuple(_lines(rev, after)))


def _lines(rev: Revision, after: dict[str, FieldType]) -> list[str]:
    lines = [f"rename(state, {_key(old)}, {_key(new)})" for old, new in rev.renamed]
    for name, before in rev.widened:
        key = _key(name)
        lines.append(f"state[{key}] = widen(state[{key}], {pystr(str(before))}, {pystr(str(after[name]))})")
    lines += [f"state[{_key(name)}] = {literal(value, after[name])}" for name, value in rev.added]
    lines += [f"state.pop({_key(f.name)}, None)" for f in rev.removed]
    return lines


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
