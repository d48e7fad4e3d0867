"""``esp generate``: an event-sourced Python package (eventsourcing 9.x) from a journey model.

``generate`` renders the files (``render``), compares them with the output
folder and its manifest (``plan``), and writes them unless asked only to check
or list. The manifest (``.esp-manifest.json``) records the sha256 of every file
esp wrote, so esp can refuse to overwrite a hand-edited file, remove files it
no longer produces and leave alone every file it did not write.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import keyword
import sys
from dataclasses import dataclass, field
from pathlib import Path

from esp import files as fs
from esp.errors import Diagnostic, ExitCode, ProblemsFound, Severity, UserError
from esp.generate.render import File
from esp.generate.text import GenerateError
from esp.model import Model
from esp.naming import naming

MANIFEST = ".esp-manifest.json"

__all__ = [
    "MANIFEST",
    "Action",
    "GenerateError",
    "HandEdited",
    "Result",
    "check_package_name",
    "generate",
    "package_name",
    "prepare",
    "write",
]


class HandEdited(UserError):
    """Generated files were edited by hand (or were not written by esp): refuse to overwrite them."""

    exit_code = ExitCode.PROBLEMS

    def __init__(self, paths: list[str]) -> None:
        shown = ", ".join(paths[:5]) + (", ..." if len(paths) > 5 else "")
        super().__init__(
            f"refusing to overwrite {len(paths)} file(s) changed since esp wrote them, or not written by esp: {shown}",
            "move your changes into rules.py (it is never overwritten), or run again with --force to discard them",
        )
        self.paths = paths


@dataclass(frozen=True)
class Action:
    kind: str  # "create" | "change" | "remove" | "keep" (a user-owned file that exists)
    path: str
    old: str | None = None
    new: str | None = None


@dataclass
class Result:
    """What ``generate`` did (or, with ``check``/``dry_run``, would do)."""

    out_dir: Path
    actions: list[Action] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    written: bool = False
    stale: list[Diagnostic] = field(default_factory=list)  # your rules.py overriding rules no longer asked for

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.kind in ("create", "change", "remove")]

    @property
    def clean(self) -> bool:
        return not self.changes and not self.conflicts

    def diff(self) -> str:
        """A unified diff from what is in the output folder to what esp would write."""
        chunks = []
        for a in self.changes:
            old = (a.old or "").splitlines(keepends=True)
            new = (a.new or "").splitlines(keepends=True)
            before = "/dev/null" if a.kind == "create" else f"a/{a.path}"
            after = "/dev/null" if a.kind == "remove" else f"b/{a.path}"
            chunks.append("".join(difflib.unified_diff(old, new, before, after)))
        return "".join(chunks)

    def summary(self) -> list[str]:
        return [f"{a.kind:7} {a.path}" for a in self.changes]

    def status(self) -> str:
        """What was done in a few words: "41 files created", "3 files: 2 changed, 1 removed",
        "up to date"; before writing (``check``, ``dry_run``): "41 files to create"."""
        counts = {kind: sum(a.kind == kind for a in self.changes) for kind in ("create", "change", "remove")}
        if not any(counts.values()):
            return "up to date"
        done = {"create": "created", "change": "changed", "remove": "removed"}
        words = done if self.written else {kind: f"to {kind}" for kind in counts}
        parts = [(n, words[kind]) for kind, n in counts.items() if n]
        if len(parts) == 1:
            n, word = parts[0]
            return f"{n} file{'s' if n != 1 else ''} {word}"
        return f"{sum(counts.values())} files: " + ", ".join(f"{n} {word}" for n, word in parts)


def check_package_name(name: str) -> None:
    """Refuse a ``--package`` name that Python cannot import as intended."""
    if (
        not (name.isascii() and name.isidentifier() and name == name.lower())
        or keyword.iskeyword(name)
        or name in sys.stdlib_module_names
    ):
        raise UserError(
            f"--package {name!r} is not a usable Python package name",
            "use lower-case letters, digits and '_', starting with a letter, and not the name of a"
            " standard-library module; e.g. --package ordering",
        )


def package_name(model: Model) -> str:
    """The Python package of a model: its journey's name in snake case (renamed if it would shadow a module)."""
    return naming(model).package


