"""``esp diff``: what changed between two versions of a model, and what each change costs.

``diff`` loads both sides (files, folders or git revisions: ``esp.diff.source``),
compares the two Models (``esp.diff.compare``) and returns a :class:`Diff`;
``esp.diff.render`` writes it as text, JSON, GitHub annotations, SARIF or a
Markdown changelog. ``since`` gives ``esp validate --since`` its diagnostics:
events whose fields changed without a version and a history entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esp.diff.compare import RULES, Change, FieldChanges, Impact, compare, keyed
from esp.errors import Diagnostic, ExitCode, ProblemsFound, diagnostic
from esp.model import Model

if TYPE_CHECKING:  # loading (esp.api, git) is imported when a diff runs, not with the CLI's option lists
    from esp.api import Validation
    from esp.diff.source import Side

__all__ = ["FAIL_ON", "FORMATS", "RULES", "Change", "Diff", "Impact", "Unusable", "compare", "diff", "since"]

# --fail-on: the least costly change that fails the run.
FAIL_ON = {"breaking": Impact.BREAKING, "upcaster": Impact.UPCASTER, "any": Impact.COMPATIBLE}
FORMATS = ("text", "json", "github", "sarif", "markdown")


class Unusable(ProblemsFound):
    """A side of the diff is not a valid model: there is nothing sound to compare (exit 2)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(diagnostics)
        self.exit_code = ExitCode.UNUSABLE


@dataclass(frozen=True)
class Diff:
    """The changes from ``old`` to ``new`` (labels as the user named them), costliest first."""

    old: str
    new: str
    changes: tuple[Change, ...]

    def count(self, impact: Impact) -> int:
        return sum(c.impact is impact for c in self.changes)

    def failing(self, fail_on: str) -> tuple[Change, ...]:
        """The changes that make the run fail under ``--fail-on``."""
        threshold = FAIL_ON[fail_on]
        return tuple(c for c in self.changes if c.impact >= threshold)

    def exit_code(self, fail_on: str) -> ExitCode:
        return ExitCode.PROBLEMS if self.failing(fail_on) else ExitCode.OK


def _model(side: Side) -> Model:
    result = side.validation
    if result.model is None or result.errors:
        raise Unusable(result.diagnostics)
    return result.model


def diff(old: str, new: str | None, default_paths: Sequence[Path], cwd: Path | None = None) -> Diff:
    """Compare the journeys ``old`` names with those ``new`` names (default: ``default_paths``
    on disk). Either may be a file, a folder, ``REV:path`` or a bare git revision, which
    means ``default_paths`` at that revision. A side that does not validate raises
    :class:`Unusable`."""
    from esp.diff.source import Side, load_side

    if new is None:
        new_side = Side(", ".join(map(str, default_paths)), _on_disk(default_paths, cwd))
    else:
        new_side = load_side(new, default_paths, cwd)
    old_side = load_side(old, [Path(p) for p in _local_paths(new, default_paths, cwd)], cwd)
    return Diff(old_side.label, new_side.label, tuple(compare(_model(old_side), _model(new_side))))


def _on_disk(paths: Sequence[Path], cwd: Path | None) -> Validation:
    from esp.diff.source import validate_paths

    return validate_paths([p if cwd is None else cwd / p for p in paths], cwd)


def _local_paths(new: str | None, default_paths: Sequence[Path], cwd: Path | None) -> list[str]:
    """What a bare revision on the old side means: the new side's paths when they are on
    disk, else the configured ones."""
    if new is not None and ((cwd or Path.cwd()) / new).exists():
        return [new]
    return [str(p) for p in default_paths]


def since(rev: str, paths: Sequence[Path], current: Model, cwd: Path | None = None) -> list[Diagnostic]:
    """``esp validate --since REV``: each event of ``current`` whose fields changed since
    ``rev`` must have a higher version and a history that says how."""
    from esp.diff.source import load_side

    old_side = load_side(rev, paths, cwd)
    old = _model(old_side)
    label = rev
    problems: list[Diagnostic] = []
    before = keyed(old.events, lambda e: e.name, lambda e: e.microservice.name)
    now = keyed(current.events, lambda e: e.name, lambda e: e.microservice.name)
    for key in sorted(before.keys() & now.keys()):
        was, event = before[key], now[key]
        where = event.at.get("version", event.at.get("event", event.loc))
        if event.version < was.version:
            problems.append(diagnostic("E097", where, event=key, version=event.version, old=was.version, since=label))
            continue
        if sorted((f.name, str(f.type)) for f in was.fields) == sorted((f.name, str(f.type)) for f in event.fields):
            continue
        if event.version == was.version:
            problems.append(
                diagnostic("E095", where, event=key, since=label, version=event.version, next=event.version + 1)
            )
            continue
        for change in FieldChanges(was, event).run_missing():
            problems.append(
                diagnostic(
                    "E096",
                    change.location,
                    event=key,
                    change=change.message,
                    since=label,
                    hint=_hint(change, event.version),
                )
            )
    return problems


def since_check(rev: str, paths: Sequence[Path]) -> Callable[[Model], list[Diagnostic]]:
    """``since`` as a further check of ``esp validate`` (``api.report``'s ``more``)."""

    def check(current: Model) -> list[Diagnostic]:
        return since(rev, paths, current)

    return check


def _hint(change: Change, version: int) -> str:
    name = change.message.split("'")[1]
    if change.rule == "field-added-without-default":
        return f"say under 'history' what older events get: '- version: {version}' with 'added: {{{name}: <value>}}'"
    if change.rule == "field-removed":
        return (
            f"say so under 'history': '- version: {version}' with 'removed: {{{name}: <type it had>}}' (or 'renamed')"
        )
    if change.rule == "field-widened":
        return f"say so under 'history': '- version: {version}' with 'widened: {{{name}: <type it had>}}'"
    return "this type change cannot be upcast: remove the field and add a new one with a default"
