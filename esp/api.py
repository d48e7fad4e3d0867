"""The library's front door: each CLI command calls one function here.

The layers below (build, check, draw, generate, export) take a Model; this
module reads and validates the journeys that make it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esp.errors import (
    Capped,
    Diagnostic,
    ExitCode,
    Location,
    ProblemsFound,
    Severity,
    UserError,
    capped,
    diagnostic,
    exit_code_for,
)
from esp.load import Document, load_path
from esp.model import Model

if TYPE_CHECKING:
    from esp.generate import Result
    from esp.output import Printer

JOURNEY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Validation:
    """A model (None if the input was unusable) and every problem found."""

    model: Model | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]

    def exit_code(self, *, strict: bool = False) -> ExitCode:
        return exit_code_for(self.diagnostics, strict=strict)

    def adding(self, found: Iterable[Diagnostic]) -> Validation:
        """The same validation with more problems (e.g. ``esp validate --since``'s)."""
        merged = sorted(dict.fromkeys((*self.diagnostics, *found)), key=Diagnostic.sort_key)
        return Validation(self.model, tuple(merged), self.files)

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
    recursively for *.yaml and *.yml (hidden ones skipped), in a stable order.

    A FIFO, socket or device found so is kept, so that reading refuses it (E002)
    rather than the folder seeming to hold one journey fewer."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in JOURNEY_SUFFIXES
                and p.exists()
                and not p.is_dir()
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
    files, found_in = journey_files(paths)
    problems = Capped()
    problems.extend(found_in)
    docs = []
    for path in files:
        doc, found = load_path(path)
        _gather(problems, found)
        if doc is not None:
            docs.append(doc)
    return docs, problems


def _gather(into: Capped, found: Iterable[Diagnostic]) -> None:
    """``found`` added to ``into``, what ``found`` only counted too."""
    into.extend(found)
    if isinstance(found, Capped):
        into.hidden.update(found.hidden)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage cycles less often while a model is read and built.

    Validating builds hundreds of thousands of small objects that live until
    the end (YAML nodes, their positions, the model) and hold no garbage
    cycles. At CPython's default threshold (a collection every 700 new
    objects) the collector promotes them and re-scans them all in full passes,
    again and again: at 5,000 processes that was 4.4 s of 13 s (7 full
    passes), 30x the 500-process figure for 10x the size, and the one part of
    validation that grew faster than the model. Collecting every 10,000 new
    objects leaves no full pass at that size (docs/performance.md).
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 10_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def validate(paths: Sequence[Path], profile: str = "default") -> Validation:
    """Load, schema-check, build and check the journeys at ``paths`` as one model;
    ``profile`` "workshop" turns what a half-finished model may lack into to-dos."""
    with _fewer_collections():
        docs, problems = load_documents(paths)
        return validate_documents(docs, problems, profile)


def validate_documents(docs: Sequence[Document], problems: Iterable[Diagnostic], profile: str) -> Validation:
    """:func:`validate` for journeys already loaded (the live board loads them from text)."""
    from esp import build, check, schema
    from esp.profile import apply as apply_profile

    gathered = Capped()
    _gather(gathered, problems)
    for doc in docs:
        _gather(gathered, schema.check(doc))
    model: Model | None = None
    if not any(d.fatal for d in gathered):
        model, built = build.build(docs)
        gathered.extend(built)
        gathered.extend(check.check(model))
    unique = apply_profile(sorted(dict.fromkeys(gathered), key=Diagnostic.sort_key), profile)
    return Validation(model, capped(unique, gathered.hidden), tuple(doc.file for doc in docs))


def load_model(paths: Sequence[Path]) -> Model:
    """The valid model at ``paths``; its problems (raised as ProblemsFound) otherwise."""
    result = validate(paths)
    if result.model is None or result.exit_code() != ExitCode.OK:
        raise ProblemsFound(result.diagnostics)
    return result.model


def report(
    paths: Sequence[Path],
    out: Printer,
    *,
    fmt: str = "text",
    strict: bool = False,
    profile: str | None = None,
    more: Callable[[Model], Iterable[Diagnostic]] | None = None,
) -> ExitCode:
    """``esp validate``: validate, print the report in ``fmt`` to ``out``, return the exit code.
    ``profile`` None means the configured one ([tool.esp], else "default"); ``more`` checks
    a model without errors further (``esp validate --since``)."""
    from esp import report as reports

    if profile is None:
        from esp.config import load

        profile = load().profile
    result = validate(paths, profile)
    if more is not None and result.model is not None and not result.errors:
        result = result.adding(more(result.model))
    reports.render(result.diagnostics, result.files, fmt, out)
    return result.exit_code(strict=strict)


def check_logic(model: Model, generated: Path) -> list[Diagnostic]:
    """``esp validate --generated``: what the hand-written rules.py files of the package(s) ``esp generate``
    wrote to ``generated`` override that the journeys no longer ask for. A folder without a manifest of its
    own holds one package per journey (``esp generate journeys/ -o generated``), each checked on its own."""
    from esp import overrides

    if overrides.generated_here(generated) or len(model.journeys) < 2:
        return overrides.check(model, generated)
    found: list[Diagnostic] = []
    for journey in model.journeys:
        folder = generated / Path(journey.file).stem
        alone = validate([Path(journey.file)]).model if overrides.generated_here(folder) else None
        if alone is not None:
            found.extend(overrides.check(alone, folder))
    return found


def packages(paths: Sequence[Path], out_dir: Path, package: str | None = None) -> list[tuple[Model, Path]]:
    """What ``esp generate`` makes of the journeys at ``paths``: (model, folder) pairs.

    One journey: one package in ``out_dir``. Several with ``package``: one
    package of them all, so named, in ``out_dir``. Several without: one package
    per journey, each validated on its own, in ``out_dir/<file name>`` —
    never one package named after all of them."""
    model = load_model(paths)
    if package is not None or len(model.journeys) == 1:
        return [(model, out_dir)]
    found: list[tuple[Model, Path]] = []
    folders: dict[Path, str] = {}
    for journey in model.journeys:
        folder = out_dir / Path(journey.file).stem
        if folder in folders:
            raise UserError(
                f"{folders[folder]} and {journey.file} would both be generated into {folder}",
                "rename one of the files, or generate the journeys as one package: --package NAME",
            )
        folders[folder] = journey.file
        alone = validate([Path(journey.file)])
        if alone.model is None or alone.exit_code() != ExitCode.OK:
            first = (alone.errors or alone.diagnostics)[0]
            raise UserError(
                f"journey '{journey.name}' does not stand alone, so it cannot be a package of its own:"
                f" {first.location}: {first.message}",
                "generate the journeys as one package (--package NAME), or fix the journey",
            )
        found.append((alone.model, folder))
    return found


def generate(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    package: str | None = None,
    force: bool = False,
    check: bool = False,
    dry_run: bool = False,
    templates: Path | None = None,
) -> list[Result]:
    """``esp generate``: the package(s) of the journeys at ``paths`` (see :func:`packages`),
    written all or nothing unless ``check`` or ``dry_run``."""
    from esp.generate import check_package_name, prepare, write

    if package is not None:
        check_package_name(package)
    targets = packages(paths, out_dir, package)
    results = [prepare(model, folder, templates=templates, package=package) for model, folder in targets]
    if not (check or dry_run):
        write(results, force=force)
        for (model, folder), result in zip(targets, results, strict=True):
            result.stale = check_logic(model, folder)  # never silently: the CLI shows them
    return results
