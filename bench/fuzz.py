"""Mutation fuzzing of the one contract: every journey that ``esp validate`` accepts generates a package
that compiles, imports, plays its journey and passes its own tests (in memory).

``python -m bench.fuzz --mutants 5000`` mutates the example journeys (and the transcribed real systems
that validate) with seeded operators: lines and list items deleted, duplicated and swapped; names
renamed everywhere to Python keywords, builtins, standard-library modules, the names the generated
code uses, case and snake_case twins of other names, leading digits, long names, unicode and empty
strings, or every name at once as long as esp accepts; scalars changed to values of other types; field
types changed or unknown; fields duplicated; scenario values and ``then`` emptied.
Each mutant is validated in-process; one that validates is drawn (every view, as DOT and Mermaid) and
generated (under a package name of its own), compiled, then imported and played by a worker process, and a
sample runs its tests. The
table it prints goes to docs/performance.md; ``--keep DIR`` saves the mutants that broke the
contract, with what happened, for reproducing them (``esp validate`` / ``esp generate`` on the file).
"""

from __future__ import annotations

import argparse
import builtins
import copy
import functools
import json
import keyword
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
NAME_KEYS = ("journey", "process", "command", "query", "event", "projection", "saga", "step", "scenario", "actor")


def seeds() -> list[Path]:
    """The example journeys and the transcribed real systems that validate."""
    found = sorted((ROOT / "journeys").glob("*.yaml"))
    for path in sorted((ROOT / "tests" / "data" / "real").glob("*.yaml")):
        head = path.read_text(encoding="utf-8")[:2000]
        # a system whose unmutated package fails its own tests (a known bug, tests/test_real_systems.py) is no seed
        if "# esp-status: valid" in head and "# esp-generated-tests: fail" not in head:
            found.append(path)
    return found


# -- names to try ------------------------------------------------------------------------------------------


@functools.cache
def awkward_names() -> list[str]:
    """Names that are hard to carry: keywords, builtins, modules, what the generated code uses, odd spellings."""
    from esp.naming import RESERVED

    used = sorted(set().union(*RESERVED.values()) - set(sys.stdlib_module_names))
    stdlib = sorted(n for n in sys.stdlib_module_names if n.isidentifier() and not n.startswith("_"))
    return (
        sorted([*keyword.kwlist, *keyword.softkwlist])
        + sorted(n for n in dir(builtins) if not n.startswith("_"))[:60]
        + stdlib
        + used
        + ["Test", "TestDrive", "test", "test_x", "S", "T", "Self", "Any", "Path", "UTC", "json", "os", "sys", "re"]
        + ["1st", "2fa", "x" * 80, "A" * 79 + "b", "Café", "naïve", "Ω", "", " ", "a b", "a-b", "a_b", "A-B", "AB"]
        + ["Order" * 50, "a" * 255, "ß", "İ", "ǅ", "ﬁ", "Ⅻ", "名前", "x\u200by", "\t", "None", "True", "__init__"]
    )


# -- operators ----------------------------------------------------------------------------------------------


@dataclass
class Mutant:
    seed: str
    text: str
    operators: list[str] = field(default_factory=list)


def _names(data: Any) -> Iterator[str]:
    """Every name a journey defines: the values of naming keys, microservice/aggregate/field keys, states."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in NAME_KEYS and isinstance(value, str):
                yield value
            if key in ("microservices", "aggregates", "fields") and isinstance(value, dict):
                yield from (k for k in value if isinstance(k, str))
            if key == "states" and isinstance(value, list):
                yield from (s for s in value if isinstance(s, str))
            if key == "identity" and isinstance(value, str):
                yield value
            yield from _names(value)
    elif isinstance(data, list):
        for item in data:
            yield from _names(item)


def _rename(data: Any, old: str, new: str) -> Any:
    """``old`` replaced by ``new`` wherever it stands as a whole value or key (references follow)."""
    if isinstance(data, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_rename(v, old, new) for v in data]
    return new if data == old else data


def _containers(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every list and mapping in ``data``, with its path."""
    if isinstance(data, (dict, list)):
        yield path, data
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for k, v in items:
            yield from _containers(v, (*path, k))


def _twin(name: str, rng: random.Random) -> str:
    """A name that differs only in case, spaces or underscores (a collision in Python)."""
    options = [name.lower(), name.upper(), name.replace("_", " "), name.replace(" ", "_"), name.title()]
    options += [re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name), re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()]
    options = [o for o in options if o != name] or [name + "_"]
    return rng.choice(options)


