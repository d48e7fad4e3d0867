"""Where the two sides of ``esp diff`` come from: journey files and folders on disk,
or the same read from a git revision (``HEAD~1``, ``main:journeys``).

A revision's files are read with git's plumbing (``ls-tree``, ``cat-file``),
never checked out, so the working tree is left alone. Each file read from git
is named ``REV:path`` in diagnostics and changes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from esp.api import JOURNEY_SUFFIXES, Validation, journey_files, validate_documents
from esp.errors import Diagnostic, UserError
from esp.load import Document, load_bytes, load_path


@dataclass(frozen=True)
class Side:
    """One side of a diff: what it is called and the journeys found there, validated."""

    label: str
    validation: Validation


def load_side(spec: str, default_paths: Sequence[Path], cwd: Path | None = None) -> Side:
    """The journeys ``spec`` names: a file or folder; ``REV:path`` (git); or a revision
    alone, meaning ``default_paths`` as they were at that revision."""
    path = Path(spec) if cwd is None else cwd / spec
    if path.exists():
        return Side(spec, validate_paths([path], cwd))
    git = Git(cwd or Path.cwd())
    rev, colon, rest = spec.partition(":")
    if colon and rev and git.is_revision(rev):
        return Side(
            spec, validate_documents(*git.documents(rev, [git.repo_path(rest, relative_to_root=True)]), "default")
        )
    if not colon and git.is_revision(spec):
        wanted = [git.repo_path(str(p)) for p in default_paths]
        label = f"{spec}:{','.join(wanted)}"
        return Side(label, validate_documents(*git.documents(spec, wanted, missing_ok=True), "default"))
    if spec == "HEAD" and git.unborn():  # the first commit: everything is new
        return Side("HEAD (no commits yet)", validate_documents([], [], "default"))
    raise UserError(
        f"'{spec}' is neither a journey file or folder nor a git revision",
        "name a file, a folder, a revision (HEAD~1) or a revision and a path (main:journeys)",
    )


def validate_paths(paths: Sequence[Path], cwd: Path | None = None) -> Validation:
    """Validate files on disk, named as given (or relative to ``cwd``, when given)."""
    files, problems = journey_files(paths)
    docs: list[Document] = []
    for file in files:
        doc, found = load_path(file, str(file) if cwd is None else _shown(file, cwd))
        problems.extend(found)
        if doc is not None:
            docs.append(doc)
    return validate_documents(docs, problems, "default")


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


@dataclass
class Git:
    """The git repository around ``cwd``, read through git's plumbing commands."""

    cwd: Path

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        exe = shutil.which("git")
        if exe is None:
            raise UserError("reading a git revision needs git, which is not installed", "install git, or name files")
        return subprocess.run([exe, *args], cwd=self.cwd, input=stdin, capture_output=True, check=False)

    def is_revision(self, rev: str) -> bool:
        if rev.startswith("-"):
            return False
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0

    def root(self) -> Path:
        proc = self.run("rev-parse", "--show-toplevel")
        if proc.returncode != 0:
            raise UserError(f"{self.cwd} is not inside a git repository", "name journey files or folders instead")
        return Path(proc.stdout.decode().strip())

    def repo_path(self, path: str, *, relative_to_root: bool = False) -> str:
        """``path`` as git names it in a tree: relative to the repository's root. A
        ``REV:path`` is already relative to the root unless it starts with ./ (as in git)."""
        if relative_to_root and not path.startswith(("./", "../")):
            return PurePosixPath(path or ".").as_posix().strip("/") or "."
        root = self.root().resolve()
        absolute = (self.cwd / path).resolve()
        try:
            return absolute.relative_to(root).as_posix() or "."
        except ValueError:
            raise UserError(f"{path} is outside the git repository at {root}") from None

    def unborn(self) -> bool:
        """A repository without commits yet (its HEAD names no commit)."""
        return self.run("rev-parse", "--git-dir").returncode == 0 and not self.is_revision("HEAD")

    def documents(
        self, rev: str, paths: Sequence[str], *, missing_ok: bool = False
    ) -> tuple[list[Document], list[Diagnostic]]:
        """Load the journey files under ``paths`` at ``rev``. A path that did not exist there
        is an error (exit 2) unless ``missing_ok`` (then it held no journeys yet)."""
        blobs: list[tuple[str, str]] = []  # (object id, path)
        for wanted in paths:
            found = self.journey_blobs(rev, wanted)
            if found is None and missing_ok:
                continue
            if found is None:
                raise UserError(
                    f"{wanted} does not exist at {rev}", f"check the path with: git ls-tree {rev} -- {wanted}"
                )
            blobs.extend(found)
        unique = list(dict.fromkeys(blobs))
        contents = self.cat([oid for oid, _ in unique])
        docs: list[Document] = []
        problems: list[Diagnostic] = []
        for (_, name), raw in zip(unique, contents, strict=True):
            doc, found_problems = load_bytes(raw, f"{rev}:{name}")
            problems.extend(found_problems)
            if doc is not None:
                docs.append(doc)
        return docs, problems

    def journey_blobs(self, rev: str, path: str) -> list[tuple[str, str]] | None:
        """The journey files (object id, path) at ``path`` in ``rev``: the file itself,
        or every *.yaml and *.yml below the folder (hidden ones skipped); None if absent."""
        spec = [] if path == "." else ["--", path]
        proc = self.run("ls-tree", "-r", "-z", "--full-tree", rev, *spec)
        if proc.returncode != 0:
            raise UserError(f"git cannot list {rev}: {proc.stderr.decode(errors='replace').strip()}")
        entries = [e for e in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if e]
        if not entries:
            return None
        result = []
        for entry in entries:
            meta, _, name = entry.partition("\t")
            kind, oid = meta.split()[1:3]
            below = PurePosixPath(name).relative_to(path) if path not in (".", name) else PurePosixPath(name)
            if kind != "blob" or PurePosixPath(name).suffix not in JOURNEY_SUFFIXES:
                continue
            if name != path and any(part.startswith(".") for part in below.parts):
                continue
            result.append((oid, name))
        return result

    def cat(self, wanted: Sequence[str]) -> list[bytes]:
        """The contents of the blobs ``wanted``, read by one git process."""
        if not wanted:
            return []
        proc = self.run("cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in wanted).encode())
        out, pos, result = proc.stdout, 0, []
        for _ in wanted:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            start = header_end + 1
            result.append(out[start : start + size])
            pos = start + size + 1
        return result
