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
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esp import names
from esp.errors import ExitCode, UserError
from esp.generate.render import File
from esp.generate.text import GenerateError
from esp.model import Model

MANIFEST = ".esp-manifest.json"

__all__ = ["MANIFEST", "Action", "GenerateError", "HandEdited", "Result", "generate", "generate_paths", "package_name"]


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


def package_name(model: Model) -> str:
    """The Python package of a model: its journey's name in snake case."""
    name = names.module_name(model.name) or "journey"
    return name if name[0].isalpha() else "journey_" + name


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
    :class:`HandEdited` unless ``force``.
    """
    from esp.generate.context import build
    from esp.generate.render import render
    from esp.generate.saga import attach

    view = build(model, package or package_name(model))
    attach(view, model)
    files = render(view, templates)
    result = plan(out_dir, files)
    if check or dry_run:
        return result
    if result.conflicts and not force:
        raise HandEdited(result.conflicts)
    write(result)
    return result


def generate_paths(paths: list[Path], out_dir: Path, **options: Any) -> Result:
    """Validate the journeys at ``paths`` as one model and ``generate`` it (problems raise ProblemsFound)."""
    from esp import api
    from esp.errors import ProblemsFound

    validation = api.validate(paths)
    if validation.model is None or validation.exit_code() != ExitCode.OK:
        raise ProblemsFound(validation.errors or validation.diagnostics)
    return generate(validation.model, out_dir, **options)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _inside(root: Path, rel: str) -> Path:
    """``root/rel``, refusing any path (or symlink) that leads outside ``root``."""
    path = root / rel
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise GenerateError(f"refusing to write {path}: it leads outside the output folder {root}")
    if path.is_symlink():
        raise GenerateError(f"refusing to write {path}: it is a symbolic link")
    return path


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerateError(f"cannot read {path}: {exc}") from None


def load_manifest(root: Path) -> dict[str, str]:
    """The sha256 of each file esp generated earlier in ``root`` (empty if none)."""
    text = _read(_inside(root, MANIFEST)) if root.is_dir() else None
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
        current = _read(_inside(root, f.path))
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
        current = _read(_inside(root, path))
        if current is None:
            continue
        if _sha(current) != manifest[path]:
            result.conflicts.append(path)
        result.actions.append(Action("remove", path, current, None))
    return result


def write(result: Result) -> None:
    """Carry out the plan: atomic writes, removals, then the manifest last."""
    root = result.out_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    manifest = None
    for action in result.changes:
        path = _inside(root, action.path)
        if action.kind == "remove":
            path.unlink()
            _prune(path.parent, root)
        elif action.path == MANIFEST:
            manifest = action
        else:
            assert action.new is not None
            _atomic_write(root, path, action.new)
    if manifest is not None:
        assert manifest.new is not None
        _atomic_write(root, _inside(root, MANIFEST), manifest.new)
    result.written = True


def _atomic_write(root: Path, path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _inside(root, str(path.parent.relative_to(root)) if path.parent != root else ".")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".esp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, root: Path) -> None:
    """Remove folders left empty by removals, up to the output folder."""
    while folder != root and root in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