def op_rename(data: Any, rng: random.Random) -> str:
    names = sorted(set(_names(data)))
    if not names:
        return "rename: nothing"
    old = rng.choice(names)
    roll = rng.random()
    if roll < 0.55:
        new = rng.choice(awkward_names())
    elif roll < 0.8:
        new = _twin(rng.choice(names), rng)
    else:
        new = rng.choice(names)  # two things with one name
    renamed = _rename(data, old, new)
    data.clear()  # the journey's top-level mapping, changed in place like the other operators do
    data.update(renamed)
    return f"rename {old!r} -> {new!r}"


def op_field_type(data: Any, rng: random.Random) -> str:
    maps = [(p, c) for p, c in _containers(data) if p and p[-1] == "fields" and isinstance(c, dict) and c]
    if not maps:
        return "field type: none"
    _, fields = rng.choice(maps)
    name = rng.choice(sorted(fields))
    scalars = ["str", "int", "float", "bool", "decimal", "date", "datetime", "uuid"]
    odd = ["Int", "money", "list[foo]", "optional[]", "list[list[int]]", "dict[str, int]", ""]
    new = rng.choice([*scalars, "list[int]", "optional[decimal]", "list[optional[str]]", "optional[list[uuid]]", *odd])
    fields[name] = new
    return f"field {name!r}: {new}"


_VALUE_TYPES = {
    "Money": {"amount": "decimal", "currency": "str"},
    "Address": {"street": "str", "city": "str", "state": "optional[str]", "class": "optional[int]"},
    "Line": {"sku": "str", "units": "int", "price": "Money", "at": "optional[datetime]"},
}


def op_value_type(data: Any, rng: random.Random) -> str:
    """A value object (declared here if the journey has none) as a field's type, bare, in a list or an
    optional, nested, holding itself, or named like something the generated code uses."""
    if not isinstance(data, dict):
        return "value type: none"
    types = data.setdefault("types", {})
    if not isinstance(types, dict):
        return "value type: odd"
    roll = rng.random()
    if roll < 0.1 and types:  # one holds another that holds it, or itself
        a, b = rng.choice(sorted(types)), rng.choice(sorted(types))
        if isinstance(types[a], dict) and isinstance(types[a].get("fields"), dict):
            types[a]["fields"]["loop"] = rng.choice([b, f"list[{b}]", f"optional[{b}]"])
        return f"type {a} holds {b}"
    if roll < 0.2:
        name = rng.choice(["Decimal", "Exception", "Str", "UUID", "Service", "Aggregate", "Event", *types])
        types[name] = {"fields": rng.choice([{}, {"value": "str"}, {"value": "str", "Value": "int"}])}
        return f"type {name}"
    for name, fields in _VALUE_TYPES.items():
        types.setdefault(name, {"fields": dict(fields)})
    maps = [c for p, c in _containers(data) if p and p[-1] == "fields" and p[0] != "types" and isinstance(c, dict)]
    if not maps:
        return "value type: no fields"
    fields = rng.choice(maps)
    name = rng.choice(sorted(fields)) if fields and rng.random() < 0.8 else "extra"
    vo = rng.choice(sorted(types))
    new = rng.choice([vo, f"list[{vo}]", f"optional[{vo}]", f"optional[list[{vo}]]", "Mony"])
    # every field of that name, mostly (a command's field is its event's): the journey stays valid more often
    for other in maps if rng.random() < 0.8 else [fields]:
        if name in other or other is fields:
            other[name] = new
    return f"field {name!r}: {new}"


def op_scalar(data: Any, rng: random.Random) -> str:
    """A scalar anywhere changed to a value of another YAML type: a name to a number, a flag to text, a list to
    null..."""
    slots = [(c, k) for _, c in _containers(data) for k in (c if isinstance(c, dict) else range(len(c)))]
    if not slots:
        return "scalar: none"
    container, key = rng.choice(slots)
    new = rng.choice([0, 1, -1, 2.5, True, False, None, "", "yes", "1", [], {}, ["x"], {"a": 1}])
    container[key] = copy.deepcopy(new)
    return f"scalar {key!r} = {new!r}"


