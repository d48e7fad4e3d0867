"""The user's business logic against the model: what each microservice's ``rules.py`` overrides.

``esp generate`` writes ``rules.py`` once and never again, so after a model
change it may override a rule the generated code no longer asks for (a
command or event renamed or removed): the method would never run. This
reads the files (with ``ast``: never importing or running them) and reports
each such method where it is written, ``esp validate --generated DIR``; and
a scenario that expects a rule to reject its command where no rule is written.
"""

from __future__ import annotations

import ast
import difflib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from esp import files as fs
from esp.errors import Diagnostic, Location, UserError, diagnostic
from esp.model import Microservice, Model
from esp.naming import Naming, naming

MANIFEST = ".esp-manifest.json"  # esp.generate.MANIFEST, without importing the generator
RULES_FILE = "rules.py"
RULES_CLASS = "Rules"


def check(model: Model, generated: Path) -> list[Diagnostic]:
    """The problems of the hand-written rules in the package ``esp generate`` wrote from ``model`` to
    ``generated`` (the folder holding its manifest)."""
    if not (generated / MANIFEST).is_file():
        raise UserError(
            f"--generated {generated}: no package esp generated is there (no {MANIFEST})",
            "give the output folder of 'esp generate' (the folder holding .esp-manifest.json)",
        )
    return list(_package(model, generated))


def generated_here(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


def _package(model: Model, out: Path) -> Iterator[Diagnostic]:
    names = naming(model)
    package = _package_name(out) or names.package
    wanted = {names.services[ms].module: ms for ms in model.microservices if ms in names.services}
    root = out / package
    folders = sorted(p.parent for p in root.glob(f"*/{RULES_FILE}")) if root.is_dir() else []
    written: dict[Microservice, set[str] | None] = {}  # the methods each rules.py defines (None: unreadable)
    for folder in folders:
        path = folder / RULES_FILE
        ms = wanted.get(folder.name)
        if ms is None:
            yield diagnostic("W126", Location(str(path), 1, 1), microservice=folder.name, package=package)
            continue
        rules = {h.method for h in names.hooks_of(ms)}
        problems, written[ms] = _file(path, rules)
        yield from problems
    yield from _rejections_unwritten(model, names, written, root)


def _rejections_unwritten(
    model: Model, names: Naming, written: dict[Microservice, set[str] | None], root: Path
) -> Iterator[Diagnostic]:
    """W132: a scenario expects a rule to reject its command ('then: {rejected: ...}'), but the microservice's
    rules.py has no check_<command> (the default accepts everything): its generated test fails until it does.
    A rules.py that does not parse or has no Rules is E221/E222's, not this."""
    checks = {h.commands[0]: h.method for h in names.hooks if h.kind == "check"}
    for scenario in model.scenarios:
        ms = scenario.aggregate.microservice
        method = checks.get(scenario.when.command)
        if scenario.rejection is None or method is None or ms not in names.services:
            continue
        methods = written.get(ms, set())  # no rules.py at all: nothing overrides the default
        if methods is not None and method not in methods:
            yield diagnostic(
                "W132",
                scenario.loc,
                scenario=scenario.name,
                command=scenario.when.command.name,
                path=root / names.services[ms].module / RULES_FILE,
                method=method,
                words=scenario.rejection,
            )


def _package_name(out: Path) -> str | None:
    """The package the manifest lists (``--package`` may have named it otherwise than the journey)."""
    try:
        data = json.loads(fs.read_text(out / MANIFEST))
        paths = [str(p) for p in data.get("generated", {})]
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None
    roots = {p.split("/")[0] for p in paths if p.count("/") == 1 and p.endswith("/__init__.py")}
    return roots.pop() if len(roots) == 1 else None


def _file(path: Path, rules: set[str]) -> tuple[list[Diagnostic], set[str] | None]:
    """The problems of one rules.py, and the public methods its Rules defines (None: no Rules to read)."""
    try:
        tree = ast.parse(fs.read_text(path), filename=str(path))
    except SyntaxError as exc:
        where = Location(str(path), exc.lineno or 1, exc.offset or 1)
        return [diagnostic("E222", where, reason=exc.msg)], None
    except (OSError, UnicodeDecodeError) as exc:
        return [diagnostic("E222", Location(str(path), 1, 1), reason=str(exc))], None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == RULES_CLASS), None)
    if cls is None:
        return [diagnostic("E221", Location(str(path), 1, 1), cls=RULES_CLASS)], None
    methods = list(_public_methods(cls.body))
    return [_dead(path, m, rules) for m in methods if m.name not in rules], {m.name for m in methods}


def _public_methods(body: Iterable[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node


def _dead(path: Path, method: ast.FunctionDef | ast.AsyncFunctionDef, rules: set[str]) -> Diagnostic:
    where = Location(str(path), method.lineno, method.col_offset + 1)
    close = difflib.get_close_matches(method.name, sorted(rules), n=1, cutoff=0.6)
    hint = f"the journey now asks for '{close[0]}': rename it, " if close else ""
    hint += "or remove it (hooks.py lists every rule); a helper of yours starts with '_'"
    return diagnostic("E220", where, hint=hint, method=method.name)
