"""docs/evolution.md shows real commands and what they print: replayed here in a scratch git repository
(tests/data/evolution/v1 as journeys/restaurant.yaml, changed step by step as the page changes it, up to
tests/data/evolution/v2), every ``esp validate`` and
``esp diff`` of its console blocks must print exactly what the page shows, with the exit code it shows,
the generated code it quotes must be what ``esp generate`` writes, and its Python runs (version 1 records,
version 2 reads) must print what it shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run_esp, variant

from esp import api
from esp.generate import generate
from esp.generate.package import build
from esp.generate.render import render

DOC = ROOT / "docs" / "evolution.md"
V1 = ROOT / "tests" / "data" / "evolution" / "v1" / "restaurant.yaml"
V2 = ROOT / "tests" / "data" / "evolution" / "v2" / "restaurant.yaml"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)

# The page's steps: each the journey as it stands, then the commands run on it.
STEP_1 = (
    (
        "      - command: PlaceOrder\n        emits:",
        "      - command: PlaceOrder\n        fields: {notes: str}\n        emits:",
    ),
    (
        'fields: {table_number: int, dishes: "list[str]"}',
        'fields: {table_number: int, dishes: "list[str]", notes: str}',
    ),
    (
        "- OrderPlaced: {table_number: 4, dishes: [soup]}",
        "- OrderPlaced: {table_number: 4, dishes: [soup], notes: no salt}",
    ),
)
STEP_2 = (
    (
        '        fields: {table_number: int, dishes: "list[str]", notes: str}\n',
        '        version: 2\n        fields: {table_number: int, dishes: "list[str]", notes: str}\n'
        '        history:\n          - version: 2\n            added: {notes: ""}\n',
    ),
)
BACKWARD = (
    (
        "        description: The table is done; payment prepares the bill.\n        version: 2",
        "        description: The table is done; payment prepares the bill.\n"
        "        compatibility: backward\n        version: 2",
    ),
)


def commands_shown() -> list[tuple[str, str, int | None]]:
    """Each ``$ esp validate|diff ...`` of the page's console blocks: its output and the exit code shown."""
    shown = []
    for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if lang != "console":
            continue
        parts = re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]
        for i, part in enumerate(parts):
            command, _, output = part.partition("\n")
            if not re.match(r"esp (validate|diff) ", command):
                continue
            follows = parts[i + 1] if i + 1 < len(parts) else ""
            code = int(follows.split("\n")[1]) if follows.startswith("echo $?") else None
            shown.append((command, output, code))
    return shown


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, int]]:
    if shutil.which("git") is None:  # pragma: no cover - git is part of the development setup
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("walk")
    journey = repo / "journeys" / "restaurant.yaml"
    journey.parent.mkdir()
    base = V1.read_text(encoding="utf-8")
    journey.write_text(base, encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        '[tool.esp]\njourneys = "journeys"\noutput = "generated/restaurant"\n', encoding="utf-8"
    )
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    step_1 = variant(base, *STEP_1)
    steps = [
        (step_1, ["validate journeys/ --since HEAD", "diff HEAD"]),
        (variant(step_1, *STEP_2), ["validate journeys/ --since HEAD", "diff HEAD"]),
        (V2.read_text(encoding="utf-8"), ["diff HEAD"]),
        (variant(V2.read_text(encoding="utf-8"), *BACKWARD), ["diff HEAD"]),
    ]
    results = []
    for text, commands in steps:
        journey.write_text(text, encoding="utf-8")
        for command in commands:
            result = run_esp(*command.split(), cwd=repo)
            results.append((f"esp {command}", result.stdout, result.returncode))
    return results


def test_every_command_prints_what_the_page_shows(replayed: list[tuple[str, str, int]]) -> None:
    shown = commands_shown()
    assert [c for c, _, _ in shown] == [c for c, _, _ in replayed]
    for (command, output, code), (_, printed, returned) in zip(shown, replayed, strict=True):
        assert printed == output, f"docs/evolution.md shows another output of '{command}'"
        assert code is None or code == returned, command


def test_the_changelog_is_what_esp_prints(tmp_path: Path) -> None:
    """The page's markdown block: ``esp diff --format markdown`` of the same change."""
    (markdown,) = [body for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")) if lang == "markdown"]
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(V1.read_text(encoding="utf-8"), encoding="utf-8")
    after.write_text(V2.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_esp("diff", before, after, "--format", "markdown", cwd=tmp_path)
    assert result.stdout.startswith(f"# Changes from {before} to {after}\n")
    assert result.stdout.split("\n", 1)[1] == markdown.split("\n", 1)[1]  # the rest names no file


def test_the_generated_code_shown_is_what_esp_writes(tmp_path: Path) -> None:
    (code,) = [body for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")) if lang == "python"]
    path = tmp_path / "restaurant.yaml"
    path.write_text(V2.read_text(encoding="utf-8"), encoding="utf-8")
    validation = api.validate([path])
    assert validation.model is not None
    written = next(f.text for f in render(build(validation.model)) if f.path.endswith("/dining/aggregates.py"))
    lines = iter(written.splitlines())
    for line in code.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in lines, f"docs/evolution.md quotes a line esp does not write (in this order): {line!r}"


def scripts_shown() -> list[tuple[str, str]]:
    """The page's ``python - <<'EOF'`` runs: each script and what it printed."""
    runs = []
    for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if lang == "console" and body.startswith("$ python - <<'EOF'\n"):
            script, _, output = body.removeprefix("$ python - <<'EOF'\n").partition("\nEOF\n")
            runs.append((script, output))
    return runs


def test_the_stored_events_read_back_as_the_page_shows(tmp_path: Path) -> None:
    """Version 1 records a visit, version 2 (generated over it) reads it: each prints what the page shows."""
    (record, recorded), (read, read_back) = scripts_shown()
    package = tmp_path / "restaurant"
    printed = []
    for version, script in ((V1, record), (V2, read)):
        validation = api.validate([version])
        assert validation.model is not None
        generate(validation.model, package)
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=package,
            env={**os.environ, "PYTHONPATH": str(package), "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        printed.append(result.stdout)
    ids = re.compile(r"UUID\('[0-9a-f-]{36}'\)")
    assert [ids.sub("UUID(...)", p) for p in printed] == [
        ids.sub("UUID(...)", recorded),
        ids.sub("UUID(...)", read_back),
    ]