def op_duplicate_field(data: Any, rng: random.Random) -> str:
    maps = [c for p, c in _containers(data) if p and p[-1] == "fields" and isinstance(c, dict) and c]
    if not maps:
        return "duplicate field: none"
    fields = rng.choice(maps)
    name = rng.choice(sorted(fields))
    twin = _twin(name, rng)
    fields[twin] = fields[name]
    return f"field twin {name!r} / {twin!r}"


def op_list_item(data: Any, rng: random.Random) -> str:
    lists = [(p, c) for p, c in _containers(data) if isinstance(c, list) and c]
    if not lists:
        return "list: none"
    path, items = rng.choice(lists)
    i = rng.randrange(len(items))
    roll = rng.random()
    if roll < 0.4:
        del items[i]
        return f"delete {path}[{i}]"
    if roll < 0.7:
        items.insert(i, copy.deepcopy(items[i]))
        return f"duplicate {path}[{i}]"
    j = rng.randrange(len(items))
    items[i], items[j] = items[j], items[i]
    return f"swap {path}[{i}] [{j}]"


def op_mapping_key(data: Any, rng: random.Random) -> str:
    maps = [(p, c) for p, c in _containers(data) if isinstance(c, dict) and c and p]
    if not maps:
        return "key: none"
    path, mapping = rng.choice(maps)
    key = rng.choice(sorted(mapping, key=str))
    roll = rng.random()
    if roll < 0.5:
        del mapping[key]
        return f"drop {path}.{key}"
    if isinstance(mapping[key], bool):
        mapping[key] = not mapping[key]
        return f"flip {path}.{key}"
    if isinstance(mapping[key], str) and key in ("recovery", "kind"):
        mapping[key] = {"backward": "forward", "forward": "backward", "domain": "integration"}.get(
            mapping[key], "domain"
        )
        return f"switch {path}.{key}"
    flags = ["creates", "pivot", "retriable", "compensate_failed_step"]
    flag = rng.choice(flags)
    mapping[flag] = rng.choice([True, False])
    return f"set {path}.{flag}"


def op_scenario(data: Any, rng: random.Random) -> str:
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, list) or not scenarios:
        return "scenario: none"
    s = rng.choice(scenarios)
    if not isinstance(s, dict):
        return "scenario: odd"
    roll = rng.random()
    if roll < 0.3:
        s["then"] = []
        return "then: []"
    if roll < 0.45:
        s["then"] = "rejected"
        return "then: rejected"
    values = [c for _, c in _containers(s) if isinstance(c, dict) and c and all(isinstance(k, str) for k in c)]
    leaves = [(d, k) for d in values for k, v in d.items() if not isinstance(v, (dict, list))]
    if not leaves:
        return "scenario values: none"
    d, k = rng.choice(leaves)
    d[k] = rng.choice([float("inf"), float("-inf"), float("nan"), "NaN", 10**30, -1, 0, "", "x" * 200, True, None, 1.5])
    return f"value {k} = {d[k]!r}"


def op_text(text: str, rng: random.Random) -> tuple[str, str]:
    """Line-level damage: delete, duplicate or swap lines."""
    lines = text.splitlines(keepends=True)
    if len(lines) < 3:
        return text, "text: short"
    i = rng.randrange(len(lines))
    roll = rng.random()
    if roll < 0.4:
        del lines[i]
        return "".join(lines), f"delete line {i + 1}"
    if roll < 0.7:
        lines.insert(i, lines[i])
        return "".join(lines), f"duplicate line {i + 1}"
    j = min(len(lines) - 1, i + 1)
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines), f"swap lines {i + 1}, {j + 1}"


# -- every name at its longest -------------------------------------------------------------------------------

# The identifiers each kind of name becomes and their limits (esp/naming.py: E171): a class (and its snake case),
# a snake-case name or the text itself. A name of several kinds (a step named like its command) keeps within all.
_LIMITED: dict[str, list[tuple[Callable[[str], str], int]]] = {}


def _limits() -> dict[str, list[tuple[Callable[[str], str], int]]]:
    from esp import names
    from esp.naming import MAX_NAME, MAX_PACKAGE, MAX_SNAKE, MAX_TEXT

    if not _LIMITED:
        pascal, snake, text = names.class_name, names.snake, str
        for kind in ("journey", "aggregates", "command", "event", "saga", "query", "projection"):
            _LIMITED[kind] = [(pascal, MAX_NAME), (lambda name: snake(pascal(name)), MAX_SNAKE)]
        _LIMITED["journey"].append((names.module_name, MAX_PACKAGE))  # its package
        for kind in ("microservices", "fields", "identity", "timer", "process", "scenario", "actor"):
            _LIMITED[kind] = [(snake, MAX_NAME)]
        for kind in ("step", "states"):
            _LIMITED[kind] = [(text, MAX_TEXT)]
    return _LIMITED


