"""Reading and writing files safely: the two promises every command keeps.

Reading: only regular files. A FIFO, socket or device named as a journey,
a config or a template would make ``open`` wait for a writer that never
comes (or read forever), so it is refused before anything is read — opened
without blocking, then checked, so nothing can swap it in between.

Writing: only inside the output folder, never through a symbolic link, and
all or nothing. :class:`Staging` writes every file under a hidden folder
inside the output folder first (so a name too long, a full disk or a
permission problem shows before anything is in place), then moves each one
into place; the moves are renames within one file system.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from esp.errors import UserError


class NotRegularFile(OSError):
    """A path that names a FIFO, socket, device or folder, not a regular file."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path} is {what}")
        self.what = what


def kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit`` + 1 of them).

    Raises FileNotFoundError, :class:`NotRegularFile` or another OSError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise NotRegularFile(path, "a folder") from None
    with os.fdopen(fd, "rb") as stream:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, kind(mode))
        return stream.read() if limit is None else stream.read(limit + 1)


def read_text(path: Path) -> str:
    """The UTF-8 text of the regular file at ``path`` (see :func:`read_bytes`)."""
    return read_bytes(path).decode("utf-8")


def reason(exc: OSError) -> str:
    """An OSError in a few words, for a message."""
    if isinstance(exc, NotRegularFile):
        return f"it is {exc.what}, not a regular file"
    return exc.strerror or str(exc)


def write_output(path: Path, data: str | bytes) -> None:
    """Write one output file the user named (``-o``); a failure is the user's to fix (exit 2)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {reason(exc)}", "check the output path") from None


class OutsideOutput(UserError):
    """A path that would write outside the output folder or through a symbolic link."""


def inside(root: Path, rel: str) -> Path:
    """``root/rel``, refusing a path that leads outside ``root`` or passes through
    a symbolic link below it (``root`` itself may be a link the user chose)."""
    path = root / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute():
        raise OutsideOutput(f"refusing to write {path}: it leads outside the output folder {root}")
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            raise OutsideOutput(
                f"refusing to write {path}: {current} is a symbolic link",
                "esp writes only real files and folders inside its output folder; remove the link",
            )
    return path


class Staging:
    """Write files under ``root`` all or nothing: ``add`` each, then ``commit``.

    Files are written under ``root/.esp-staging-*/`` as they are added; if
    anything fails, ``discard`` (or leaving the ``with`` block by an exception)
    removes the staging folder and nothing in ``root`` has changed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir: Path | None = None
        self._files: list[tuple[Path, str]] = []  # staged file, path relative to root

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def _staging(self) -> Path:
        if self._dir is None:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"cannot create the output folder {self.root}: {reason(exc)}") from None
            import tempfile  # here: only writing needs it, and `esp validate` imports this module (tempfile -> random)

            self._dir = Path(tempfile.mkdtemp(prefix=".esp-staging-", dir=self.root))
        return self._dir

    def add(self, rel: str, text: str) -> None:
        """Stage ``text`` to become ``root/rel``."""
        inside(self.root, rel)
        staged = self._staging() / rel
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            with staged.open("w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            staged.chmod(0o644)
        except OSError as exc:
            raise UserError(
                f"cannot write {self.root / rel}: {reason(exc)}", "nothing was written; fix the cause and run again"
            ) from None
        self._files.append((staged, rel))

    def commit(self) -> list[Path]:
        """Move every staged file into place; the paths written, in order."""
        written = []
        for staged, rel in self._files:
            target = inside(self.root, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            written.append(target)
        self.discard()
        return written

    def discard(self) -> None:
        if self._dir is not None:
            import shutil  # here, as tempfile above (shutil imports bz2, lzma)

            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._files = []
