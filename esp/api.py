"""The library's front door: each CLI command calls one function here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from esp.errors import Diagnostic, ExitCode, Location, Severity, diagnostic, exit_code_for
from esp.load import Document, load_path
from esp.model import Model

JOURNEY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Validation:
    """A model (None if the input was unusable) and every problem found."""

    model: Model | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]

    def exit_code(self, *, strict: bool = False) -> ExitCode:
        return exit_code_for(self.diagnostics, strict=strict)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def todos(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.TODO)


def journey_files(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """The journey files named by ``paths``: files as given, folders searched
    recursively for *.yaml and *.yml (hidden ones skipped), in a stable order."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in JOURNEY_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(diagnostic("E014", Location(str(path)), path=str(path)))
            files.extend(found)
        else:
            files.append(path)
    seen: set[Path] = set()
    unique = []
    for path in files:  # the same file named twice (or by two paths) is read once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique, problems


def load_documents(paths: Iterable[Path]) -> tuple[list[Document], list[Diagnostic]]:
    files, problems = journey_files(paths)
    docs = []
    for path in files:
        doc, found = load_path(path)
        problems.extend(found)
        if doc is not None:
            docs.append(doc)
    return docs, problems


def validate(paths: Sequence[Path], profile: str = "default") -> Validation:
    """Load, schema-check, build and check the journeys at ``paths`` as one model;
    ``profile`` "workshop" turns what a half-finished model may lack into to-dos."""
    from esp import build, check, schema
    from esp.profile import apply as apply_profile

    docs, problems = load_documents(paths)
    for doc in docs:
        problems.extend(schema.check(doc))
    model: Model | None = None
    if not any(d.fatal for d in problems):
        model, built = build.build(docs)
        problems.extend(built)
        problems.extend(check.check(model))
    unique = apply_profile(sorted(dict.fromkeys(problems), key=Diagnostic.sort_key), profile)
    return Validation(model, unique, tuple(doc.file for doc in docs))


def load_model(paths: Sequence[Path]) -> Model:
    """The valid model at ``paths``; its problems (raised as ProblemsFound) otherwise."""
    from esp.errors import ProblemsFound

    result = validate(paths)
    if result.model is None or result.exit_code() != ExitCode.OK:
        raise ProblemsFound(result.diagnostics)
    return result.model
