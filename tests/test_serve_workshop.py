"""Changes from the live board (`esp serve --edit`) into the journey files: what is
written, what is kept byte for byte, what is refused, conflicts, undo, the change log.

The Workshop is driven in-process here (no HTTP: see test_serve.py; no browser:
see test_serve_browser.py), on copies of the real example journeys."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from esp.api import validate
from esp.load import load_text
from esp.serve import Board, Workshop
from esp.serve.changelog import log_path
from esp.serve.edit import Change, Refused, apply, listener_name, scalar
from tests.test_serve import names_renderer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "journeys").glob("*.yaml"))


def workshop_on(journey: Path, profile: str = "workshop") -> Workshop:
    board = Board([journey], names_renderer, ["esp"], profile)
    board.refresh()
    return Workshop(board)


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copy(ROOT / "journeys" / name, target)
    return target


def add(kind: str, name: str, **details: str) -> Change:
    return Change("add", kind, name, details=details)


def only_insertions(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(a=before.splitlines(keepends=True), b=after.splitlines(keepends=True))
    return all(op in ("equal", "insert") for op, *_ in matcher.get_opcodes())


def submit(shop: Workshop, change: Change, who: str = "Ana") -> str:
    outcome = shop.submit(change, who, shop.board.snapshot.version)
    assert outcome.status == "ok", outcome
    return outcome.message


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_kind_added_then_taken_away_leaves_the_file_as_it_was(example: Path, tmp_path: Path) -> None:
    journey = copy(example.name, tmp_path)
    original = journey.read_bytes()
    shop = workshop_on(journey)
    data = load_text(original.decode(), "x")[0]
    assert data is not None
    first = data.data["processes"][0]
    service = first["microservice"]
    command = next(a["command"] for a in first["actions"] if "command" in a)
    changes = [
        add("event", "ThingNoted", process=first["process"], integration="yes"),
        add("command", "NoteThing", process=first["process"], emits="ThingNoted"),
        add("hotspot", "Who notes: the thing?", about="NoteThing", by="Ana"),
        add("actor", "Night Porter"),
        add("process", "Close Up", microservice=service, actor="Night Porter"),
        add("listener", listener_name("ThingNoted", command), on="ThingNoted", command=command, **{"in": service}),
    ]
    for change in changes:
        submit(shop, change)
        after = journey.read_text(encoding="utf-8")
        assert only_insertions(original.decode(), after), change
        result = validate([journey], "workshop")
        assert not result.errors, [d.message for d in result.errors]
    assert "kind: integration" in after and "emits: [ThingNoted]" in after and "'Who notes: the thing?'" in after
    submit(shop, Change("rename", "event", "ThingNoted", "ThingMarked"))
    assert "emits: [ThingMarked]" in journey.read_text(encoding="utf-8")
    for kind, name in [
        ("listener", listener_name("ThingMarked", command)),
        ("process", "Close Up"),
        ("actor", "Night Porter"),
        ("hotspot", "Who notes: the thing?"),
        ("command", "NoteThing"),
        ("event", "ThingMarked"),
    ]:
        submit(shop, Change("remove", kind, name))
    assert journey.read_bytes() == original


def test_a_change_that_adds_an_error_is_refused_with_the_reason(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    original = journey.read_bytes()
    shop = workshop_on(journey)
    outcome = shop.submit(add("command", "RateDish", process="Dine", emits="DishRatd"), "Ana", 1)
    assert outcome.status == "refused"
    assert "DishRatd" in outcome.message and outcome.problems and outcome.problems[0].code.startswith("E")
    assert journey.read_bytes() == original
    assert not log_path(journey).exists()


def test_the_default_profile_refuses_what_the_workshop_profile_takes(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    strict = workshop_on(journey, "default").submit(add("command", "RateDish", process="Dine"), "Ana", 1)
    assert strict.status == "refused" and strict.problems[0].code == "E050"
    assert workshop_on(journey).submit(add("command", "RateDish", process="Dine"), "Ana", 1).status == "ok"


def test_adding_what_is_already_there_is_a_conflict(tmp_path: Path) -> None:
    shop = workshop_on(copy("restaurant.yaml", tmp_path))
    outcome = shop.submit(add("event", "TableOpened", process="Dine"), "Ana", 1)
    assert outcome.status == "conflict" and "already there" in outcome.message


def test_a_second_change_to_the_same_sticky_is_a_conflict_not_a_loss(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    shop = workshop_on(journey)
    submit(shop, add("event", "DishRated", process="Dine"))
    seen = shop.board.snapshot.version  # both participants see this version
    assert shop.submit(Change("rename", "event", "DishRated", "DishReviewed"), "Ana", seen).status == "ok"
    late = shop.submit(Change("rename", "event", "DishRated", "DishScored"), "Ben", seen)
    assert late.status == "conflict" and "Ana renamed event DishRated to DishReviewed" in late.message
    late = shop.submit(Change("remove", "event", "DishReviewed"), "Ben", seen)
    assert late.status == "conflict"
    text = journey.read_text(encoding="utf-8")
    assert "event: DishReviewed" in text and "DishScored" not in text


def test_an_editors_save_is_detected_not_overwritten(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    shop = workshop_on(journey)
    edited = journey.read_text(encoding="utf-8").replace("# Pink stickies", "# Pink stickies, saved in an editor")
    journey.write_text(edited, encoding="utf-8")  # the board's watcher has not seen it yet
    outcome = shop.submit(add("event", "DishRated", process="Dine"), "Ana", shop.board.snapshot.version)
    assert outcome.status == "conflict" and "editor" in outcome.message
    assert journey.read_text(encoding="utf-8") == edited
    submit(shop, add("event", "DishRated", process="Dine"))  # the board caught up: the change goes on top
    text = journey.read_text(encoding="utf-8")
    assert "saved in an editor" in text and "event: DishRated" in text


def test_only_what_was_added_from_the_board_is_renamed_or_removed_there(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    shop = workshop_on(journey)
    outcome = shop.submit(Change("remove", "event", "TableOpened"), "Ana", shop.board.snapshot.version)
    assert outcome.status == "refused" and "not added from the board" in outcome.message
    submit(shop, add("actor", "Sommelier"))
    again = workshop_on(journey)  # a new board on the same journey replays the change log
    assert {"kind": "actor", "name": "Sommelier", "who": "Ana", "file": str(journey)} in again.added()
    submit(again, Change("remove", "actor", "Sommelier"), "Ben")
    assert "Sommelier" not in journey.read_text(encoding="utf-8")


def test_undo_takes_back_the_last_change_only_when_nothing_came_after(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    original = journey.read_bytes()
    shop = workshop_on(journey)
    submit(shop, add("event", "DishRated", process="Dine"))
    stale = shop.board.snapshot.version
    submit(shop, add("hotspot", "Who rates?"), "Ben")
    late = shop.undo("Ana", stale)  # Ana did not see Ben's hotspot yet
    assert late.status == "conflict" and "Who rates?" in late.message
    assert shop.undo("Ana", shop.board.snapshot.version).status == "ok"
    assert "Who rates?" not in journey.read_text(encoding="utf-8")
    journey.write_text(journey.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")
    shop.board.refresh()
    outcome = shop.undo("Ana", shop.board.snapshot.version)
    assert outcome.status == "conflict" and "undo it in the editor" in outcome.message
    journey.write_bytes(journey.read_bytes().removesuffix(b"# a note\n"))
    shop.board.refresh()
    assert shop.undo("Ana", shop.board.snapshot.version).status == "ok"
    assert journey.read_bytes() == original
    assert shop.undo("Ana", shop.board.snapshot.version).status == "refused"  # nothing left
    whats = [json.loads(line)["what"] for line in log_path(journey).read_text(encoding="utf-8").splitlines()]
    assert whats == [
        "added event DishRated to Dine",
        "added hotspot Who rates?",
        "undid: added hotspot Who rates?",
        "undid: added event DishRated to Dine",
    ]


def test_nothing_is_written_outside_the_served_journeys(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    (tmp_path / "elsewhere").mkdir()
    other = tmp_path / "elsewhere" / "shopping.yaml"
    shutil.copy(ROOT / "journeys" / "shopping.yaml", other)
    before = other.read_bytes()
    shop = workshop_on(journey)
    for file in (str(other), "../shopping.yaml", "/etc/passwd"):
        outcome = shop.submit(add("actor", "Intruder"), "Ana", 1, file)
        assert outcome.status == "refused" and "not a journey this board serves" in outcome.message
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "restaurant.yaml"]


def test_writes_are_atomic_and_keep_the_files_mode(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    journey.chmod(0o640)
    shop = workshop_on(journey)
    submit(shop, add("actor", "Sommelier"))
    assert stat.S_IMODE(journey.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["restaurant.changes.jsonl", "restaurant.yaml"]


def test_participants_need_a_display_name(tmp_path: Path) -> None:
    shop = workshop_on(copy("restaurant.yaml", tmp_path))
    for who in ("", "   ", "x" * 41, "Ana\x00"):
        outcome = shop.submit(add("actor", "Sommelier"), who, 1)
        assert outcome.status == "refused", who


def test_the_change_log_ends_the_markdown_export(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    shop = workshop_on(journey)
    submit(shop, add("event", "DishRated", process="Dine"), "Ana")
    submit(shop, add("hotspot", "Who | rates?"), "Ben *the chef*")
    done = subprocess.run(
        [sys.executable, "-m", "esp", "export", "markdown", str(journey)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("## Workshop changes", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("| 2")]
    assert len(lines) == 2
    assert "| Ana | added event DishRated to Dine |" in lines[0]
    assert r"Ben \*the chef\*" in lines[1] and r"Who \| rates?" in lines[1]


# -- the text splice on layouts the examples do not have ---------------------------------------

FLOW = """journey: J
actors: [Customer, 'Waiter']   # flow style
microservices:
  m:
    aggregates:
      A: {identity: a_id}
