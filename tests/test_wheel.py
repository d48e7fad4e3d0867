"""`pip install` of the built wheel gives a working `esp` in a clean virtual
environment, from any folder: the schema and templates ship inside it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from helpers import JOURNEYS, ROOT, assert_exit, explain, run_esp

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, explain(result)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def runtime_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """esp-runtime's wheel, built from runtime/: esp depends on it, and it is not on PyPI."""
    out = tmp_path_factory.mktemp("dist-runtime")
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT / "runtime")
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, runtime_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The esp console script of a fresh venv (no system site-packages) with only the wheels and their dependencies."""
    env = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env)
    pip = [env / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(*pip, runtime_wheel, wheel)
    return env / "bin" / "esp"


def test_the_runtime_wheel_holds_only_the_runtime(runtime_wheel: Path) -> None:
    names = zipfile.ZipFile(runtime_wheel).namelist()
    assert "esp_runtime/saga.py" in names and "esp_runtime/py.typed" in names
    assert not [n for n in names if n.startswith("esp/")]
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = [
        line for line in zipfile.ZipFile(runtime_wheel).read(metadata).decode().splitlines() if "Requires-Dist" in line
    ]
    # the CLI's dependencies stay out of the runtime: a deployed service needs none of them
    assert not [r for r in requires if any(cli in r for cli in ("typer", "jinja2", "rich", "pyyaml"))], requires


def test_the_wheel_ships_the_schema_and_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "esp/schema/journey.schema.json" in names
    templates = [n for n in names if n.startswith("esp/templates/")]
    assert templates, names
    shipped = {n.removeprefix("esp/templates/") for n in templates}
    expected = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert expected <= shipped
    assert not [n for n in names if n.startswith(("tests/", "journeys/"))]


def test_the_installed_package_is_the_wheel_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    python = installed.parent / "python"
    result = _run(python, "-c", "import esp, esp.schema; print(esp.__file__)", cwd=tmp_path)
    assert "site-packages" in result.stdout and str(ROOT / "esp") not in result.stdout, result.stdout


def test_installed_esp_validates_from_another_folder(installed: Path, tmp_path: Path) -> None:
    shutil.copy(JOURNEYS / "restaurant.yaml", tmp_path / "restaurant.yaml")
    result = run_esp("validate", "restaurant.yaml", cwd=tmp_path, esp=installed)
    assert_exit(result, 0)
    assert "1 journey file checked" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("journey: X\nprocesses: 3\n", encoding="utf-8")
    assert_exit(run_esp("validate", bad, cwd=tmp_path, esp=installed), 1)


def test_installed_esp_prints_the_schema(installed: Path, tmp_path: Path) -> None:
    result = run_esp("schema", cwd=tmp_path, esp=installed)
    assert_exit(result, 0)
    shipped = json.loads((ROOT / "esp" / "schema" / "journey.schema.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == shipped


def test_installed_esp_runs_its_other_commands_help(installed: Path, tmp_path: Path) -> None:
    result = run_esp("--help", cwd=tmp_path, esp=installed)
    assert_exit(result, 0)
    assert "validate" in result.stdout and "schema" in result.stdout
