"""Render the template view of a model into files: path -> text, and who owns each.

Templates are found in the installed wheel (``esp/templates``), else in the
repository's top-level ``templates/`` (an editable install); a folder given
with ``--templates`` overrides single files and falls back to these.
"""

from __future__ import annotations

import functools
import io
import re
import symtable
import textwrap
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esp.generate.context import JourneyV, MicroserviceV
from esp.generate.package import PackageV
from esp.generate.text import VALUE_MODULE, GenerateError, UnsafeText, docstring, plain, pystr, pytuple
from esp.generate.wrap import fit_module
from esp.naming import STDLIB_IMPORTS
from esp.progress import track

if TYPE_CHECKING:
    import jinja2

# Where each name used in generated code is imported from (the standard library): one list with the names
# esp.naming keeps journeys from taking.
STDLIB = STDLIB_IMPORTS


@dataclass(frozen=True)
class File:
    """One output file: its text, and whether esp owns it (else the user does after the first write)."""

    path: str  # relative to the output folder, with '/'
    text: str
    generated: bool = True


def template_dirs(override: Path | None) -> list[Path]:
    """The template folders, most specific first."""
    dirs = [override] if override is not None else []
    shipped = resources.files("esp") / "templates"
    if shipped.is_dir():
        dirs.append(Path(str(shipped)))
    repo = Path(__file__).resolve().parents[2] / "templates"
    if repo.is_dir():
        dirs.append(repo)
    if len(dirs) == (1 if override is not None else 0):
        raise GenerateError("esp's templates are missing from this installation", "reinstall esp")
    return dirs


def environment(override: Path | None) -> jinja2.Environment:
    if override is not None and not override.is_dir():
        raise GenerateError(f"--templates {override}: no such folder")
    return _shipped() if override is None else _environment(override)


@functools.cache
def _shipped() -> jinja2.Environment:
    """One environment for esp's own templates, kept: compiling them took most of a generation's time (jinja2
    still reloads a template whose file changed)."""
    return _environment(None)