processes:
- process: P
  microservice: m
  actions:
  - command: Do
    emits: [Done]
    creates: true
  events:
  - event: Done
  aggregate: A
"""


def change_text(text: str, change: Change) -> str:
    doc, problems = load_text(text, "j.yaml")
    assert doc is not None, problems
    return apply(text, doc, change)[0]


def test_flow_lists_compact_lists_crlf_and_missing_sections() -> None:
    text = change_text(FLOW, add("actor", "Chef"))
    assert "actors: [Customer, 'Waiter', Chef]   # flow style\n" in text
    assert change_text(text, Change("remove", "actor", "Chef")) == FLOW
    text = change_text(FLOW, add("event", "Undone", process="P"))
    assert "  - event: Done\n  - event: Undone\n  aggregate: A\n" in text
    text = change_text(FLOW, add("hotspot", "Why?"))
    assert text == FLOW + "\nhotspots:\n- 'Why?'\n"  # this file's compact lists
    crlf = FLOW.replace("\n", "\r\n")
    text = change_text(crlf, add("command", "Redo", process="P"))
    assert "  - command: Redo\r\n" in text and "\n" not in text.replace("\r\n", "")
    no_events = FLOW.replace("  events:\n  - event: Done\n", "")
    text = change_text(no_events, add("event", "Done", process="P"))
    assert "  aggregate: A\n  events:\n  - event: Done\n" in text


@pytest.mark.parametrize(
    "name", ["a: b", "[x]", "&anchor", "*alias", "!!python/object:os.system", "# not a comment", "'quoted'", "yes"]
)
def test_names_are_written_as_text_never_as_yaml(name: str) -> None:
    text = change_text(FLOW, add("hotspot", name, by="Ana"))
    doc, _ = load_text(text, "j.yaml")
    assert doc is not None and doc.data["hotspots"] == [{"hotspot": name, "by": "Ana"}]
    assert scalar(name) in text


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "x" * 301])
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(Refused):
        change_text(FLOW, add("actor", name))


def test_a_change_in_one_row_of_a_big_map_leaves_the_other_pages_as_they_were(tmp_path: Path) -> None:
    """Each page's DOT stays the same, so the layout cache lays out only the changed page again."""
    from bench.diagram import journey_yaml
    from esp.draw import dot, graph
    from esp.draw.pages import split, svg_pages

    journey = tmp_path / "big.yaml"
    journey.write_text(journey_yaml(200), encoding="utf-8")

    def pages() -> tuple[list[str], list[str]]:
        model = validate([journey], "workshop").model
        assert model is not None
        return [dot.render(page, routed=False) for page in split(graph(model, "esp"))], svg_pages(graph(model, "esp"))

    before, drawn_before = pages()
    submit(workshop_on(journey), add("event", "CaseNoted", process="Handle Case 100"))
    after, drawn_after = pages()
    assert len(before) == len(after) == 8
    assert [a == b for a, b in zip(before, after, strict=True)] == [True] * 4 + [False] + [True] * 3
    # the pages that did not change are not drawn again: the very same text comes back
    assert [a is b for a, b in zip(drawn_before, drawn_after, strict=True)] == [True] * 4 + [False] + [True] * 3


