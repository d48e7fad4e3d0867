"""The workshop's change log: who changed what from the board, and when.

One JSON object per line in ``<journey>.changes.jsonl`` beside each journey
file, so the team can commit it with the journey; ``esp export markdown``
lists it. The log is also what the board replays at start to know which
stickies were added from the board (only those can be renamed or removed
there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from esp.serve.edit import Change, listener_name

SUFFIX = ".changes.jsonl"


@dataclass(frozen=True)
class Entry:
    when: str  # UTC, ISO 8601 to the second
    who: str
    what: str  # "added event DishRated to Dine", "undid: added ..."
    file: str
    change: dict[str, Any] = field(default_factory=dict)  # the Change, to replay it
    undone: bool = False  # this entry takes ``change`` back

    def as_change(self) -> Change:
        c = self.change
        return Change(c["action"], c["kind"], c["name"], c.get("new_name", ""), dict(c.get("details", {})))


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(who: str, change: Change, file: str, *, undone: bool = False) -> Entry:
    what = ("undid: " if undone else "") + change.describe()
    data: dict[str, Any] = {"action": change.action, "kind": change.kind, "name": change.name}
    data |= {"new_name": change.new_name} if change.new_name else {}
    data |= {"details": dict(change.details)} if change.details else {}
    return Entry(now(), who, what, file, data, undone)


def log_path(journey: Path) -> Path:
    """Where the change log of ``journey`` is kept: restaurant.yaml -> restaurant.changes.jsonl."""
    return journey.with_name(journey.stem + SUFFIX)


def append(journey: Path, item: Entry) -> None:
    with log_path(journey).open("a", encoding="utf-8") as f:
        f.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read(journeys: Iterable[Path]) -> list[Entry]:
    """The entries of every journey's log, oldest first (lines that do not read are skipped)."""
    entries = []
    for journey in journeys:
        try:
            lines = log_path(journey).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                data = json.loads(line)
                entries.append(Entry(**data))
            except (ValueError, TypeError):
                continue
    return sorted(entries, key=lambda e: e.when)


def added(entries: Sequence[Entry]) -> dict[tuple[str, str], Entry]:
    """The stickies the log says were added from the board and are still there
    (as far as the board knows), by (kind, name), with the entry that added them."""
    result: dict[tuple[str, str], Entry] = {}
    for item in entries:
        replay(result, item)
    return result


def replay(stickies: dict[tuple[str, str], Entry], item: Entry) -> None:
    """Update the board-added ``stickies`` with one log entry."""
    try:
        change = item.as_change()
    except KeyError:
        return
    key = (change.kind, change.name)
    if change.action == "rename":
        old, new = (change.new_name, change.name) if item.undone else (change.name, change.new_name)
        if (change.kind, old) in stickies:
            stickies[(change.kind, new)] = stickies.pop((change.kind, old))
        if change.kind in ("event", "command"):  # a listener is named after its event and command
            for kind, name in list(stickies):
                on, _, command = name.partition(" → ")
                if kind == "listener" and old in (on, command):
                    renamed = listener_name(new if on == old else on, new if command == old else command)
                    stickies[("listener", renamed)] = stickies.pop((kind, name))
    elif (change.action == "add") != item.undone:
        stickies[key] = item
    else:
        stickies.pop(key, None)