def _environment(override: Path | None) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=_loader([str(d) for d in template_dirs(override)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=_finalize,
    )
    env.filters["doc"] = _doc_filter
    env.filters["pystr"] = pystr
    env.filters["plain"] = plain
    env.filters["pytuple"] = pytuple
    env.globals["imports"] = imports
    env.globals["call"] = call
    env.globals["group"] = group
    env.globals["fit"] = fit
    env.globals["entry"] = entry
    env.filters["comment"] = comment
    env.filters["kwargs"] = kwargs
    env.globals["from_imports"] = from_imports
    env.globals["first_party"] = first_party
    return env


def _loader(searchpath: list[str]) -> jinja2.BaseLoader:
    """jinja2's file loader, refusing a template that is a FIFO or device (reading it would wait forever)."""
    import stat

    import jinja2

    class Loader(jinja2.FileSystemLoader):
        def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
            for folder in self.searchpath:
                path = Path(folder, *jinja2.loaders.split_template_path(template))
                try:
                    mode = path.stat().st_mode
                except OSError:
                    continue
                if not stat.S_ISREG(mode):
                    raise GenerateError(f"cannot read the template {path}: it is not a regular file")
                break
            return super().get_source(environment, template)

    return Loader(searchpath)


LINE = 120  # the generated pyproject.toml's ruff line-length


@dataclass(frozen=True)
class Group:
    """``head(item, item, ...)`` (or another pair of brackets), laid out the way ruff format lays it out."""

    head: str
    items: tuple[str | Group, ...]
    brackets: str = "()"

    def flat(self) -> str:
        inner = ", ".join(i if isinstance(i, str) else i.flat() for i in self.items)
        return f"{self.head}{self.brackets[0]}{inner}{self.brackets[1]}"

    def layout(self, indent: int, tail: str = "") -> str:
        """The text from column ``indent`` on (its first line unindented): on one line if it fits, else its
        items on one line of their own, else one item a line with a trailing comma."""
        flat = self.flat()
        if indent + len(flat) + len(tail) <= LINE:
            return flat + tail
        pad, opening, closing = " " * indent, self.head + self.brackets[0], self.brackets[1]
        if indent + len(opening) > LINE and " = " in self.head and not tail:  # ruff parenthesizes the value
            target, value = self.head.split(" = ", 1)
            inner = Group(value, self.items, self.brackets).layout(indent + 4)
            return f"{target} = (\n{pad}    {inner}\n{pad})"
        inner = ", ".join(i if isinstance(i, str) else i.flat() for i in self.items)
        if indent + 4 + len(inner) <= LINE:
            return f"{opening}\n{pad}    {inner}\n{pad}{closing}{tail}"
        lines = [pad + "    " + (i + "," if isinstance(i, str) else i.layout(indent + 4, ",")) for i in self.items]
        return opening + "\n" + "\n".join(lines) + f"\n{pad}{closing}{tail}"


def group(head: str, items: Iterable[str | Group], brackets: str = "()") -> Group:
    return Group(head, tuple(items), brackets)


def fit(code: Group, indent: int, tail: str = "") -> str:
    """``code`` at column ``indent`` (followed by ``tail``) as ruff format leaves it: however long its names."""
    return code.layout(indent, tail)


def entry(key: str, text: str, indent: int) -> str:
    """A dict entry ``"key": "text",`` at column ``indent`` as ruff format leaves it: on one line if it fits,
    else the value in parentheses on the lines below, split into implicitly joined strings where it is longer
    than a line (a string ruff cannot split would break E501)."""
    one = f"{pystr(key)}: {pystr(text)},"
    if indent + len(one) <= LINE:
        return one
    inner = " " * (indent + 4)
    width = LINE - len(inner) - 2  # the quotes
    parts = textwrap.wrap(text, width, drop_whitespace=False, break_on_hyphens=False) or [""]
    lines = "".join(f"{inner}{pystr(part)}\n" for part in parts)
    return f"{pystr(key)}: (\n{lines}{' ' * indent}),"


def comment(text: str, indent: int) -> str:
    """``# text`` at column ``indent``, wrapped to fit the line (ruff's E501 counts comments too)."""
    lines = textwrap.wrap(text, LINE - indent - 2, break_long_words=False, break_on_hyphens=False) or [""]
    return ("\n" + " " * indent).join("# " + line for line in lines)


def call(callee: str, pairs: Iterable[tuple[str, str]], indent: int) -> str:
    """``callee(name=expr, ...)``, one argument a line with a trailing comma (ruff keeps it so), or ``callee()``."""
    pairs = list(pairs)
    if not pairs:
        return f"{callee}()"
    pad = " " * (indent + 4)
    args = "".join(f"{pad}{name}={expr},\n" for name, expr in pairs)
    return f"{callee}(\n{args}{' ' * indent})"


def kwargs(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(name, source) pairs: a value's expression, or a field's example value."""
    return [(i.field.name, i.expr) if hasattr(i, "expr") else (i.name, i.sample) for i in items]


def _finalize(value: Any) -> Any:
    if isinstance(value, UnsafeText):
        raise GenerateError("a template printed journey text without the 'doc' or 'pystr' filter")
    return value


def _doc_filter(text: str | UnsafeText, indent: int = 0, fallback: str = "") -> str:
    return docstring(text, indent, fallback)


def imports(names: Iterable[str], modules: str = "") -> str:
    """The standard-library imports of ``names`` (each one of STDLIB's) and of the ``modules`` imported whole,
    sorted the way ruff's isort sorts them, followed by a blank line (nothing if none is needed). A module's
    view states the names it needs, from the model (tests/test_generate_imports.py checks them against the
    rendered code)."""
    from_modules: dict[str, set[str]] = {}
    for name in names:
        if name != VALUE_MODULE:  # the package's own module: first_party() imports it
            from_modules.setdefault(STDLIB[name], set()).add(name)
    lines = [f"import {m}" for m in sorted(modules.split())]
    for module in sorted(from_modules):
        ordered = sorted(from_modules[module], key=_isort_key)
        lines.append(f"from {module} import {', '.join(ordered)}")
    return "\n".join(lines) + "\n\n" if lines else ""


def first_party(package: str, names: Iterable[str]) -> list[tuple[str, str, str]]:
    """The (module, name, alias) import of the package's value_objects module when ``names`` (what a module's
    view says it reads) hold it, for :func:`from_imports`."""
    return [(package, VALUE_MODULE, "")] if VALUE_MODULE in names else []


def from_imports(items: Iterable[tuple[str, str, str]]) -> str:
    """``from module import name [as alias]`` lines for (module, name, alias) items, in ruff's isort order."""
    plain: dict[str, set[str]] = {}
    aliased: set[tuple[str, str, str]] = set()
    for module, name, alias in items:
        if alias:
            aliased.add((module, name, alias))
        else:
            plain.setdefault(module, set()).add(name)
    lines = [(m.lower(), "", _from_line(m, sorted(ns, key=_isort_key))) for m, ns in plain.items()]
    lines += [(m.lower(), n, f"from {m} import {n} as {a}") for m, n, a in aliased]
    return "\n".join(line for _, _, line in sorted(lines))


def _from_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 120:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def _isort_key(name: str) -> tuple[int, str]:
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def names_read(source: str) -> frozenset[str]:
    """The names ``source`` (Python code) reads from its module's globals, by Python's own symbol tables:
    not in strings or comments, not attributes (``x.date``) nor keyword arguments, but in f-strings' expressions
    too. The code is esp's own template output."""
    # annotations are names used too (ruff counts them): read the module as if they were evaluated
    source = source.replace("from __future__ import annotations\n", "\n", 1)
    try:
        table = symtable.symtable(source, "<generated>", "exec")
    except SyntaxError:  # a template's part that is not a module alone: its tokens, names not after a dot
        return _token_names(source)
    found: set[str] = set()
    tables = [table]
    while tables:
        scope = tables.pop()
        top = scope.get_type() == "module"
        # Symbols made from the raw table's flags (its `_table`, untyped): get_symbols() looks each name up among
        # all of the scope's children, which made a module of n functions cost n * n (docs/performance.md)
        flags: dict[str, int] = scope._table.symbols  # type: ignore[attr-defined]
        symbols = (symtable.Symbol(name, flag, module_scope=top) for name, flag in flags.items())
        found.update(s.get_name() for s in symbols if s.is_referenced() and (top or s.is_global()))
        tables.extend(scope.get_children())
    return frozenset(found)


def _token_names(source: str) -> frozenset[str]:
    found: set[str] = set()
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and previous != ".":
                found.add(tok.string)
            previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return frozenset(found)


def _header(view: JourneyV, generated: bool, comment: str = "#") -> str:
    files = ", ".join(Path(f).name for f in view.files)
    if generated:
        return f"{comment} Generated by esp from {files}: do not edit. Run 'esp generate' again instead.\n"
    return f"{comment} Written once by esp from {files}: this file is yours; esp never overwrites it.\n"


def render(view: PackageV, override: Path | None = None) -> list[File]:
    """Every file of the generated package for ``view``, in a stable order."""
    env = environment(override)
    pkg = view.package
    files: list[File] = []

    def emit(template: str, path: str, generated: bool = True, **extra: Any) -> None:
        text = env.get_template(f"python/{template}").render(j=view, **extra)
        comment = "" if path.endswith((".md", ".typed")) else "#"
        head = _header(view, generated, comment) if comment else ""
        if path.endswith(".md"):
            head = "<!-- " + _header(view, generated, "").strip() + " -->\n\n"
        if path.endswith(".py"):
            text = _tidy(fit_module(text))
        files.append(File(path, head + text if text.strip() or head else text, generated))

    emit("README.md.j2", "README.md")
    emit("pyproject.toml.j2", "pyproject.toml")
    emit("package/__init__.py.j2", f"{pkg}/__init__.py")
    emit("package/__main__.py.j2", f"{pkg}/__main__.py")
    emit("package/system.py.j2", f"{pkg}/system.py")
    emit("package/journey.py.j2", f"{pkg}/journey.py")
    emit("package/testing.py.j2", f"{pkg}/testing.py")
    emit("package/deploy.py.j2", f"{pkg}/deploy.py")
    if view.types:
        emit("package/value_objects.py.j2", f"{pkg}/{VALUE_MODULE}.py")
    emit("Procfile.j2", "Procfile")
    files.append(File(f"{pkg}/py.typed", ""))
    for ms in track(view.microservices, "generating microservices"):  # a bar on a terminal only
        _service(emit, pkg, ms, view)
    emit("tests/conftest.py.j2", "tests/conftest.py")
    emit("tests/test_scenarios.py.j2", "tests/test_scenarios.py")
    emit("tests/test_commands.py.j2", "tests/test_commands.py")
    emit("tests/test_listeners.py.j2", "tests/test_listeners.py")
    emit("tests/test_journey.py.j2", "tests/test_journey.py")
    emit("tests/test_integration_events.py.j2", "tests/test_integration_events.py")
    if view.deploy.apis:
        emit("tests/test_api.py.j2", "tests/test_api.py")
    if view.saga_views:
        emit("tests/test_sagas.py.j2", "tests/test_sagas.py")
    if view.timed:
        emit("tests/test_timers.py.j2", "tests/test_timers.py")
    _check_paths(f.path for f in files)
    return files


def _service(emit: Callable[..., None], pkg: str, ms: MicroserviceV, view: PackageV) -> None:
    base = f"{pkg}/{ms.module}"
    emit("service/__init__.py.j2", f"{base}/__init__.py", ms=ms)
    emit("service/commands.py.j2", f"{base}/commands.py", ms=ms)
    emit("service/aggregates.py.j2", f"{base}/aggregates.py", ms=ms)
    emit("service/hooks.py.j2", f"{base}/hooks.py", ms=ms)
    emit("service/rules.py.j2", f"{base}/rules.py", generated=False, ms=ms)
    emit("service/application.py.j2", f"{base}/application.py", ms=ms)
    if ms.projections:
        emit("service/projections.py.j2", f"{base}/projections.py", ms=ms)
    part = view.saga_part(ms)
    if part is not None and part.runs:
        emit("service/sagas.py.j2", f"{base}/sagas.py", ms=ms)
    if part is not None and (part.steps or part.outcomes):
        emit("service/saga_steps.py.j2", f"{base}/saga_steps.py", ms=ms)
    api = view.deploy.api_of(ms)
    if api is not None:
        emit("service/api.py.j2", f"{base}/api.py", ms=ms, api=api)


def _tidy(text: str) -> str:
    """No trailing spaces, at most two blank lines in a row, one newline at the end (as ruff format leaves it)."""
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")
    return text + "\n" if text else ""


def _check_paths(paths: Iterable[str]) -> None:
    seen: set[str] = set()
    for path in paths:
        parts = path.split("/")
        if path in seen or any(p in ("", ".", "..") for p in parts) or path.startswith("/"):
            raise GenerateError(f"refusing to write the output path {path!r}")
        seen.add(path)
