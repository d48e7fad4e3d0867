"""The board's state: the last good drawings, the current problems, a version."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from esp import files as fs
from esp.api import Validation, journey_files, validate
from esp.draw.layout import Page
from esp.errors import Diagnostic, Severity
from esp.model import Model

Renderer = Callable[[Model, str], "str | Sequence[str]"]  # (model, view) -> SVG text, or one per page
Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Snapshot:
    """What the page shows at one version."""

    version: int
    model: Model | None  # the last good model: the drawings show it
    problems: tuple[Diagnostic, ...]
    hotspots: tuple[str, ...]
    stale: bool  # the files changed since the last good model (they are invalid now)
    files: tuple[str, ...] = ()
    drawn: int = 0  # the version that brought the model: drawings are cached per model

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


class Drawing:
    """One view of one model: the SVG document of each page (one unless the map is
    paged), each named by a hash of its text. A page that did not change keeps its
    name from one version to the next, so a page in the browser fetches only the
    pages whose name changed."""

    def __init__(self, pages: Sequence[str]) -> None:
        self.pages = tuple(pages)
        self.etags = tuple(hashlib.blake2b(p.encode(), digest_size=12).hexdigest() for p in self.pages)

    @cached_property
    def frames(self) -> tuple[Page, ...]:
        """The pages as parts of one stacked SVG (empty for a drawing of one page)."""
        from esp.draw.layout import page

        return tuple(page(doc, n) for n, doc in enumerate(self.pages, start=1)) if len(self.pages) > 1 else ()

    @cached_property
    def whole(self) -> str:
        """The whole drawing as one SVG."""
        from esp.draw.layout import stacked

        return stacked(list(self.frames)) if self.frames else self.pages[0]

    def page(self, etag: str) -> str | None:
        """The page named ``etag`` as an SVG document of its own, or None."""
        if etag not in self.etags:
            return None
        at = self.etags.index(etag)
        return self.frames[at].alone() if self.frames else self.pages[at]

    def manifest(self, version: int) -> dict[str, object]:
        """What a page needs to place the pages and to tell which it must fetch."""
        pages: list[dict[str, object]] = []
        top = 0.0
        for etag, frame in zip(self.etags, self.frames, strict=False):
            pages.append({"etag": etag, "y": top, "width": frame.width, "height": frame.height})
            top += frame.height
        if not self.frames:
            return {"version": version, "paged": False, "pages": [{"etag": self.etags[0]}]}
        width = max(f.width for f in self.frames)
        return {"version": version, "paged": True, "width": width, "height": top, "pages": pages}


@dataclass
class Board:
    """Validates ``paths`` on demand and draws views of the last good model,
    each view once per model (drawing is the slow part); thread-safe.

    It remembers the bytes of each journey file as it read them, so a change
    made from the board can tell whether an editor saved the file since."""

    paths: Sequence[Path]
    render: Renderer
    views: Sequence[str]
    profile: str = "default"
    render_error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the snapshot, texts and drawings: held briefly
    _draw_lock: threading.Lock = field(default_factory=threading.Lock)
    _reading: threading.RLock = field(default_factory=threading.RLock)  # one refresh or write at a time
    _snapshot: Snapshot = field(default_factory=lambda: Snapshot(0, None, (), (), False))
    _drawings: dict[tuple[int, str], Drawing] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _texts: dict[str, bytes] = field(default_factory=dict)  # file -> bytes at the current version
    _seen: Signature = ()
    _outside: dict[str, int] = field(default_factory=dict)  # file -> version of its last change not made here

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def text(self, file: str) -> bytes | None:
        """The bytes of journey ``file`` as the current version read them."""
        with self._lock:
            return self._texts.get(file)

    def changed_outside(self, file: str) -> int:
        """The version at which ``file`` last changed other than through the board (0: never)."""
        with self._lock:
            return self._outside.get(file, 0)

    def poll(self) -> bool:
        """Refresh if a journey file was saved, added or removed since last seen."""
        with self._reading:
            if signature(self.paths) == self._seen:
                return False
            self.refresh()
            return True

    def refresh(self) -> Snapshot:
        """Re-read the journeys; keep the last good model while they are invalid."""
        with self._reading:
            seen = signature(self.paths)
            texts = read_texts(self.paths)  # before validating: a save in between is seen as a change
            return self._install(validate(list(self.paths), self.profile), texts, seen, outside=True)

    def accept(self, write: Callable[[], None], result: Validation, texts: Mapping[str, bytes]) -> Snapshot:
        """Run ``write`` (which writes ``texts``) and show ``result``, their validation,
        without validating again. The watcher waits meanwhile, so it does not read the
        board's own write as an editor's; a save that raced it is picked up at once."""
        with self._reading:
            write()
            seen = signature(self.paths)
            if read_texts(self.paths) != dict(texts):
                return self.refresh()
            return self._install(result, dict(texts), seen, outside=False)

    def _install(self, result: Validation, texts: dict[str, bytes], seen: Signature, *, outside: bool) -> Snapshot:
        good = result.model if result.model is not None and not result.errors else None
        hotspots = tuple(h.text for h in result.model.hotspots) if result.model else ()
        with self._lock:
            old = self._snapshot
            version = old.version + 1
            if outside:
                for file, raw in texts.items():
                    if self._texts.get(file) != raw:
                        self._outside[file] = version
            self._snapshot = Snapshot(
                version,
                good if good is not None else old.model,
                result.diagnostics,
                hotspots or old.hotspots,
                stale=good is None,
                files=result.files,
                drawn=version if good is not None else old.drawn,
            )
            self._texts = texts
            self._seen = seen
            snapshot = self._snapshot
        with self._changed:
            self._changed.notify_all()
        if good is not None:
            self._draw_ahead(old.drawn)
        return snapshot

    def _draw_ahead(self, before: int) -> None:
        """Start drawing the new model's views that pages were showing (those drawn for the
        model before, ``before``): the drawing is under way while the pages hear of the
        change and ask for it, instead of after."""
        with self._lock:
            shown = sorted({view for drawn, view in self._drawings if drawn == before})
        if shown:
            threading.Thread(target=lambda: [self.pages(v) for v in shown], name="esp-draw", daemon=True).start()

    def drawing(self, view: str) -> str | None:
        """The SVG of ``view`` for the last good model (None: no such view or no model yet)."""
        drawn = self.pages(view)
        return drawn[1].whole if drawn is not None else None

    def pages(self, view: str) -> tuple[int, Drawing] | None:
        """The drawing of ``view`` for the last good model, page by page, and the version
        that brought that model (None: no such view or no model yet)."""
        snapshot = self.snapshot
        if view not in self.views or snapshot.model is None:
            return None
        key = (snapshot.drawn, view)
        with self._draw_lock:  # one layout at a time; state and events are not held up meanwhile
            with self._lock:
                found = self._drawings.get(key)
            if found is None:
                found = self._draw(snapshot.model, view)
                with self._lock:
                    if len(self._drawings) > 4 * len(self.views):  # keep the newest: pages may still be asked for
                        self._drawings = dict(sorted(self._drawings.items())[-2 * len(self.views) :])
                    self._drawings[key] = found
            return snapshot.drawn, found

    def page(self, view: str, etag: str) -> str | None:
        """Page ``etag`` of a recent drawing of ``view``: the newest that has it (a page
        asked for while a newer version was being drawn is still there)."""
        with self._lock:
            drawings = [d for (_, v), d in sorted(self._drawings.items(), reverse=True) if v == view]
        for drawing in drawings:
            found = drawing.page(etag)
            if found is not None:
                return found
        return None

    def _draw(self, model: Model, view: str) -> Drawing:
        """The view's SVG, or an SVG that says why it could not be drawn: the page never gets an empty reply."""
        from esp.draw import failure_svg
        from esp.errors import UserError

        try:
            svg = self.render(model, view)
        except UserError as exc:  # e.g. dot failed: say so on the page, keep serving
            self.render_error = exc.message
            return Drawing([failure_svg(view, exc.message)])
        except Exception as exc:  # a bug in esp: shown and logged, the board keeps serving
            self.render_error = f"internal error: {exc!r}"
            print(f"esp serve: drawing the {view} view failed: {exc!r}", file=sys.stderr)
            return Drawing([failure_svg(view, self.render_error)])
        self.render_error = ""
        return Drawing([svg] if isinstance(svg, str) else svg)

    def wait_for_change(self, version: int, timeout: float) -> Snapshot:
        """Block until the version is past ``version`` or ``timeout`` passes."""
        with self._changed:
            self._changed.wait_for(lambda: self.snapshot.version > version, timeout=timeout)
        return self.snapshot


def signature(paths: Sequence[Path]) -> Signature:
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


def read_texts(paths: Sequence[Path]) -> dict[str, bytes]:
    """Each journey file's bytes, by the name diagnostics give it."""
    files, _ = journey_files(paths)
    texts = {}
    for path in files:
        try:
            texts[str(path)] = fs.read_bytes(path)  # a FIFO is refused (OSError), never waited on
        except OSError:
            continue
    return texts