def _kinds(data: Any, found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every name of a journey with the kinds it names (a key: aggregates, fields; a value: command, step...)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("microservices", "aggregates", "fields") and isinstance(value, dict):
                for name in value:
                    if isinstance(name, str):  # an earlier operator may have made a key a number
                        found.setdefault(name, set()).add(key)
                if key == "fields":
                    continue  # its values are types ('step: str' is a field, not a step)
            elif key == "states" and isinstance(value, list):
                for name in value:
                    if isinstance(name, str):  # ... or a state a list (found by seed 6 of 5,000)
                        found.setdefault(name, set()).add(key)
            elif key in _limits() and isinstance(value, str):
                found.setdefault(value, set()).add(key)
            _kinds(value, found)
    elif isinstance(data, list):
        for item in data:
            _kinds(item, found)
    return found


def _longest(name: str, kinds: set[str], tag: str, words: bool = False) -> str:
    """``name`` in its own spelling (words with spaces, snake or Pascal case), made distinct by ``tag`` and
    padded until one of the identifiers its kinds become reaches its limit; with ``words``, padded with words of
    two letters first (a class name's snake case then grows by a third)."""
    limits = [limit for k in kinds for limit in _limits()[k]]
    parts = [w for w in re.split(r"[^A-Za-z]+", name) if w] or ["name"]
    spaced, snake_case = " " in name, name[:1].islower()
    sep = " " if spaced else "_" if snake_case else ""

    def spelled(tokens: list[str]) -> str:
        if snake_case:
            tokens = [t.lower() for t in tokens]
        elif not spaced:
            tokens = [t[:1].upper() + t[1:] for t in tokens]
        return sep.join(tokens)

    def fits(tokens: list[str]) -> bool:
        return all(len(ident(spelled(tokens))) <= limit for ident, limit in limits)

    tokens = [*parts, tag]
    while not fits(tokens) and len(tokens[0]) > 1:  # shortened from its first word
        tokens[0] = tokens[0][:-1]
    while words and fits([*tokens, "ab"]):
        tokens.append("ab")
    while fits([*tokens[:-1], tokens[-1] + "x"]):
        tokens[-1] += "x"
    return spelled(tokens)


def _tag(n: int) -> str:
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[r]
        if not n:
            return "q" + letters


def at_max_length(data: Any, words: bool = False) -> Any:
    """``data`` with every name (journey, microservices, aggregates, fields, commands, events, sagas, steps,
    states...) renamed to a distinct name as long as esp accepts, references following: the longest lines and
    paths the generated code can get (``words``: of many short words). Names spelled like a key of the format
    are left alone."""
    found = _kinds(data, {})
    new = {
        name: _longest(name, kinds, _tag(n), words)
        for n, (name, kinds) in enumerate(sorted(found.items()))
        if isinstance(name, str) and name not in _format_keys()
    }
    return _rename_all(data, new)


@functools.cache
def _format_keys() -> frozenset[str]:
    """The keys of the journey format (a field named 'description' renamed as a key would break its entry)."""
    from esp.schema import schema

    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema())
    return frozenset(keys)


