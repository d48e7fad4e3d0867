"""The journey JSON Schema (draft-07): the single source of truth of the format.

``check`` interprets the draft-07 keywords the schema uses and turns each
violation into a located diagnostic with a message a person can act on. The
tests cross-check it against the ``jsonschema`` library on every example and
bad input; importing that library here would double ``esp validate``'s
start-up time.
"""

from __future__ import annotations

import json
import pkgutil
import re
from functools import cache
from typing import Any

from esp.errors import Capped, diagnostic
from esp.load import Document, NodePath

SCHEMA_FILE = "journey.schema.json"
SCHEMA_ID = "https://esp.dev/schema/journey-1.json"

Schema = dict[str, Any]

# The key that names an entry of each list, used to say which entry is wrong.
_NAME_KEYS = ("process", "command", "query", "event", "projection", "saga", "step", "scenario", "actor", "hotspot")
_KEYED_KINDS = {
    "microservices": "microservice",
    "aggregates": "aggregate",
    "types": "type",
    "fields": "field",
    "map": "map entry",
}
_TYPE_NAMES = {
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def schema_text() -> str:
    """The schema as shipped, byte for byte (through the package's loader: importlib.resources would import
    zipfile and threading into every `esp validate`)."""
    data = pkgutil.get_data(__package__, SCHEMA_FILE)
    assert data is not None, "the schema ships inside the package"
    return data.decode("utf-8")


@cache
def schema() -> Schema:
    loaded: Schema = json.loads(schema_text())
    return loaded


def check(doc: Document) -> Capped:
    """Every place where ``doc`` breaks the schema: the first ones worded, the rest counted (``Capped``)."""
    checker = _Checker(doc, schema())
    checker.node(doc.data, schema(), ())
    return checker.problems


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    actual = json_type(value)
    wanted = [expected] if isinstance(expected, str) else expected
    return actual in wanted or (actual == "integer" and "number" in wanted)


def describe_path(data: Any, path: NodePath) -> str:
    """A path a person can find: "command 'AddItem'" or "processes[2].events"."""
    node: Any = data
    label = "the journey"
    parts: list[str] = []
    prev: str | int = ""
    for step in path:
        node = node[step] if isinstance(node, dict | list) else None  # type: ignore[index]
        if isinstance(step, int):
            parts.append(f"[{step}]")
            name_key = next((k for k in _NAME_KEYS if isinstance(node, dict) and isinstance(node.get(k), str)), None)
            if name_key is not None and isinstance(node, dict):
                label, parts = f"{name_key} '{node[name_key]}'", []
                prev = step
                continue
        elif prev in _KEYED_KINDS:
            label, parts = f"{_KEYED_KINDS[prev]} '{step}'", []
        else:
            parts.append(f".{step}" if parts or label != "the journey" else str(step))
        prev = step
    if not parts:
        return label
    if len(parts) == 1 and parts[0].lstrip(".") in _NAME_KEYS and label.startswith(parts[0].lstrip(".") + " '"):
        return f"the {parts[0].lstrip('.')} name"  # not "process 'X': process", which repeats the bad value
    tail = "".join(parts)
    return tail if label == "the journey" else f"{label}: {tail.lstrip('.')}"


class _Checker:
    def __init__(self, doc: Document, root: Schema) -> None:
        self.doc = doc
        self.root = root
        self.problems = Capped()

    def resolve(self, sch: Schema) -> Schema:
        while "$ref" in sch:
            ref: str = sch["$ref"]
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            sch = {**{k: v for k, v in sch.items() if k != "$ref"}, **target}
        return sch

    def where(self, path: NodePath) -> str:
        return describe_path(self.doc.data, path)

    def node(self, value: Any, sch: Schema, path: NodePath) -> None:
        sch = self.resolve(sch)
        if "oneOf" in sch:
            self.one_of(value, sch["oneOf"], path)
        if "const" in sch and value != sch["const"]:
            self.add("E023", path, where=self.where(path), allowed=repr(sch["const"]), found=repr(value))
            return
        if "enum" in sch and value not in sch["enum"]:
            allowed = ", ".join(repr(v) for v in sch["enum"])
            self.add("E023", path, where=self.where(path), allowed=allowed, found=repr(value))
            return
        if "type" in sch and not _type_ok(value, sch["type"]):
            types = [sch["type"]] if isinstance(sch["type"], str) else sch["type"]
            expected = " or ".join(_TYPE_NAMES[t] for t in types)
            self.add(
                "E022",
                path,
                where=self.where(path),
                expected=expected,
                found=_TYPE_NAMES[json_type(value)],
                hint=_type_hint(value, types, expected),
            )
            return
        if isinstance(value, str):
            self.string(value, sch, path)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in sch:
            if value < sch["minimum"]:
                self.add(
                    "E026",
                    path,
                    where=self.where(path),
                    problem=f"{value} is less than {sch['minimum']}",
                    hint=f"use {sch['minimum']} or more",
                )
        elif isinstance(value, list):
            self.array(value, sch, path)
        elif isinstance(value, dict):
            self.mapping(value, sch, path)

    def string(self, value: str, sch: Schema, path: NodePath) -> None:
        if len(value) < sch.get("minLength", 0):
            self.add("E026", path, where=self.where(path), problem="must not be empty", hint="write a value here")
        elif len(value) > sch.get("maxLength", len(value)):
            self.add(
                "E026",
                path,
                where=self.where(path),
                problem=f"is {len(value):,} characters long; at most {sch['maxLength']:,} are allowed",
                hint="shorten it; longer text belongs in a 'description'",
            )
        elif "pattern" in sch and not re.search(sch["pattern"], value):
            definitions = self.root["definitions"]
            if sch["pattern"] == definitions["name"]["pattern"]:
                self.add("E024", path, where=self.where(path), value=value)
            elif sch["pattern"] == definitions["fieldType"]["pattern"]:
                pass  # the model builder reports E030 here, with the list of the types there are
            else:
                description = sch.get("description", f"text matching {sch['pattern']}").rstrip(".")
                expected = description[:1].lower() + description[1:]
                self.add("E025", path, where=self.where(path), value=value, expected=expected, hint=f"write {expected}")

    def array(self, value: list[Any], sch: Schema, path: NodePath) -> None:
        if len(value) < sch.get("minItems", 0):
            self.add(
                "E026",
                path,
                where=self.where(path),
                problem=f"needs at least {sch['minItems']} entry",
                hint="add an entry, or remove the key",
            )
        if "items" in sch:
            for i, item in enumerate(value):
                self.node(item, sch["items"], (*path, i))

    def mapping(self, value: dict[str, Any], sch: Schema, path: NodePath) -> None:
        props: dict[str, Schema] = sch.get("properties", {})
        for key in sch.get("required", []):
            if key not in value:
                self.add("E020", path, where=self.where(path), key=key, hint=_required_hint(key, sch))
        if len(value) < sch.get("minProperties", 0) or len(value) > sch.get("maxProperties", len(value)):
            self.add(
                "E026",
                path,
                where=self.where(path),
                problem="must hold exactly one 'Name: {fields}' entry",
                hint="write one event or command per entry, e.g. {TableOpened: {table_number: 4}}",
            )
        extra = sch.get("additionalProperties", True)
        names, allowed = sch.get("propertyNames"), sorted(props)  # once a mapping, not once a key
        problems, unknown = self.problems, 0  # past the cap, unknown keys are only counted: a file of them stays quick
        for key, item in value.items():
            if key not in props and extra is False and names is None and (unknown or problems.full):
                unknown += 1  # once one is, all the next ones are (the cap stays reached)
                continue
            child = (*path, key)
            if names is not None:
                self.key_name(key, names, child)
            if key in props:
                self.node(item, props[key], child)
            elif extra is False:
                self.unknown_key(key, allowed, child)
            elif isinstance(extra, dict):
                self.node(item, extra, child)
        if unknown:
            problems.hidden["E021"] += unknown

    def key_name(self, key: str, sch: Schema, path: NodePath) -> None:
        sch = self.resolve(sch)
        if re.search(sch.get("pattern", ""), key) and key:
            return
        loc, where = self.doc.loc(path, key=True), self.where(path[:-1])
        if sch.get("pattern") != self.root["definitions"]["typeName"]["pattern"]:  # a name (E024 says how to write one)
            self.problems.add("E024", lambda: diagnostic("E024", loc, where=where, value=key))
            return
        expected, hint = sch["description"].split(": ", 1) if ": " in sch["description"] else (sch["description"], "")
        self.problems.add(
            "E025",
            lambda: diagnostic(
                "E025", loc, where=where, value=key, expected=expected[:1].lower() + expected[1:], hint=hint
            ),
        )

    def unknown_key(self, key: str, allowed: list[str], path: NodePath) -> None:
        if self.problems.full:  # only counted: no suggestion to look for
            self.problems.hidden["E021"] += 1
            return
        import difflib  # here: a valid journey never needs a suggestion

        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(allowed)
        if key == "<<":
            hint = "merge keys (<<) are YAML 1.1, not 1.2: write the keys out (an alias *name may stand for a value)"
        self.problems.append(
            diagnostic("E021", self.doc.loc(path, key=True), key=key, where=self.where(path[:-1]), hint=hint)
        )

    def one_of(self, value: Any, branches: list[Schema], path: NodePath) -> None:
        resolved = [self.resolve(b) for b in branches]
        typed = [b for b in resolved if _type_ok(value, b["type"] if "type" in b else json_type(b.get("const", value)))]
        if not typed:
            consts = [repr(b["const"]) for b in resolved if "const" in b]
            types = [
                t for b in resolved if "type" in b for t in ([b["type"]] if isinstance(b["type"], str) else b["type"])
            ]
            expected = " or ".join(consts + [_TYPE_NAMES[t] for t in dict.fromkeys(types)])
            self.add(
                "E022",
                path,
                where=self.where(path),
                expected=expected,
                found=_TYPE_NAMES[json_type(value)],
                hint=_type_hint(value, types, expected),
            )
            return
        if len(typed) == 1:
            self.node(value, typed[0], path)
            return
        # Several branches take this type: tell them apart by their required keys.
        keyed = (
            [b for b in typed if all(k in value for k in b.get("required", [])[:1])]
            if isinstance(value, dict)
            else typed
        )
        if len(keyed) == 1:
            self.node(value, keyed[0], path)
            return
        firsts = [b["required"][0] for b in typed if b.get("required")]
        found = "has both" if keyed else "has none of"
        self.add(
            "E027",
            path,
            where=self.where(path),
            problem=f"{found} the keys " + ", ".join(map(repr, firsts)),
            hint="an entry is exactly one of: " + ", ".join(firsts),
        )

    def add(self, code: str, path: NodePath, **params: Any) -> None:
        self.problems.add(code, lambda: diagnostic(code, self.doc.loc(path), **params))


_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}


