"""[tool.esp] in pyproject.toml, under the command line; ``esp config``."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_helpers import JOURNEYS
from typer.testing import CliRunner

from esp import config
from esp.cli import app
from esp.errors import UserError

PYPROJECT = """\
[project]
name = "cafe"

[tool.esp]
journeys = "model"
output = "build/esp"
profile = "workshop"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "restaurant.yaml").write_text(
        (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_without_a_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = config.load()
    assert cfg.pyproject is None
    assert (cfg.journeys, cfg.output, cfg.profile, cfg.templates) == (Path("journeys"), Path("out"), "default", None)
    assert {s.source for s in cfg.settings.values()} == {"default"}


def test_the_nearest_pyproject_is_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "src" / "deep")
    cfg = config.load()
    assert cfg.pyproject == (project / "pyproject.toml").resolve()
    assert cfg.journeys.resolve() == (project / "model").resolve()  # relative to the pyproject's folder
    assert cfg.profile == "workshop"
    assert cfg.settings["journeys"].source == str(cfg.pyproject)
    assert cfg.settings["templates"].source == "default"


def test_the_command_line_wins(project: Path) -> None:
    cfg = config.load({"profile": "default", "output": Path("elsewhere"), "journeys": None})
    assert cfg.profile == "default" and cfg.settings["profile"].source == "command line"
    assert cfg.output == Path("elsewhere")
    assert cfg.journeys == Path("model") and cfg.settings["journeys"].source.endswith("pyproject.toml")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('colour = "blue"', "unknown setting 'colour'"),
        ('profile = "lenient"', "unknown profile 'lenient'"),
        ("journeys = 3", "must be a non-empty string"),
        ('journeys = ""', "must be a non-empty string"),
    ],
)
def test_bad_settings_are_user_errors(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.esp]\n{table}\n", encoding="utf-8")
    with pytest.raises(UserError, match=message) as caught:
        config.load(start=tmp_path)
    assert str(tmp_path / "pyproject.toml") in caught.value.message


def test_broken_toml_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.esp\n", encoding="utf-8")
    with pytest.raises(UserError, match="not valid TOML"):
        config.load(start=tmp_path)


def test_paths_default_to_the_configured_folder(project: Path) -> None:
    assert config.resolve_paths(None) == [Path("model")]
    assert config.resolve_paths([Path("x.yaml")]) == [Path("x.yaml")]
    (project / "model" / "restaurant.yaml").unlink()
    (project / "model").rmdir()
    with pytest.raises(UserError, match="does not exist"):
        config.resolve_paths(None)


def test_esp_config_shows_values_and_sources(project: Path) -> None:
    result = CliRunner().invoke(app, ["config", "--output", "dist"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(" = ", 1) for line in result.stdout.splitlines())
    assert len({len(k) for k in lines}) == 1  # keys padded to one width
    rows = {k.strip(): v for k, v in lines.items()}
    assert rows["journeys"].split()[0] == "model" and rows["journeys"].endswith("pyproject.toml")
    assert rows["output"].split()[0] == "dist" and rows["output"].endswith("# from command line")
    assert rows["profile"].split()[0] == "workshop"
    assert rows["templates"].split()[0] == "(none)" and rows["templates"].endswith("# from default")


def test_commands_use_the_configured_journeys(project: Path) -> None:
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "1 journey file checked" in result.stdout
    result = CliRunner().invoke(app, ["export", "asyncapi"])
    assert result.exit_code == 0, result.output
    assert "OrderPlaced" in result.stdout


def test_esp_config_refuses_an_unknown_profile(project: Path) -> None:
    result = CliRunner().invoke(app, ["config", "--profile", "lenient"])
    assert result.exit_code == 2
    assert "unknown profile" in result.output
