"""Each example journey's generated package: lint-clean, type-clean, and its own tests pass on
memory, SQLite and PostgreSQL (one pytest subprocess per journey runs all three)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from esp import api
from esp.generate import generate

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = sorted((ROOT / "journeys").glob("*.yaml"))
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every journey: the eventsourcing library is analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env}
    return subprocess.run(args, cwd=cwd, env=environ, capture_output=True, text=True, check=False, timeout=900)


@pytest.mark.slow
@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_generated_package_is_clean_and_its_tests_pass(journey: Path, tmp_path: Path, mypy_cache: Path) -> None:
    validation = api.validate([journey])
    assert validation.model is not None and validation.exit_code() == 0
    out = tmp_path / journey.stem
    generate(validation.model, out)
    _bring_the_rules(journey, out)
    tests = _clean_and_tested(out, mypy_cache)
    assert "skipped" not in tests.stdout.splitlines()[-1] or not os.environ.get("CI"), tests.stdout[-2000:]


def _bring_the_rules(journey: Path, out: Path) -> None:
    """The example's hand-written rules.py files, as a user keeps them: a scenario rejected by a rule
    ('then: {rejected: ...}') passes only once the rule is written (the restaurant's invariants)."""
    example = ROOT / "generated" / journey.stem
    for rules in example.glob("*/*/rules.py"):
        shutil.copyfile(rules, out / rules.relative_to(example))


def _clean_and_tested(out: Path, mypy_cache: Path) -> subprocess.CompletedProcess[str]:
    """ruff check, ruff format --check, mypy --strict and the package's own tests (every persistence) pass."""
    for tool in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "--no-cache", "."]):
        checked = run([str(BIN / tool[0]), *tool[1:]], out)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    types = run([str(BIN / "mypy"), "--cache-dir", str(mypy_cache), "."], out)
    assert types.returncode == 0, types.stdout + types.stderr
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        out,
        PYTHONPATH=str(out),
        ESP_PERSISTENCE="memory,sqlite,postgres",
    )
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
    return tests


@pytest.mark.slow
def test_the_restaurant_with_its_business_logic_is_clean_and_its_tests_pass(tmp_path: Path, mypy_cache: Path) -> None:
    """generated/restaurant as committed: its hand-written rules.py and tests/test_logic.py type-check and pass, and
    the scenarios compare the values its rules give."""
    out = tmp_path / "restaurant"
    shutil.copytree(ROOT / "generated" / "restaurant", out)
    _clean_and_tested(out, mypy_cache)
    assert "test_logic.py" in run([sys.executable, "-m", "pytest", "--co", "-q"], out, PYTHONPATH=str(out)).stdout


@pytest.mark.parametrize("ci", ["true", ""])
def test_unreachable_postgres_fails_in_ci_and_is_skipped_elsewhere(ci: str) -> None:
    out = ROOT / "generated" / "restaurant"
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/test_journey.py", "-k", "plays"],
        out,
        PYTHONPATH=str(out),
        ESP_PERSISTENCE="postgres",
        POSTGRES_HOST="127.0.0.1",
        POSTGRES_PORT="1",
        CI=ci,
    )
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in result.stdout, result.stdout[-3000:]
    if ci:
        assert result.returncode == 1 and "1 failed" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout


@pytest.mark.slow
def test_the_generated_package_installs_and_plays(tmp_path: Path) -> None:
    """pip builds and installs the output (its pyproject.toml); python -m then plays the journey from elsewhere."""
    validation = api.validate([ROOT / "journeys" / "restaurant.yaml"])
    assert validation.model is not None
    generate(validation.model, tmp_path / "src")
    target = tmp_path / "site"
    install = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(target),
            str(tmp_path / "src"),
        ],
        tmp_path,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (target / "customer_dining" / "system.py").exists()
    assert not (target / "tests").exists()
    played = run([sys.executable, "-m", "customer_dining", "--memory"], tmp_path, PYTHONPATH=str(target))
    assert played.returncode == 0, played.stderr
    assert "QueueTicket, by a listener on OrderPlaced" in played.stdout
    assert "TicketQueued" in played.stdout
