"""esp generate for sagas: what the Saga Execution Container is told, the participants' rules, safe text.

The generated SEC itself runs in each example's generated tests (tests/test_sagas.py there, through
tests/test_generate_suites.py) and in the crash test (tests/test_saga_crash.py).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from esp import api
from esp.generate import generate
from esp.generate.package import build
from esp.generate.saga import SagaV
from esp.model import Model

ROOT = Path(__file__).resolve().parent.parent


def model_of(path: Path) -> Model:
    v = api.validate([path])
    assert v.exit_code() == 0, [str(d) for d in v.diagnostics]
    assert v.model is not None
    return v.model


def saga_view(path: Path) -> tuple[SagaV, Any]:
    view = build(model_of(path), "pkg")
    (saga,) = view.saga_views
    return saga, view


def edited_travel(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load((ROOT / "journeys" / "travel.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "travel.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def check_generated(out: Path) -> None:
    """ruff and mypy --strict on the generated package, and its saga tests (in memory)."""
    bin_dir = Path(sys.executable).parent
    for command in (
        [str(bin_dir / "ruff"), "check", "--quiet", "."],
        [str(bin_dir / "mypy"), "--strict", "book_a_trip"],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_sagas.py"],
    ):
        done = subprocess.run(
            command,
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "ESP_PERSISTENCE": "memory"},
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_backward_recovery_compensates_completed_steps_in_reverse() -> None:
    saga, _ = saga_view(ROOT / "journeys" / "travel.yaml")
    assert [s.raw for s in saga.steps] == ["Reserve flight", "Reserve hotel", "Reserve car", "Charge card"]
    assert saga.pivot == 3 and saga.recovery == "backward" and not saga.compensate_failed_step
    assert saga.compensations(0) == []
    assert saga.compensations(2) == ['"Reserve hotel"', '"Reserve flight"']
    assert saga.compensations(3) == ['"Reserve car"', '"Reserve hotel"', '"Reserve flight"']
    # A step that timed out may have taken effect: it is compensated too.
    assert saga.compensations(1, timed_out=True) == ['"Reserve hotel"', '"Reserve flight"']
    assert [s.timeout_ms for s in saga.steps] == [30_000, 30_000, 30_000, 10_000]
    assert saga.timing_out is saga.steps[0]
    assert not any(saga.retried(i) for i in range(4))


def test_each_participant_gets_a_rule_that_can_fail_its_step() -> None:
    saga, view = saga_view(ROOT / "journeys" / "travel.yaml")
    hooks = {ms.raw: {h.method for h in ms.hooks} for ms in view.microservices}
    assert "reserve_flight_fails" in hooks["flights"]
    assert "charge_card_fails" in hooks["travel-payments"]
    assert not any(h.endswith("_fails") for h in hooks["trips"])
    # The compensation targets the aggregate the step made; the other fields come from the starting event.
    cancel = dict(saga.steps[0].compensation)
    assert cancel == {"seat_reservation_id": "target", "trip_id": 'values["trip_id"]'}
    assert dict(saga.start_values)["trip_id"] == "domain_event.originator_id"


def test_forward_recovery_retries_and_never_compensates() -> None:
    saga, _ = saga_view(ROOT / "journeys" / "shopping.yaml")
    assert saga.recovery == "forward"
    assert saga.retries == (5, "exponential", 200)
    assert all(saga.retried(i) for i in range(len(saga.steps)))
    assert saga.compensations(1) == []
    assert [s.raw for s in saga.failing] == ["Reserve stock", "Ship order"]  # Notify customer cannot fail
    aborts = dict(saga.aborts_values)
    assert aborts == {"step": 'domain_event.reason.partition(": ")[0]', "reason": "domain_event.reason"}


def test_a_step_whose_command_does_not_create_its_aggregate_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        step = data["sagas"][0]["steps"][0]
        step.update(invoke="IssueBoardingPasses", succeeds_on="BoardingPassesIssued")
        del step["fails_on"]
        events = [e for p in data["processes"] for e in p.get("events", [])]
        next(e for e in events if e["event"] == "BoardingPassesIssued")["kind"] = "integration"

    found = api.validate([edited_travel(tmp_path, edit)]).diagnostics
    assert "E140" in [d.code for d in found], [str(d) for d in found]


def test_steps_that_become_one_python_name_get_their_own_handlers(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sagas"][0]["steps"][1]["step"] = "Reserve-flight"

    saga, _ = saga_view(edited_travel(tmp_path, edit))
    assert [st.test_fails for st in saga.steps[:2]] == [
        "test_book_trip_reserve_flight_fails",
        "test_book_trip_reserve_flight_fails_2",
    ]
    generate(model_of(edited_travel(tmp_path, edit)), tmp_path / "out", dry_run=True)


def test_saga_text_reaches_the_code_only_as_docstrings(tmp_path: Path) -> None:
    hostile = '"""; __import__("os").system("touch PWNED"); """ \\ {{ 7 * 7 }}'

    def edit(data: dict[str, Any]) -> None:
        data["sagas"][0]["description"] = hostile
        data["sagas"][0]["steps"][3]["description"] = hostile

    out = tmp_path / "out"
    generate(model_of(edited_travel(tmp_path, edit)), out)
    for path in [out / "book_a_trip" / "system.py", out / "book_a_trip" / "trips" / "sagas.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "__import__"]
        assert calls == []
    sec = (out / "book_a_trip" / "trips" / "sagas.py").read_text(encoding="utf-8")
    assert "touch PWNED" in sec  # in the docstring, harmless
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.slow
def test_a_field_no_saga_event_carries_comes_from_a_rule_and_the_saga_still_runs(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        request = data["processes"][0]
        del request["actions"][1]["fields"]["cabin"]
        del request["events"][0]["fields"]["cabin"]
        del data["scenarios"][0]["when"]["RequestTrip"]["cabin"]
        del data["scenarios"][0]["then"][0]["TripRequested"]["cabin"]

    out = tmp_path / "out"
    generate(model_of(edited_travel(tmp_path, edit)), out)
    hooks = (out / "book_a_trip" / "trips" / "hooks.py").read_text(encoding="utf-8")
    assert "def book_trip_reserve_flight_cabin(" in hooks
    assert '"cabin": self.rules.book_trip_reserve_flight_cabin(values)' in (
        out / "book_a_trip" / "trips" / "sagas.py"
    ).read_text(encoding="utf-8")
    check_generated(out)


@pytest.mark.slow
def test_compensating_the_failed_step_too_is_a_no_op_when_it_took_no_effect(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sagas"][0]["compensate_failed_step"] = True

    model = model_of(edited_travel(tmp_path, edit))
    saga, _ = saga_view(edited_travel(tmp_path, edit))
    assert saga.compensations(2) == ['"Reserve car"', '"Reserve hotel"', '"Reserve flight"']
    generate(model, tmp_path / "out")
    check_generated(tmp_path / "out")


def test_a_failed_step_compensated_too_is_compensated_once_per_attempt(tmp_path: Path) -> None:
    """Each attempt of a retried step made an aggregate of its own, which may have partly taken effect: the SEC
    compensates every one (the generated tests of tests/data/real/bike-rental-saga.yaml expected one)."""

    def edit(data: dict[str, Any]) -> None:
        data["sagas"][0]["compensate_failed_step"] = True
        data["sagas"][0]["steps"][2]["retries"] = {"max": 2, "backoff": "fixed", "delay": "1s"}

    saga, _ = saga_view(edited_travel(tmp_path, edit))
    assert saga.compensations(2) == ['"Reserve car"'] * 3 + ['"Reserve hotel"', '"Reserve flight"']
    assert saga.compensations(2, timed_out=True) == ['"Reserve car"', '"Reserve hotel"', '"Reserve flight"']
    assert saga.compensations(1) == ['"Reserve hotel"', '"Reserve flight"']


def test_a_saga_whose_name_the_system_already_uses_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["microservices"]["book-trip-saga"] = data["microservices"].pop("cars")
        for process in data["processes"]:
            if process["microservice"] == "cars":
                process["microservice"] = "book-trip-saga"

    found = api.validate([edited_travel(tmp_path, edit)]).diagnostics
    assert [(d.code, "book_trip_saga" in d.message) for d in found if d.code == "E032"] == [("E032", True)]


@pytest.mark.slow
@pytest.mark.parametrize("while_open", ["wait", "fail"])
def test_a_circuit_breaker_and_compensation_retries_run_in_the_generated_tests(tmp_path: Path, while_open: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sagas"][0]["compensation_retries"] = {"max": 2, "backoff": "fixed", "delay": "1s"}
        data["sagas"][0]["circuit_breaker"] = {"failures": 3, "open_for": "30s", "while_open": while_open}

    saga, _ = saga_view(edited_travel(tmp_path, edit))
    assert saga.breaker_step is saga.steps[0] and saga.compensating is saga.steps[0]
    assert saga.steps[0].compensation_policy == (2, "fixed", 1000)
    out = tmp_path / "out"
    generate(model_of(edited_travel(tmp_path, edit)), out)
    text = (out / "tests" / "test_sagas.py").read_text(encoding="utf-8")
    assert "def test_book_trip_saga_circuit_breaker_opens" in text
    assert "def test_book_trip_saga_failed_compensation_parks_the_run" in text
    sec = (out / "book_a_trip" / "trips" / "sagas.py").read_text(encoding="utf-8")
    assert f'BREAKER = Breaker(failures=3, open_for=timedelta(milliseconds=30000), while_open="{while_open}")' in sec
    check_generated(out)


@pytest.mark.slow
def test_a_compensation_that_never_answers_times_out_and_parks_the_run(tmp_path: Path) -> None:
    """A compensation's time limit: the step's own, else the saga's, else the step's timeout; the generated
    SEC is told it, and the generated test leaves a compensation unanswered until the run is parked."""

    def edit(data: dict[str, Any]) -> None:
        saga = data["sagas"][0]
        saga["compensation_timeout"] = "2m"
        saga["compensation_retries"] = {"max": 1, "backoff": "fixed", "delay": "1s"}
        saga["steps"][1]["compensation_timeout"] = "45s"

    saga, _ = saga_view(edited_travel(tmp_path, edit))
    assert [s.compensation_timeout_ms for s in saga.steps[:3]] == [120_000, 45_000, 120_000]
    assert saga.unanswered is saga.steps[0]
    untimed, _ = saga_view(ROOT / "journeys" / "travel.yaml")
    assert untimed.steps[0].compensation_timeout_ms == 30_000  # the step's timeout
    out = tmp_path / "out"
    generate(model_of(edited_travel(tmp_path, edit)), out)
    sec = (out / "book_a_trip" / "trips" / "sagas.py").read_text(encoding="utf-8")
    assert "compensation_timeout=timedelta(milliseconds=45000)" in sec
    assert "compensation_timeout=timedelta(milliseconds=120000)" in sec
    assert sec.count("compensation_timeout=") == 3  # not on the pivot, which has no compensation
    text = (out / "tests" / "test_sagas.py").read_text(encoding="utf-8")
    assert "def test_book_trip_saga_unanswered_compensation_parks_the_run" in text
    unanswered = text.split("def test_book_trip_saga_unanswered_compensation_parks_the_run")[1].split("\ndef ")[0]
    assert 'compensation_attempts(system, run, "Reserve flight") == 2' in unanswered  # tried, retried once
    check_generated(out)