def generate(
    model: Model,
    out_dir: Path,
    *,
    force: bool = False,
    check: bool = False,
    dry_run: bool = False,
    templates: Path | None = None,
    package: str | None = None,
) -> Result:
    """Generate the package for ``model`` into ``out_dir``.

    ``check`` and ``dry_run`` write nothing (the CLI prints ``diff()`` or
    ``summary()``); otherwise a hand-edited generated file raises
    :class:`HandEdited` unless ``force``, and a failure part-way writes nothing.
    """
    result = prepare(model, out_dir, templates=templates, package=package)
    if not (check or dry_run):
        write([result], force=force)
    return result


def prepare(model: Model, out_dir: Path, *, templates: Path | None = None, package: str | None = None) -> Result:
    """Render the package for ``model`` and compare it with ``out_dir``: what ``write`` would do."""
    from esp.generate.package import build
    from esp.generate.render import render

    view = build(model, package)
    errors = [d for d in view.names.problems if d.severity is Severity.ERROR]
    if errors:  # generate_paths validated first; a library caller may not have
        raise ProblemsFound(errors)
    return plan(out_dir, render(view, templates))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> str | None:
    try:
        return fs.read_text(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise GenerateError(f"cannot read {path}: {fs.reason(exc)}") from None
    except UnicodeDecodeError as exc:
        raise GenerateError(f"cannot read {path}: {exc}") from None


def load_manifest(root: Path) -> dict[str, str]:
    """The sha256 of each file esp generated earlier in ``root`` (empty if none)."""
    text = _read(fs.inside(root, MANIFEST)) if root.is_dir() else None
    if text is None:
        return {}
    try:
        data = json.loads(text)
        files = data["generated"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise ValueError("'generated' is not a mapping of paths to hashes")
    except (ValueError, KeyError, TypeError) as exc:
        raise GenerateError(
            f"the manifest {root / MANIFEST} is damaged: {exc}", "delete it and run again with --force"
        ) from None
    return {str(k): v for k, v in files.items()}


def manifest_text(files: list[File]) -> str:
    generated = {f.path: _sha(f.text) for f in files if f.generated}
    user = sorted(f.path for f in files if not f.generated)
    data = {"tool": "esp generate", "generated": dict(sorted(generated.items())), "user_owned": user}
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def plan(out_dir: Path, files: list[File]) -> Result:
    """Compare the files esp would write with the output folder and its manifest."""
    root = out_dir.resolve()
    if root.exists() and not root.is_dir():
        raise GenerateError(f"the output {out_dir} is not a folder")
    manifest = load_manifest(root)
    result = Result(out_dir)
    wanted: set[str] = set()
    for f in [*files, File(MANIFEST, manifest_text(files))]:
        wanted.add(f.path)
        current = _read(fs.inside(root, f.path))
        if current is None:
            result.actions.append(Action("create", f.path, None, f.text))
        elif not f.generated:
            result.actions.append(Action("keep", f.path))
        elif current != f.text:
            ours = f.path == MANIFEST or manifest.get(f.path) == _sha(current)
            if not ours:
                result.conflicts.append(f.path)
            result.actions.append(Action("change", f.path, current, f.text))
    for path in sorted(set(manifest) - wanted):
        current = _read(fs.inside(root, path))
        if current is None:
            continue
        if _sha(current) != manifest[path]:
            result.conflicts.append(path)
        result.actions.append(Action("remove", path, current, None))
    return result


def write(results: list[Result], *, force: bool = False) -> None:
    """Carry out the plans, all or nothing: every file is staged inside its output
    folder first, and only when all are staged do they move into place (the
    manifest last); then files no longer produced are removed."""
    several = len(results) > 1
    conflicts = [f"{r.out_dir}/{path}" if several else path for r in results for path in r.conflicts]
    if conflicts and not force:
        raise HandEdited(conflicts)
    stagings = [fs.Staging(r.out_dir) for r in results]
    try:
        for result, staging in zip(results, stagings, strict=True):
            changed = [a for a in result.changes if a.kind != "remove"]
            for action in sorted(changed, key=lambda a: a.path == MANIFEST):  # the manifest last
                assert action.new is not None
                staging.add(action.path, action.new)
        for result, staging in zip(results, stagings, strict=True):
            staging.commit()
            _remove(result)
            result.written = True
    finally:
        for staging in stagings:
            staging.discard()


def _remove(result: Result) -> None:
    root = result.out_dir
    for action in result.changes:
        if action.kind == "remove":
            path = fs.inside(root, action.path)
            path.unlink(missing_ok=True)
            _prune(path.parent, root)


def _prune(folder: Path, root: Path) -> None:
    """Remove folders left empty by removals, up to the output folder."""
    while folder != root and root in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
