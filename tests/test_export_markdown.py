"""`esp export markdown`: the seed's ESP table, ready for a wiki."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from esp.api import load_model
from esp.cli import app
from esp.export.markdown import markdown, md

ROOT = Path(__file__).resolve().parent.parent


def test_restaurant_table_has_the_five_lanes_and_a_row_per_process() -> None:
    model = load_model([ROOT / "journeys" / "restaurant.yaml"])
    text = markdown(model)
    lines = text.splitlines()
    header = lines.index("| Process | Actions | Microservice | Events | ES Aggregate |")
    rows = [line for line in lines[header + 2 :] if line.startswith("| **")]
    assert [r.split("**")[1] for r in rows] == [p.name for p in model.processes]
    dine = next(r for r in rows if r.startswith("| **Dine**"))
    cells = [c.strip() for c in dine.strip("|").split(" | ")]
    assert len(cells) == 5
    assert "OpenTable" in cells[1] and cells[2] == "dining" and "OrderPlaced" in cells[3] and "DiningOrder" in cells[4]
    assert "## Listeners" in text and "| OrderPlaced | kitchen | QueueTicket |" in text
    assert "## Hotspots" in text and "re-open" in text


def test_sagas_show_steps_and_compensations() -> None:
    text = markdown(load_model([ROOT / "journeys" / "travel.yaml"]))
    assert "### Saga BookTrip" in text
    assert "| T1 | Reserve flight | ReserveFlight |" in text
    assert "pivot" in text and "C1: " in text


def test_value_objects_are_listed_with_their_fields() -> None:
    text = markdown(load_model([ROOT / "journeys" / "shopping.yaml"]))
    assert "## Value objects" in text
    assert "| OrderLine | sku: str, quantity: int, unit\\_price: decimal |" in text


def test_text_from_the_journey_cannot_become_markup() -> None:
    assert md("a | b <script>alert(1)</script> *x* [l](http://e)") == (
        r"a \| b \<script\>alert\(1\)\</script\> \*x\* \[l\]\(http://e\)"
    )
    assert md("two\nlines") == "two lines"


def test_cli_embeds_a_mermaid_map(tmp_path: Path) -> None:
    target = tmp_path / "restaurant.md"
    result = CliRunner().invoke(
        app, ["export", "markdown", str(ROOT / "journeys" / "restaurant.yaml"), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "```mermaid\n" in text and "flowchart" in text
    assert text.count("```") == 2


def test_listeners_say_how_they_find_the_aggregate_as_the_drawings_do() -> None:
    text = markdown(load_model([ROOT / "tests" / "data" / "real" / "agilepm.yaml"]))
    assert "| UserUnassignedFromRole | agilepm | DisableTeamMember | by username |" in text
    assert "| DiscussionStarted | agilepm | InitiateDiscussion | target: exclusive\\_owner |" in text
    assert "| UserAssignedToRole | agilepm | EnableTeamMember | creates a new TeamMember |" in text
