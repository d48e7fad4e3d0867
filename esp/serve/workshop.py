"""Changes from the board's participants, one at a time, into the journey files.

Each change is checked against what its author saw (``base``, the board
version their page showed when they began it), made in the text (see
:mod:`esp.serve.edit`), validated with the other journeys, and written
atomically. Nothing is lost silently: a change to a sticky someone else
changed since, a file an editor saved meanwhile, or a change that would add
errors is refused with the reason, and the page shows the current state.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esp import files
from esp.api import Validation, journey_files, validate_documents
from esp.errors import Diagnostic, Severity
from esp.load import Document, load_bytes
from esp.serve import changelog
from esp.serve.board import Board
from esp.serve.edit import Change, Refused, apply, element_name, locate

MAX_NAME = 40  # a participant's display name
UNDO_DEPTH = 50


@dataclass(frozen=True)
class Outcome:
    """What the page is told: "ok", "refused" (the change is not valid) or
    "conflict" (it was made against an older state)."""

    status: str
    message: str
    hint: str = ""
    problems: tuple[Diagnostic, ...] = ()
    version: int = 0

    def as_json(self) -> dict[str, Any]:
        from esp.report import as_dict

        return {
            "status": self.status,
            "message": self.message,
            "hint": self.hint,
            "problems": [as_dict(d) for d in self.problems],
            "version": self.version,
        }


@dataclass(frozen=True)
class _Done:
    entry: changelog.Entry
    path: Path
    before: bytes
    after: bytes
    version: int


@dataclass
class Workshop:
    """The editing side of a board started with ``esp serve --edit``."""

    board: Board
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo: list[_Done] = field(default_factory=list)
    _touched: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # (kind, name) -> (version, by)
    _added: dict[tuple[str, str], changelog.Entry] = field(default_factory=dict)
    _loaded: dict[Path, tuple[bytes, Document]] = field(default_factory=dict)  # what was last written, loaded
    _others: dict[Path, tuple[bytes, Document | None, list[Diagnostic]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._added = changelog.added(changelog.read(self.files()))

    def files(self) -> list[Path]:
        return journey_files(self.board.paths)[0]

    def added(self) -> list[dict[str, str]]:
        """The stickies added from the board (and still there), for the page to offer rename/remove."""
        with self._lock:
            return [{"kind": k, "name": n, "who": e.who, "file": e.file} for (k, n), e in self._added.items()]

    def log(self, last: int = 200) -> list[dict[str, str]]:
        return [{"when": e.when, "who": e.who, "what": e.what} for e in changelog.read(self.files())[-last:]]

    def undoable(self) -> str:
        with self._lock:
            return self._undo[-1].entry.what if self._undo else ""

    def submit(self, change: Change, who: str, base: int, file: str = "") -> Outcome:
        """Make ``change`` for ``who``, who saw version ``base``."""
        try:
            who = _display_name(who)
            with self._lock:
                return self._submit(change, who, base, file)
        except _Stale as exc:
            return self._conflict(exc.message, base)
        except Refused as exc:
            return Outcome("refused", exc.message, exc.hint, version=self.board.snapshot.version)
        except OSError as exc:  # a journey replaced by a folder, a FIFO, a full disk: said, not a dead request
            return Outcome("refused", f"not written: {exc}", version=self.board.snapshot.version)

    def undo(self, who: str, base: int) -> Outcome:
        """Take back the last change made from the board, if nothing came after it."""
        try:
            who = _display_name(who)
            with self._lock:
                return self._take_back(who, base)
        except Refused as exc:
            return Outcome("refused", exc.message, exc.hint, version=self.board.snapshot.version)
        except OSError as exc:
            return Outcome("refused", f"not undone: {exc}", version=self.board.snapshot.version)

    def _submit(self, change: Change, who: str, base: int, file: str) -> Outcome:
        key = (change.kind, change.name)
        if change.action in ("rename", "remove"):
            version, by = self._touched.get(key, (0, ""))
            if version > base:
                return self._conflict(f"{change.kind} {change.name!r} was changed since you began: {by}", base)
            if key not in self._added:
                raise Refused(f"{change.kind} {change.name!r} was not added from the board", hint="edit it in the file")
        path, before, doc = self._target(change, file)
        text = before.decode("utf-8-sig")
        if change.action == "add":
            try:
                locate(doc.data, change.kind, change.name)
            except Refused:
                pass
            else:
                return self._conflict(f"{change.kind} {change.name!r} is already there", base)
        else:
            if self.board.changed_outside(doc.file) > base:
                return self._conflict(f"{doc.file} was changed in an editor since you began", base)
            try:
                locate(doc.data, change.kind, change.name)
            except Refused as exc:
                return self._conflict(exc.message, base)
        new_text, new_doc = apply(text, doc, change)
        item = changelog.entry(who, change, doc.file)
        outcome = self._write(path, before, _encode(new_text, before), new_doc, change.describe())
        if outcome.status == "ok":
            self._remember(change, item, outcome.version)
            changelog.append(path, item)
            done = _Done(item, path, before, _encode(new_text, before), outcome.version)
            self._undo = [*self._undo[-UNDO_DEPTH + 1 :], done]
        return outcome

    def _take_back(self, who: str, base: int) -> Outcome:
        if not self._undo:
            raise Refused("there is no change from the board to undo")
        done = self._undo[-1]
        if done.version > base:
            return self._conflict(f"the last change is now: {done.entry.what} ({done.entry.who})", base)
        if files.read_bytes(done.path) != done.after:
            return self._conflict(f"{done.entry.file} was changed since; undo it in the editor", base)
        new_doc, problems = load_bytes(done.before, done.entry.file)
        if new_doc is None:
            raise Refused("the text before that change no longer reads", hint=problems[0].message if problems else "")
        change = done.entry.as_change()
        outcome = self._write(done.path, done.after, done.before, new_doc, "undid: " + done.entry.what)
        if outcome.status == "ok":
            self._undo.pop()
            item = changelog.entry(who, change, done.entry.file, undone=True)
            self._remember(change, item, outcome.version)
            changelog.append(done.path, item)
        return outcome

    def _target(self, change: Change, file: str) -> tuple[Path, bytes, Document]:
        """The journey file the change goes to, its bytes, and its Document."""
        served = self.files()
        by_name = {str(p): p for p in served}
        if file and file not in by_name:
            raise Refused(f"{file!r} is not a journey this board serves")
        candidates = [by_name[file]] if file else served
        chosen: tuple[Path, bytes, Document] | None = None
        for path in candidates:
            raw, doc = self._current(path)
            if chosen is None:
                chosen = (path, raw, doc)
            if _holds(change, doc.data):
                return path, raw, doc
        if chosen is None:
            raise Refused("this board serves no journey file")
        return chosen

    def _current(self, path: Path) -> tuple[bytes, Document]:
        """The file's text now; an editor's save the board has not shown yet is a conflict."""
        raw = files.read_bytes(path)
        if raw != self.board.text(str(path)):
            self.board.refresh()
            raise _Stale(f"{path.name} was just saved in an editor: the board now shows that version")
        cached = self._loaded.get(path)
        doc, problems = (cached[1], []) if cached and cached[0] == raw else load_bytes(raw, str(path))
        if doc is None:
            raise Refused(
                f"{path.name} does not read now: {problems[0].message if problems else 'unknown problem'}",
                hint="fix it in the editor first",
            )
        return raw, doc

    def _write(self, path: Path, old: bytes, new: bytes, new_doc: Document, what: str) -> Outcome:
        result = self._validate(path, new_doc)
        before = {_key(d) for d in self.board.snapshot.problems if d.severity is Severity.ERROR}
        new_errors = tuple(d for d in result.errors if _key(d) not in before)
        if new_errors:
            return Outcome(
                "refused",
                f"not written: {what} would make the journey invalid: {new_errors[0].message}",
                new_errors[0].hint,
                new_errors,
                self.board.snapshot.version,
            )
        if files.read_bytes(path) != old:  # an editor saved while this was checked
            self.board.refresh()
            return self._conflict(f"{path.name} was just saved in an editor", 0)
        texts = {str(p): (new if p == path else _read(p)) for p in self.files()}
        snapshot = self.board.accept(lambda: _write_atomically(path, new), result, texts)
        self._loaded[path] = (new, new_doc)  # the next change starts from it without reading it again
        return Outcome("ok", what, version=snapshot.version)

    def _validate(self, path: Path, new_doc: Document) -> Validation:
        docs, problems = [], []
        for other in self.files():
            if other == path:
                docs.append(new_doc)
                continue
            doc, found = self._other(other)
            problems.extend(found)
            if doc is not None:
                docs.append(doc)
        return validate_documents(docs, problems, self.board.profile)

    def _other(self, path: Path) -> tuple[Document | None, list[Diagnostic]]:
        """Another journey file, loaded; again only when its bytes changed (a board of many
        journeys loads the one being changed, not all of them, for each change)."""
        raw = _read(path)
        cached = self._others.get(path)
        if cached is None or cached[0] != raw:
            cached = (raw, *load_bytes(raw, str(path)))
            self._others[path] = cached
        return cached[1], list(cached[2])

    def _remember(self, change: Change, item: changelog.Entry, version: int) -> None:
        touched = (version, f"{item.who} {item.what}")
        self._touched[(change.kind, change.name)] = touched
        if change.action == "rename":
            self._touched[(change.kind, change.new_name)] = touched
        changelog.replay(self._added, item)

    def _conflict(self, message: str, base: int) -> Outcome:
        snapshot = self.board.snapshot
        return Outcome(
            "conflict",
            f"not written: {message}",
            f"the board shows the current state (version {snapshot.version}, you saw {base}): look, then try again",
            version=snapshot.version,
        )


class _Stale(Refused):
    pass


def _holds(change: Change, data: Any) -> bool:
    """Whether a journey's data is where ``change`` belongs (its process, its sticky, or what it is about)."""
    d = change.details
    if change.action != "add":
        kind, name = change.kind, change.name
    elif change.kind in ("event", "command"):
        kind, name = "process", d.get("process", "")
    elif change.kind == "listener":
        kind, name = "event", d.get("on", "")
    elif change.kind == "hotspot" and d.get("about"):
        return any(
            d["about"] == element_name(k, item)
            for k in ("event", "command", "process", "actor")
            for item in _items(data, k)
        )
    else:
        return True
    try:
        locate(data, kind, name)
    except Refused:
        return False
    return True


def _items(data: Any, kind: str) -> list[Any]:
    from esp.serve.edit import _elements

    return [item for _, _, item in _elements(data, kind)]


def _key(d: Diagnostic) -> tuple[str, str]:
    return (d.code, d.message)


def _display_name(who: str) -> str:
    who = " ".join(who.split())
    if not who:
        raise Refused("pick a display name first", hint="the change log says who changed what")
    if len(who) > MAX_NAME or any(ord(c) < 32 for c in who):
        raise Refused(f"a display name is one line of at most {MAX_NAME} characters")
    return who


def _encode(text: str, like: bytes) -> bytes:
    """``text`` as the file's bytes, keeping a byte-order mark the file had."""
    bom = "\ufeff".encode() if like.startswith("\ufeff".encode()) else b""
    return bom + text.encode("utf-8")


def _read(path: Path) -> bytes:
    try:
        return files.read_bytes(path)
    except OSError:
        return b""


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the file, then rename over it: a reader sees the old or the new
    journey, never half of one. The file keeps its permissions."""
    target = path.resolve()  # a symlinked journey: write the file it points to
    mode = target.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".esp-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