def _rename_all(data: Any, new: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {new.get(k, k) if isinstance(k, str) else k: _rename_all(v, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_rename_all(v, new) for v in data]
    if isinstance(data, str) and ("." in data or "[" in data):  # 'kitchen.TicketCreated', 'list[order.Line]'
        return re.sub(r"[^.\[\]]+", lambda m: new.get(m.group(), m.group()), data)
    return new.get(data, data) if isinstance(data, str) else data


def op_max_length(data: Any, rng: random.Random) -> str:
    """Every name at once as long as esp accepts (where three long names meet on one generated line)."""
    words = rng.random() < 0.5
    renamed = at_max_length(data, words)
    data.clear()
    data.update(renamed)
    return "every name at its longest" + (", of short words" if words else "")


DATA_OPERATORS: list[tuple[float, Callable[[Any, random.Random], str]]] = [
    (0.35, op_rename),
    (0.06, op_scalar),
    (0.12, op_field_type),
    (0.08, op_duplicate_field),
    (0.2, op_list_item),
    (0.12, op_mapping_key),
    (0.13, op_scenario),
    (0.06, op_value_type),
    (0.02, op_max_length),
]


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, when there: dumping took a tenth of the time


def _parse(text: str) -> Any:
    """A seed's data as esp reads it (YAML 1.2: a timer's key 'on' stays 'on', not True as YAML 1.1 has it)."""
    from esp.load import load_text

    doc, _ = load_text(text, "seed")
    assert doc is not None
    return doc.data


def mutate(seed: Path, text: str, rng: random.Random, parsed: Any = None) -> Mutant:
    """One mutant of ``seed``: its text damaged line by line, or its data (``parsed``, not changed) changed."""
    mutant = Mutant(seed.name, text)
    if rng.random() < 0.15:
        mutant.text, op = op_text(text, rng)
        mutant.operators.append(op)
        return mutant
    data = copy.deepcopy(parsed) if parsed is not None else _parse(text)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        weights = [w for w, _ in DATA_OPERATORS]
        operator = rng.choices([o for _, o in DATA_OPERATORS], weights)[0]
        mutant.operators.append(operator(data, rng))
    mutant.text = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=10_000)
    return mutant


# -- the pipeline ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    stage: str  # "invalid" | "ok" | "draw" | "generate" | "compile" | "play" | "lint" | "types" | "tests" | "crash"
    detail: str = ""
    package: Path | None = None
    validated: bool = True


def draw_all(model: Any) -> tuple[str, str] | None:
    """What validates draws: every view as DOT and Mermaid source (Graphviz's own layout of combined models is
    tests/test_draw_layout.py's); None if all drew, else the stage ("draw", or "crash") and what failed."""
    from esp.draw import VIEWS, draw
    from esp.errors import UserError

    for view in VIEWS:
        for fmt in ("dot", "mermaid"):
            try:
                draw(model, view, fmt)
            except UserError as error:
                return "draw", f"{view} view as {fmt} refused: {error}"
            except Exception:
                return "crash", f"draw {view} as {fmt}: " + traceback.format_exc(limit=-3)
    return None


def check_one(mutant: Mutant, workdir: Path, n: int) -> Outcome:
    """Validate, draw and generate one mutant in-process; compile what it generates."""
    from esp import api
    from esp.errors import UserError
    from esp.generate import generate

    path = workdir / f"mutant_{n}.yaml"
    path.write_text(mutant.text, encoding="utf-8")
    try:
        validation = api.validate([path])
    except Exception:  # a crash is what we count
        return Outcome(mutant, "crash", "validate: " + traceback.format_exc(limit=-3), validated=False)
    if validation.model is None or validation.exit_code() != 0:
        return Outcome(mutant, "invalid", validated=False)
    failed = draw_all(validation.model)
    if failed is not None:
        return Outcome(mutant, *failed)
    out = workdir / f"out_{n}"
    try:
        generate(validation.model, out, package=f"fuzz_{n}")
    except UserError as error:
        return Outcome(mutant, "generate", f"refused: {error}")
    except Exception:
        return Outcome(mutant, "crash", "generate: " + traceback.format_exc(limit=-3))
    for source in out.rglob("*.py"):
        try:
            compile(source.read_text(encoding="utf-8"), str(source), "exec")
        except SyntaxError as error:
            return Outcome(mutant, "compile", f"{source.relative_to(out)}: {error}", out)
    return Outcome(mutant, "ok", package=out)


PLAY = """
import contextlib, importlib, io, json, pkgutil, sys, traceback
for line in sys.stdin:
    folder, package = json.loads(line)
    sys.path.insert(0, folder)
    try:
        top = importlib.import_module(package)
        for module in pkgutil.walk_packages(top.__path__, package + "."):
            importlib.import_module(module.name)
        main = importlib.import_module(package + ".__main__")
        with contextlib.redirect_stdout(io.StringIO()) as out:
            main.main(["--memory"])
        print(json.dumps(["ok", out.getvalue()[-4000:]]), flush=True)
    except BaseException:
        print(json.dumps(["play", traceback.format_exc(limit=-4)]), flush=True)
    finally:
        sys.path.remove(folder)
"""


TEST = """
import contextlib, gc, io, json, sys, traceback
import pytest
for line in sys.stdin:
    folder, args = json.loads(line)
    sys.path.insert(0, folder)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = int(pytest.main([folder, "--rootdir", folder, *args]))
    except BaseException:
        code, _ = -1, out.write(traceback.format_exc(limit=-4))
    finally:
        sys.path.remove(folder)
        # the next package's tests are named alike (tests.conftest, tests.test_commands): forget these
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(folder + "/tests/"):
                del sys.modules[name]
        # pytest runs gc.collect() twice at its end, over the whole heap, which grows with every package imported
        # here: freeze what is alive now, so that later passes skip it (40 packages: 21 s of CPU before, 12 s)
        gc.collect()
        gc.freeze()
    print(json.dumps([code == 0, out.getvalue()[-4000:]]), flush=True)
"""


class Worker:
    """A Python process that answers one JSON line per JSON line: generated packages are imported, played and
    tested in warm processes (each package under a name of its own), not a fresh interpreter each."""

    def __init__(self, script: str, **env: str) -> None:
        environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PERSISTENCE_MODULE": "eventsourcing.popo", **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=environ,
        )
        self.used = 0

    def ask(self, *question: object) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(question) + "\n")
        self.proc.stdin.flush()
        self.used += 1
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Player(Worker):
    """Imports every module of a generated package and plays its journey (``python -m <package> --memory``)."""

    def __init__(self) -> None:
        super().__init__(PLAY)

    @property
    def played(self) -> int:
        return self.used

    def play(self, folder: Path, package: str) -> tuple[str, str]:
        answer = self.ask(str(folder), package)
        if answer is None:
            return "play", "the worker died"
        return answer[0], answer[1]


