"""Journeys transcribed from published event-driven systems (tests/data/real):
each says in its header what `esp validate` makes of it today, and it must
keep saying so. A file marked `valid` has no errors; a file marked
`fails E0xx ...` fails with exactly those error codes (what the format cannot
express yet, see tests/data/real/NOTES.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, show

from esp import api

REAL = ROOT / "tests" / "data" / "real"
SYSTEMS = sorted(REAL.glob("*.yaml"))
_STATUS = re.compile(r"^# esp-status: (valid|fails(?: [EW][0-9]{3})+)\s*$", re.MULTILINE)
_KNOWN_FAILURE = re.compile(r"^# esp-generated-tests: fail (.+)$", re.MULTILINE)


def _status(path: Path) -> tuple[str, set[str]]:
    match = _STATUS.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} has no '# esp-status: valid' or '# esp-status: fails E0xx ...' line"
    words = match.group(1).split()
    return words[0], set(words[1:])


def test_the_real_systems_are_there() -> None:
    assert len(SYSTEMS) >= 5
    notes = (REAL / "NOTES.md").read_text(encoding="utf-8")
    for path in SYSTEMS:
        assert f"`{path.name}`" in notes, f"NOTES.md says nothing about {path.name}"


@pytest.mark.parametrize("path", SYSTEMS, ids=lambda p: p.stem)
def test_each_system_validates_as_its_header_says(path: Path) -> None:
    status, codes = _status(path)
    result = api.validate([path])
    errors = {d.code for d in result.diagnostics if d.severity.value == "error"}
    if status == "valid":
        assert not errors, show(result.diagnostics)
        assert result.model is not None
    else:
        assert errors == codes, show(result.diagnostics)


def _generated_tests_case(path: Path) -> object:
    known = _KNOWN_FAILURE.search(path.read_text(encoding="utf-8"))
    marks = [pytest.mark.xfail(strict=True, reason=known.group(1))] if known else []
    return pytest.param(path, marks=marks, id=path.stem)


@pytest.mark.slow
@pytest.mark.parametrize("path", [_generated_tests_case(p) for p in SYSTEMS if _status(p)[0] == "valid"])
def test_each_valid_system_generates_a_package_whose_tests_pass(path: Path, tmp_path: Path) -> None:
    (result,) = api.generate([path], tmp_path)
    assert result.written, result
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    for lint in (["check"], ["format", "--check"]):  # the contract: what validates passes ruff too
        linted = subprocess.run(
            [sys.executable, "-m", "ruff", *lint, "--no-cache", "-q", "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert linted.returncode == 0, linted.stdout[-4000:] + linted.stderr[-2000:]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
