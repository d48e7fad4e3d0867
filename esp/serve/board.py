"""The board's state: the last good drawings, the current problems, a version."""

from __future__ import annotations

import html
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
    model: Model | None  # the last good model: the drawings show it
    problems: tuple[Diagnostic, ...]
    hotspots: tuple[str, ...]
    stale: bool  # the files changed since the last good model (they are invalid now)
    files: tuple[str, ...] = ()

    def as_json(self, views: Sequence[str], render_error: str) -> dict[str, object]:
        from esp.report import as_dict

        return {
            "version": self.version,
            "views": list(views) if self.model is not None else [],
            "problems": [as_dict(d) for d in self.problems],
            "errors": sum(d.severity is Severity.ERROR for d in self.problems),
            "todos": sum(d.severity is Severity.TODO for d in self.problems),
            "hotspots": list(self.hotspots),
            "stale": self.stale,
            "files": list(self.files),
            "render_error": render_error,
        }


@dataclass
class Board:
    """Validates ``paths`` on demand and draws views of the last good model,
    each view once per model (drawing is the slow part); thread-safe."""

    paths: Sequence[Path]
    render: Renderer
    views: Sequence[str]
    profile: str = "default"
    render_error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _snapshot: Snapshot = field(default_factory=lambda: Snapshot(0, None, (), (), False))
    _drawings: dict[str, str] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def refresh(self) -> Snapshot:
        """Re-read the journeys; keep the last good model while they are invalid."""
        result = validate(list(self.paths), self.profile)
        good = result.model if result.model is not None and not result.errors else None
        hotspots = tuple(h.text for h in result.model.hotspots) if result.model else ()
        with self._lock:
            old = self._snapshot
            if good is not None:
                self._drawings = {}
            self._snapshot = Snapshot(
                old.version + 1,
                good if good is not None else old.model,
                result.diagnostics,
                hotspots or old.hotspots,
                stale=good is None,
                files=result.files,
            )
            snapshot = self._snapshot
        with self._changed:
            self._changed.notify_all()
        return snapshot

    def drawing(self, view: str) -> str | None:
        """The SVG of ``view`` for the last good model (None: no such view or no model yet)."""
        with self._lock:
            model = self._snapshot.model
            if view not in self.views or model is None:
                return None
            if view not in self._drawings:
                self._drawings[view] = self._draw(model, view)
            return self._drawings[view]

    def _draw(self, model: Model, view: str) -> str:
        from esp.errors import UserError

        try:
            svg = self.render(model, view)
        except UserError as exc:  # e.g. dot failed: say so on the page, keep serving
            self.render_error = exc.message
            return f"<p>{html.escape(exc.message)}</p>"
        self.render_error = ""
        return svg

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
