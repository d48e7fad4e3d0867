"""`esp new`: a starting journey that validates at once, never overwriting."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esp.api import validate
from esp.cli import app
from esp.errors import UserError
from esp.scaffold import Answers, new_journey, render

runner = CliRunner()


@pytest.mark.parametrize(
    "services",
    [("orders",), ("orders", "payments"), ("ordering", "kitchen", "delivery"), ("Food Menu", "dining-room")],
)
def test_new_journey_validates_clean(tmp_path: Path, services: tuple[str, ...]) -> None:
    written = new_journey(Answers("Pizza Delivery", "Customer", services), tmp_path / "pizza.yaml")
    assert [p.name for p in written] == ["journey.schema.json", "pizza.yaml"]
    result = validate([tmp_path / "pizza.yaml"])
    assert result.diagnostics == (), [d.message for d in result.diagnostics]
    model = result.model
    assert model is not None
    assert [m.name for m in model.microservices] == list(services)
    assert len(model.listeners) == len(services) - 1
    assert model.scenarios and model.projections


def test_cli_new_with_flags(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["new", "Movie Night", "--actor", "Viewer", "-m", "seats", "--dir", str(tmp_path), "--no-input"]
    )
    assert result.exit_code == 0, result.output
    target = tmp_path / "movie-night.yaml"
    assert target.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=journey.schema.json\n")
    assert validate([target]).exit_code(strict=True) == 0


def test_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "pizza-delivery.yaml"
    target.write_text("journey: mine\n", encoding="utf-8")
    result = runner.invoke(app, ["new", "Pizza Delivery", "--dir", str(tmp_path), "--no-input"])
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "journey: mine\n"


def test_existing_schema_file_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "journey.schema.json").write_text("{}", encoding="utf-8")
    written = new_journey(Answers("Pizza"), tmp_path / "pizza.yaml")
    assert written == [tmp_path / "pizza.yaml"]
    assert (tmp_path / "journey.schema.json").read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize(
    "answers",
    [
        Answers('Pizza"\njourney: x'),
        Answers("Pizza", actor="a: b"),
        Answers("Pizza", microservices=("orders", "__import__('os')")),
        Answers("Pizza", microservices=("orders", "order")),
        Answers("9 lives"),
    ],
)
def test_bad_names_are_refused(answers: Answers) -> None:
    with pytest.raises(UserError):
        render(answers, "journey.schema.json")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_asks_on_a_terminal(tmp_path: Path) -> None:
    """Answer the prompts through a pseudo-terminal, as a person would."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "new", "Pizza Delivery", "--dir", str(tmp_path)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    seen = b""

    def wait_for(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen
            seen += os.read(primary, 1024)

    wait_for(b"actor")
    os.write(primary, b"Hungry Person\n")
    wait_for(b"microservices")
    os.write(primary, b"ordering, ovens\n")
    assert proc.wait(timeout=60) == 0
    os.close(primary)
    model = validate([tmp_path / "pizza-delivery.yaml"]).model
    assert model is not None
    assert [a.name for a in model.actors] == ["Hungry Person"]
    assert [m.name for m in model.microservices] == ["ordering", "ovens"]
