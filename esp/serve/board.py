"""The board's state: the last good drawings, the current problems, a version."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from esp.api import journey_files, validate
from esp.errors import Diagnostic, Severity
from esp.model import Model

Renderer = Callable[[Model, str], str]  # (model, view) -> SVG text


@dataclass(frozen=True)
class Snapshot:
    """What the page shows at one version."""

    version: int
    drawings: dict[str, str]  # view -> SVG; the last good ones
    problems: tuple[Diagnostic, ...]
    hotspots: tuple[str, ...]
    stale: bool  # the drawings are older than the files (they are invalid now)
    files: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        from esp.report import as_dict

        return {
            "version": self.version,
            "views": sorted(self.drawings),
            "problems": [as_dict(d) for d in self.problems],
            "errors": sum(d.severity is Severity.ERROR for d in self.problems),
            "hotspots": list(self.hotspots),
            "stale": self.stale,
            "files": list(self.files),
        }


@dataclass
class Board:
    """Validates and draws ``paths`` on demand; thread-safe."""

    paths: Sequence[Path]
    render: Renderer
    views: Sequence[str]
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _snapshot: Snapshot = field(default_factory=lambda: Snapshot(0, {}, (), (), False))
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def refresh(self) -> Snapshot:
        """Re-read the journeys; redraw if they are valid, else keep the last drawings."""
        result = validate(list(self.paths))
        hotspots = tuple(h.text for h in result.model.hotspots) if result.model else ()
        drawings: dict[str, str] | None = None
        problems = result.diagnostics
        if result.model is not None and not result.errors:
            drawings, draw_problems = self._draw(result.model)
            problems = problems + draw_problems
        with self._lock:
            old = self._snapshot
            self._snapshot = Snapshot(
                old.version + 1,
                drawings if drawings is not None else old.drawings,
                problems,
                hotspots or old.hotspots,
                stale=drawings is None,
                files=result.files,
            )
            snapshot = self._snapshot
        with self._changed:
            self._changed.notify_all()
        return snapshot

    def _draw(self, model: Model) -> tuple[dict[str, str] | None, tuple[Diagnostic, ...]]:
        drawings = {}
        for view in self.views:
            drawings[view] = self.render(model, view)
        return drawings, ()

    def wait_for_change(self, version: int, timeout: float) -> Snapshot:
        """Block until the version is past ``version`` or ``timeout`` passes."""
        with self._changed:
            self._changed.wait_for(lambda: self.snapshot.version > version, timeout=timeout)
        return self.snapshot


def signature(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """What changes when a journey file is saved, added or removed."""
    files, _ = journey_files(paths)
    result = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        result.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(result)
