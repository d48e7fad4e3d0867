"""The safe loader: positions, YAML 1.2 scalars, duplicate keys, encodings,
limits, and how folders become lists of journey files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import MINIMAL, located, show

from esp import api, load
from esp.load import MAX_DEPTH, load_bytes, load_path, load_text


def _load(text: str) -> load.Document:
    doc, problems = load_text(text, "j.yaml")
    assert doc is not None, show(problems)
    assert not problems, show(problems)
    return doc


def test_positions_of_keys_and_values() -> None:
    doc = _load("journey: Shop\nprocesses:\n  - process: Buy\n    actions:\n      - command: Pay\n")
    assert doc.keys[("journey",)] == (1, 1)
    assert doc.values[("journey",)] == (1, 10)
    assert doc.keys[("processes", 0, "process")] == (3, 5)
    assert doc.values[("processes", 0, "process")] == (3, 14)
    assert doc.values[("processes", 0, "actions", 0, "command")] == (5, 18)
    loc = doc.loc(("processes", 0, "actions", 0, "command"))
    assert (loc.file, loc.line, loc.col) == ("j.yaml", 5, 18)
    assert doc.loc(("processes", 0, "process"), key=True).col == 5


def test_loc_falls_back_to_the_nearest_enclosing_node() -> None:
    doc = _load("journey: Shop\nbase: &b {x: 1}\ncopy: *b\n")
    assert doc.data["copy"] == {"x": 1}
    # the alias' inner nodes were written at the anchor: 'copy.x' falls back to the alias itself
    assert (doc.loc(("copy", "x")).line, doc.loc(("copy", "x")).col) == (3, 7)
    assert doc.loc(("no", "such", "path")).line == 1


def test_crlf_line_ends_load_with_the_right_lines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    doc, problems = load_path(path)
    assert doc is not None and not problems, show(problems)
    assert doc.data["journey"] == "Shopping"
    assert doc.values[("processes", 0, "actions", 0, "command")] == (13, 18)
    assert not api.validate([path]).diagnostics


def test_a_utf8_bom_is_fine_and_does_not_shift_columns(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    doc, problems = load_path(path)
    assert doc is not None and not problems, show(problems)
    assert doc.keys[("journey",)] == (1, 1)
    assert doc.values[("journey",)] == (1, 10)
    assert not api.validate([path]).diagnostics


def test_bom_and_crlf_together_report_errors_at_the_right_place(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    text = MINIMAL.replace("creates: true", "creates: yes").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = api.validate([path])
    assert ("E022", 15, 18) in located(result.diagnostics), show(result.diagnostics)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("y", "y"),
        ("Yes", "Yes"),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("12", 12),
        ("-3", -3),
        ("0x1F", 31),
        ("0o17", 15),
        ("017", 17),  # YAML 1.2: no octal without 0o
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1_000", "1_000"),
        ("12:30", "12:30"),  # YAML 1.1 read this as 750 (base 60)
        ("2024-01-02", "2024-01-02"),  # dates stay text: the field type says what they are
        ("'true'", "true"),
        ('"12"', "12"),
        ("!!str 12", "12"),
        ("!!float 1", 1.0),
        ("!!int '7'", 7),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    doc = _load(f"journey: J\nvalue: {text}\n")
    assert doc.data["value"] == value
    assert type(doc.data["value"]) is type(value)


def test_special_floats() -> None:
    doc = _load("journey: J\na: .inf\nb: -.Inf\nc: .nan\n")
    assert doc.data["a"] == math.inf and doc.data["b"] == -math.inf and math.isnan(doc.data["c"])


def test_the_on_key_of_a_listener_stays_text() -> None:
    doc = _load("journey: J\nlisteners:\n  - on: OrderPlaced\n    yes: 1\n    true: 2\n    1: 3\n")
    assert doc.data["listeners"] == [{"on": "OrderPlaced", "yes": 1, "true": 2, "1": 3}]


def test_duplicate_keys_are_all_reported_and_loading_goes_on() -> None:
    text = "journey: A\njourney: B\nprocesses:\n  - process: P\n    process: Q\n    microservice: m\njourney: C\n"
    doc, problems = load_text(text, "j.yaml")
    assert doc is not None
    assert located(problems) == [("E013", 2, 1), ("E013", 5, 5), ("E013", 7, 1)]
    assert "first at line 1" in problems[0].message
    # the first value is kept, and what follows a duplicate is still read
    assert doc.data == {"journey": "A", "processes": [{"process": "P", "microservice": "m"}]}


def test_duplicate_keys_with_other_problems_are_reported_together(tmp_path: Path) -> None:
    text = MINIMAL.replace("identity: cart_id", "identity: cart_id\n        identity: other").replace(
        "creates: true", "creates: true\n        creates: false\n        emit: [X]"
    )
    path = tmp_path / "j.yaml"
    path.write_text(text, encoding="utf-8")
    result = api.validate([path])
    assert [d.code for d in result.diagnostics] == ["E013", "E013", "E021"], show(result.diagnostics)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_limit_boundary(depth: int) -> None:
    # the top-level mapping is one level: 'depth' more lists make depth + 1
    doc, problems = load_text("journey: J\nd: " + "[" * depth + "]" * depth + "\n", "j.yaml")
    if depth + 1 <= MAX_DEPTH:
        assert doc is not None and not problems
    else:
        assert doc is None and [d.code for d in problems] == ["E007"]


def test_small_aliases_are_fine() -> None:
    doc = _load("journey: J\nstates: &s [open, closed]\nagain: *s\n")
    assert doc.data["again"] == ["open", "closed"]


def test_alias_limit_counts_expanded_values() -> None:
    lines = ["journey: J", "a0: &a0 [" + ", ".join(["x"] * 100) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 100) + "]" for i in range(1, 4)]
    doc, problems = load_text("\n".join(lines) + "\n", "j.yaml")
    assert doc is None and [d.code for d in problems] == ["E008"]
    assert (problems[0].location.line, problems[0].location.col) > (2, 0)


def test_non_utf8_is_located_in_characters() -> None:
    doc, problems = load_bytes("journey: Café\nnote: é".encode() + b"\xe9\n", "j.yaml")
    assert doc is None
    assert located(problems) == [("E003", 2, 8)]
    assert "0xe9" in problems[0].message


def test_bytes_over_the_limit() -> None:
    doc, problems = load_bytes(b"#" * (load.MAX_BYTES + 1), "j.yaml")
    assert doc is None and [d.code for d in problems] == ["E004"]


def test_long_line_is_located() -> None:
    doc, problems = load_text("journey: J\ndescription: " + "x" * load.MAX_LINE + "\n", "j.yaml")
    assert doc is None and located(problems) == [("E005", 2, load.MAX_LINE + 1)]


@pytest.mark.parametrize(
    ("text", "found"),
    [("- a\n", "a list"), ("text\n", "a text"), ("3\n", "a number"), ("true\n", "a boolean"), ("null\n", "null")],
)
def test_top_level_must_be_a_mapping(text: str, found: str) -> None:
    doc, problems = load_text(text, "j.yaml")
    assert doc is None and [d.code for d in problems] == ["E012"]
    assert found in problems[0].message


def test_control_character_is_located_past_non_ascii_text() -> None:
    doc, problems = load_text("journey: Café Crème\nnote: ab\x01c\n", "j.yaml")
    assert doc is None and located(problems) == [("E006", 2, 9)]
    assert "U+0001" in problems[0].message


def test_a_number_too_long_for_python_is_an_error_not_a_crash() -> None:
    doc, problems = load_text("journey: J\nn: " + "7" * 5000 + "\n", "j.yaml")
    assert doc is None and located(problems) == [("E006", 2, 4)]
    assert "quote" in problems[0].hint


@pytest.mark.parametrize(
    ("text", "where", "hint_part"),
    [
        ("journey: J\nx: [a, b\ny: 1\n", (3, 2), "opens at line 2, column 4"),
        ("journey: J\nx: {a: b\ny: 1\n", (3, 2), "close the mapping with '}'"),
        ('journey: "J\n', (1, 10), "close the quote"),
        ("journey: J\nx:\n\ty: 1\n", (3, 1), "spaces"),
        # a type with brackets unquoted in flow style, as the docs warn (go-coffeeshop's transcription did it)
        ("journey: J\nx:\n  fields: {a: int, b: list[Money]}\n", (3, 27), 'quote the type: "list[Money]"'),
        ("journey: J\nx: [a, optional[list[str]]]\n", (2, 16), 'quote the type: "optional[list[str]]"'),
    ],
)
def test_syntax_errors_say_where_and_how_to_fix(text: str, where: tuple[int, int], hint_part: str) -> None:
    doc, problems = load_text(text, "j.yaml")
    assert doc is None and [d.code for d in problems] == ["E006"], show(problems)
    assert (problems[0].location.line, problems[0].location.col) == where, show(problems)
    assert hint_part in problems[0].hint


# -- folders ------------------------------------------------------------------------------


def test_journey_files_order_suffixes_and_hidden_files(tmp_path: Path) -> None:
    for rel in ["b.yaml", "a.yml", "sub/c.yaml", "sub/.hidden.yaml", ".git/x.yaml", "notes.txt", "z.YAML.bak"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("journey: X\n", encoding="utf-8")
    (tmp_path / "folder.yaml").mkdir()  # a folder with a journey's name is not a file
    files, problems = api.journey_files([tmp_path])
    assert not problems
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.yml", "b.yaml", "sub/c.yaml"]


def test_journey_files_keep_the_given_order_and_drop_repeats(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for p in (a, b):
        p.write_text("journey: X\n", encoding="utf-8")
    files, _ = api.journey_files([b, a, b, tmp_path])
    assert files == [b, a]


def test_a_hidden_folder_given_explicitly_is_searched(tmp_path: Path) -> None:
    hidden = tmp_path / ".journeys"
    hidden.mkdir()
    (hidden / "a.yaml").write_text("journey: X\n", encoding="utf-8")
    files, problems = api.journey_files([hidden])
    assert files == [hidden / "a.yaml"] and not problems


def test_a_folder_is_one_model(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(MINIMAL, encoding="utf-8")
    second = MINIMAL.replace("journey: Shopping", "journey: Again")
    (tmp_path / "two.yaml").write_text(second, encoding="utf-8")
    result = api.validate([tmp_path])
    assert result.files == (str(tmp_path / "one.yaml"), str(tmp_path / "two.yaml"))
    # the second file defines the same aggregate, command and event again
    assert sorted({d.code for d in result.diagnostics}) == ["E031"], show(result.diagnostics)
    assert all(d.location.file.endswith("two.yaml") for d in result.diagnostics)
    assert any("one.yaml:" in d.message for d in result.diagnostics)  # another file: named in full


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028"])
def test_errors_found_before_parsing_count_lines_as_the_parser_does(newline: str) -> None:
    text = f"journey: Café{newline}note: a\x01b{newline}"
    _, problems = load_text(text, "j.yaml")
    assert located(problems) == [("E006", 2, 8)]
    raw = f"journey: Café{newline}note: é".encode() + b"\xe9" + newline.encode()
    _, problems = load_bytes(raw, "j.yaml")
    assert located(problems) == [("E003", 2, 8)]


def test_the_parser_counts_the_same_line_breaks() -> None:
    for newline in ["\n", "\r\n", "\r", "\u2028"]:
        doc = _load(f"journey: J{newline}note: x{newline}")
        assert doc.values[("note",)] == (2, 7), repr(newline)