class Tester(Worker):
    """Runs a generated package's tests in memory (pytest in the worker: its start-up is paid once)."""

    def __init__(self) -> None:
        super().__init__(TEST, ESP_PERSISTENCE="memory")

    def test(self, folder: Path, api_fuzz: bool = True) -> tuple[bool, str]:
        """The tests; without ``api_fuzz``, not schemathesis's fuzzing of the HTTP APIs (the slowest by far; the
        example journeys run it)."""
        args = ["-q", "-x", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "error"]
        if not api_fuzz:
            args += ["-k", "not test_the_api_survives_fuzzing"]
        answer = self.ask(str(folder), args)
        return (False, "the worker died") if answer is None else (answer[0], answer[1])


def _run(args: list[str], folder: Path, **env: str) -> tuple[bool, str]:
    environ = {**os.environ, "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1", **env}
    done = subprocess.run(args, cwd=folder, env=environ, capture_output=True, text=True, check=False, timeout=900)
    return done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def lint(folder: Path) -> tuple[bool, str]:
    """ruff check and ruff format --check, as the generated pyproject.toml configures them."""
    checked = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "-q", "."], folder)
    if not checked[0]:
        return checked
    return _run([sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "-q", "."], folder)


def typecheck(folder: Path, cache: Path) -> tuple[bool, str]:
    """mypy --strict (the generated pyproject.toml's setting), one cache for all: eventsourcing is read once.

    The target is the folder's absolute path, not ".": with one cache, every package's
    tests/test_api.py would share one relative path, and mypy takes a file written in the
    same second with the same size as already checked (the CI of b1aae31 saw "fuzz_29.deploy
    has no attribute DEPLOYMENT" from fuzz_27's cached module).
    """
    return _run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), str(folder.resolve())], folder)


@dataclass
class Tally:
    mutants: int = 0
    validated: int = 0
    played: int = 0
    tested: int = 0
    broken: list[Outcome] = field(default_factory=list)  # validated, then failed a later stage
    crashed: list[Outcome] = field(default_factory=list)  # exit 3: an exception in validate or generate

    def add(self, other: Tally) -> None:
        self.mutants += other.mutants
        self.validated += other.validated
        self.played += other.played
        self.tested += other.tested
        self.broken += other.broken
        self.crashed += other.crashed

    def row(self, seconds: float) -> str:
        return (
            f"| {self.mutants:,} | {self.validated:,} | {self.played:,} | {self.tested:,} | "
            f"{len(self.broken):,} | {len(self.crashed):,} | {seconds:.0f} s |"
        )


