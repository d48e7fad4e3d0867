"""The journey schema is the single source of truth: it is valid draft-07, the
examples follow it, jsonschema agrees with esp's own located checker, and
every example points editors at it."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import BAD, JOURNEYS, ROOT, expectations

from esp import build, load, schema
from esp.codes import CODES

EXAMPLES = sorted(JOURNEYS.glob("*.yaml"))
SCHEMA_FILE = ROOT / "esp" / "schema" / "journey.schema.json"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)\s*$")


def _validator(sch: dict[str, Any] | None = None) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(sch if sch is not None else schema.schema())


def _doc(path: Path) -> load.Document:
    doc, problems = load.load_path(path)
    assert doc is not None, problems
    return doc


def test_the_schema_is_valid_draft_07() -> None:
    jsonschema.Draft7Validator.check_schema(schema.schema())
    assert schema.schema()["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema.schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 1 and JOURNEYS / "restaurant.yaml" in EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_follows_the_schema(path: Path) -> None:
    # loaded with esp's loader: PyYAML's safe_load would turn the 'on:' key of listeners into True
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(_doc(path).data)]
    assert not errors, "\n".join(errors)
    assert not schema.check(_doc(path))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_starts_with_a_modeline_to_the_shipped_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path.name} must start with '# yaml-language-server: $schema=<path>', not {first!r}"
    target = (path.parent / match["path"]).resolve()
    assert target == SCHEMA_FILE.resolve(), f"{match['path']} does not lead to {SCHEMA_FILE}"


def _loadable_corpus() -> Iterator[Path]:
    for path in sorted(BAD.glob("*.yaml")):
        if not any(CODES[code].fatal for code, _, _ in expectations(path)):
            yield path


@pytest.mark.parametrize("path", list(_loadable_corpus()), ids=lambda p: p.stem)
def test_jsonschema_agrees_with_the_corpus(path: Path) -> None:
    """A file with a schema code (E02x) is rejected by jsonschema too; one without is accepted."""
    shape_codes = [code for code, _, _ in expectations(path) if code.startswith("E02")]
    errors = list(_validator().iter_errors(_doc(path).data))
    if shape_codes:
        assert errors, f"{path.name}: esp says {shape_codes}, jsonschema accepts it"
    else:
        assert not errors, f"{path.name}: jsonschema rejects what esp finds in shape: {errors[0].message}"


# -- esp's checker against jsonschema on many small mutations of the examples -------------------------

_VALUES: list[Any] = [
    None, [], {}, 0, 3, -1, 1.5, True, "", "x", "1x", "a" * 90, "a b-c_d", ["a"], [1], {"a": "b"}, [[]], [{}],
    {"a": {}}, "rejected", "open", {"x": "int"}, {"A": None}, {"A": {"x": 1}}, {"A": {}, "B": {}}, "5 minutes",
    "10s", {"max": 2}, {"max": -1}, "domain", "integration", "public", "forward", {"command": "A", "query": "B"},
    {"query": "Q", "projection": "P"}, {"bad key!": "x"}, {"event": "E", "kind": "domain"},
]  # fmt: skip


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _mutate(data: Any, rng: random.Random) -> Any:
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 2)):
        path = rng.choice([p for p in _paths(data) if p])
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        roll = rng.random()
        if roll < 0.6:
            parent[path[-1]] = copy.deepcopy(rng.choice(_VALUES))
        elif isinstance(parent, dict) and roll < 0.8:
            parent[f"{path[-1]}x"] = parent.pop(path[-1])  # a misspelt key
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.append(copy.deepcopy(rng.choice(_VALUES)))
    return data


def test_esp_checker_and_jsonschema_agree_on_mutated_examples() -> None:
    # esp leaves field types to the model builder (E030, with the list of types), so compare
    # against the schema without the fieldType pattern; the test below covers that pattern.
    relaxed = copy.deepcopy(schema.schema())
    del relaxed["definitions"]["fieldType"]["pattern"]
    validator = _validator(relaxed)
    rng = random.Random(2024)
    docs = [_doc(path) for path in EXAMPLES]
    disagreements = []
    for _ in range(600):
        base = rng.choice(docs)
        doc = load.Document(base.file, _mutate(base.data, rng), base.values, base.keys)
        esp_says = [d.code for d in schema.check(doc)]
        js_says = [e.message for e in validator.iter_errors(doc.data)]
        assert all(code.startswith("E02") for code in esp_says)
        if bool(esp_says) != bool(js_says):
            disagreements.append((esp_says, js_says[:1]))
    assert not disagreements, disagreements[:5]


@pytest.mark.parametrize("text", ["str?", "x:y", "10 s!", "list(str)", "int!"])
def test_a_field_type_the_schema_refuses_is_an_e030(text: str) -> None:
    pattern = schema.schema()["definitions"]["fieldType"]["pattern"]
    assert not re.search(pattern, text)
    source = (
        "journey: J\nmicroservices:\n  m:\n    aggregates:\n      A:\n        identity: a_id\n"
        "processes:\n  - process: P\n    microservice: m\n    aggregate: A\n    events:\n"
        f"      - event: AOpened\n        fields: {{x: '{text}'}}\n"
    )
    doc, _ = load.load_text(source, "j.yaml")
    assert doc is not None
    _, built = build.build([doc])
    assert "E030" in [d.code for d in built]