def _type_hint(value: Any, types: list[str], expected: str) -> str:
    """How to write the value the schema wants instead of ``value``."""
    if "boolean" in types and isinstance(value, str) and value in _YAML11_BOOLEANS:
        return f"esp reads YAML 1.2, where '{value}' is text: write true or false"
    if "boolean" in types:
        return "write true or false"
    if "array" in types and isinstance(value, str):
        return f"write a list, e.g. [{value}]"
    if "array" in types:
        return "write a list: [a, b] or one '- item' per line"
    if ("integer" in types or "number" in types) and isinstance(value, str):
        return "write the number without quotes"
    if "object" in types and isinstance(value, str) and value[:1].isupper() and value.isidentifier():
        # a bare name where a scenario wants 'Name: {fields}' (given, when, then): the first thing newcomers write
        return f"write it with its fields: '{value}: {{field: value}}', or '{value}: {{}}' for none"
    if "object" in types:
        return "write a mapping: 'key: value' entries indented below, or {key: value}"
    if "string" in types and value is None:
        return "write a value after the ':' (or remove the key)"
    if "string" in types:
        return "write plain text; quote it if it looks like a number, a boolean or a list"
    return f"write {expected} here"


def _required_hint(key: str, sch: Schema) -> str:
    prop = sch.get("properties", {}).get(key, {})
    text = prop.get("description", "")
    return f"'{key}': {text}" if text else f"add '{key}: ...'"