def fuzz(
    count: int,
    seed: int,
    tests: int,
    keep: Path | None = None,
    log: Callable[[str], None] = print,
    *,
    api_fuzz: bool = True,
    first: int = 0,
) -> Tally:
    """Mutate, validate, generate and compile ``count`` mutants; import, play and lint every one that validates;
    type-check and run the tests of the first ``tests`` of them. ``first``: the number of the first mutant (a
    share of a run split between processes, with a sequence of its own)."""
    rng = random.Random(f"{seed}:{first}" if first else seed)
    texts = [(p, p.read_text(encoding="utf-8")) for p in seeds()]
    sources = [(p, text, _parse(text)) for p, text in texts]
    tally = Tally()
    player, tester = Player(), Tester()
    with tempfile.TemporaryDirectory(prefix="esp-fuzz-") as tmp:
        workdir = Path(tmp)
        for n in range(first, first + count):
            seed_path, text, parsed = sources[n % len(sources)]
            mutant = mutate(seed_path, text, rng, parsed)
            outcome = check_one(mutant, workdir, n)
            tally.mutants += 1
            tally.validated += outcome.validated
            folder = outcome.package
            if outcome.stage == "ok" and folder is not None:
                if player.played >= 100:  # a fresh worker now and then: every package stays imported
                    player.close()
                    player = Player()
                stage, detail = player.play(folder, f"fuzz_{n}")
                tally.played += 1
                if stage == "ok":
                    if tester.used >= 50:
                        tester.close()
                        tester = Tester()
                    stage, detail = _check_package(folder, tally, tests, workdir / "mypy-cache", tester, api_fuzz)
                if stage != "ok":
                    outcome = Outcome(mutant, stage, detail, folder)
            if outcome.stage == "crash":
                tally.crashed.append(outcome)
            elif outcome.stage not in ("ok", "invalid"):
                tally.broken.append(outcome)
            if outcome.stage not in ("ok", "invalid"):
                log(f"mutant {n} ({mutant.seed}: {'; '.join(mutant.operators)}): {outcome.stage}")
                if keep is not None:
                    _keep(keep, n, outcome)
            _clean(workdir, n)
    player.close()
    tester.close()
    return tally


def _check_package(
    folder: Path, tally: Tally, tests: int, cache: Path, tester: Tester, api_fuzz: bool
) -> tuple[str, str]:
    """What a played package must pass too: ruff on every one; mypy --strict and its tests on the first ``tests``."""
    passed, detail = lint(folder)
    if not passed:
        return "lint", detail
    if tally.tested >= tests:
        return "ok", ""
    tally.tested += 1
    passed, detail = typecheck(folder, cache)
    if not passed:
        return "types", detail
    passed, detail = tester.test(folder, api_fuzz)
    return ("ok", "") if passed else ("tests", detail)


def _keep(keep: Path, n: int, outcome: Outcome) -> None:
    keep.mkdir(parents=True, exist_ok=True)
    (keep / f"mutant_{n}.yaml").write_text(outcome.mutant.text, encoding="utf-8")
    ops = "; ".join(outcome.mutant.operators)
    report = f"seed: {outcome.mutant.seed}\noperators: {ops}\nstage: {outcome.stage}\n\n{outcome.detail}\n"
    (keep / f"mutant_{n}.txt").write_text(report, encoding="utf-8")


def _clean(workdir: Path, n: int) -> None:
    import shutil

    shutil.rmtree(workdir / f"out_{n}", ignore_errors=True)
    (workdir / f"mutant_{n}.yaml").unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tests", type=int, default=30, help="how many validated mutants are also type-checked and run their tests"
    )
    parser.add_argument(
        "--no-api-fuzz", action="store_true", help="their tests without schemathesis fuzzing the HTTP APIs (slow)"
    )
    parser.add_argument("--keep", type=Path, help="a folder for the mutants that broke the contract")
    parser.add_argument("--jobs", type=int, default=1, help="processes sharing the mutants (each its own sequence)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    tally = Tally()
    with ProcessPoolExecutor(args.jobs) as pool:
        shares = [(args.mutants * i // args.jobs, args.mutants * (i + 1) // args.jobs) for i in range(args.jobs)]
        tests = [args.tests * (i + 1) // args.jobs - args.tests * i // args.jobs for i in range(args.jobs)]
        runs = [
            pool.submit(fuzz, end - first, args.seed, n, args.keep, api_fuzz=not args.no_api_fuzz, first=first)
            for (first, end), n in zip(shares, tests, strict=True)
        ]
        for run in runs:
            tally.add(run.result())
    seconds = time.perf_counter() - start
    print()
    print("| mutants | validated | imported and played | tests run | broken after validation | exit 3 | time |")
    print("|---|---|---|---|---|---|---|")
    print(tally.row(seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