def test_a_journey_that_is_no_longer_a_file_is_refused_not_a_dead_request(tmp_path: Path) -> None:
    journey = copy("restaurant.yaml", tmp_path)
    shop = workshop_on(journey)
    journey.unlink()
    os.mkfifo(journey)  # replaced under the board's feet by something that would block a reader
    outcome = shop.submit(add("actor", "Sommelier"), "Ana", shop.board.snapshot.version)
    assert outcome.status == "refused" and "not written" in outcome.message


def test_the_journeys_not_changed_are_loaded_again_only_when_their_bytes_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from esp.serve import workshop

    restaurant, shopping = copy("restaurant.yaml", tmp_path), copy("shopping.yaml", tmp_path)
    board = Board([tmp_path], names_renderer, ["esp"], "workshop")
    board.refresh()
    shop = Workshop(board)
    loaded: list[str] = []
    real = workshop.load_bytes
    monkeypatch.setattr(workshop, "load_bytes", lambda raw, name: (loaded.append(Path(name).name), real(raw, name))[1])

    submit(shop, add("event", "DishRated", process="Dine"))
    submit(shop, add("event", "DishPraised", process="Dine"))
    assert loaded.count("shopping.yaml") == 1  # the restaurant changed twice, the shop was read once
    shopping.write_text(shopping.read_text(encoding="utf-8") + "# saved\n", encoding="utf-8")
    board.refresh()
    submit(shop, add("event", "DishPanned", process="Dine"))
    assert loaded.count("shopping.yaml") == 2
    fresh = validate([tmp_path], "workshop")
    assert [str(d) for d in board.snapshot.problems] == [str(d) for d in fresh.diagnostics]
    assert "DishPanned" in restaurant.read_text(encoding="utf-8")
