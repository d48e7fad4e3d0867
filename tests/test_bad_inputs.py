"""The bad-input corpus (tests/bad) and generated hostile inputs: every problem
gets its coded, located diagnostic and exit 1 or 2 from the real CLI, never a
traceback, and memory stays bounded on huge inputs."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BAD, ROOT, Expected, assert_exit, expectations, located, run_esp, show

from esp import api
from esp.codes import CODES
from esp.errors import MAX_SHOWN

CORPUS = sorted(BAD.glob("*.yaml"))
# Cases of `esp validate --generated DIR` (the hand-written rules.py files of a package esp generated): a folder
# holding journey.yaml and out/, the package (its manifest and rules.py files). Each file, a rules.py too (in
# Python comments), starts with the '# expect: CODE line:col' lines of the problems reported in it.
RULE_CASES = sorted(p for p in (BAD / "rules").iterdir() if p.is_dir())

# Codes reached only by the generated inputs below (they cannot be committed
# as files: a missing path, a 30 MB file, a folder with no journeys...).
GENERATED_CODES = {"E001", "E002", "E004", "E005", "E014"}
# Codes of `esp validate --since REV`, which compare with another revision
# (tests/test_diff_cli.py makes them from two versions of a journey).
GENERATED_CODES |= {"E095", "E096", "E097"}
# "And N more" past the cap of 1,000 diagnostics (test_a_file_full_of_problems_stops_at_the_cap).
GENERATED_CODES |= {"E069", "W112"}
# Codes no input can produce. Keep this empty: a code here is dead catalogue.
UNREACHABLE: set[str] = set()

MEMORY_LIMIT_MB = 200
MANY_PROBLEMS_LIMIT_MB = 150  # 190,000 problems: measured 118 MB (the parsed file), 251 MB before the cap


def _fatal(expected: list[Expected]) -> bool:
    return any(CODES[code].fatal for code, _, _ in expected)


def test_the_corpus_is_large_and_every_file_says_what_it_expects() -> None:
    assert len(CORPUS) >= 45
    for path in CORPUS:
        assert expectations(path), f"{path.name} has no '# expect: CODE line:col' header (or .expect sidecar)"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_library_reports_exactly_the_expected_problems(path: Path) -> None:
    result = api.validate([path])
    assert located(result.diagnostics) == expectations(path), show(result.diagnostics)
    for d in result.diagnostics:
        assert d.location.file == str(path)
        assert d.message and d.hint, f"{d.code} needs a message and a hint saying how to fix it: {d}"
        assert "{" not in d.message.replace("{fields}", ""), f"unfilled template: {d.message}"
    assert (result.model is None) == _fatal(expectations(path))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_cli_exits_1_or_2_with_located_messages(path: Path) -> None:
    expected = expectations(path)
    result = run_esp("validate", "--strict", path.name, cwd=BAD)
    assert_exit(result, 2 if _fatal(expected) else 1)
    for code, line, col in expected:
        severity = CODES[code].severity
        assert f"{path.name}:{line}:{col}: {severity} {code}:" in result.stdout, result.stdout


def _case_expectations(case: Path) -> list[tuple[str, str, int, int]]:
    """(file relative to the case, code, line, col) of every '# expect:' line of the case's files."""
    files = [p for p in case.rglob("*") if p.suffix in (".yaml", ".py")]
    return sorted((str(p.relative_to(case)), *e) for p in files for e in expectations(p))


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda p: p.name)
def test_generated_rules_report_exactly_the_expected_problems(case: Path) -> None:
    validation = api.validate([case / "journey.yaml"])
    assert validation.model is not None and not validation.errors, show(validation.diagnostics)
    found = api.check_logic(validation.model, case / "out")
    where = [(str(Path(d.location.file).relative_to(case)), d.code, d.location.line, d.location.col) for d in found]
    assert sorted(where) == _case_expectations(case), show(found)
    assert all(d.message and d.hint and "{" not in d.message for d in found), show(found)
    result = run_esp("validate", "--strict", "journey.yaml", "--generated", "out", cwd=case)
    assert_exit(result, 1)
    for file, code, line, col in _case_expectations(case):
        assert f"{file}:{line}:{col}: {CODES[code].severity} {code}:" in result.stdout, result.stdout


def test_every_code_is_exercised() -> None:
    exercised = {code for path in CORPUS for code, _, _ in expectations(path)} | GENERATED_CODES
    exercised |= {code for case in RULE_CASES for _, code, _, _ in _case_expectations(case)}
    missing = set(CODES) - exercised - UNREACHABLE
    assert not missing, f"codes no bad input produces: {sorted(missing)}"
    assert not UNREACHABLE & exercised


def test_a_python_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    journey = tmp_path / "evil.yaml"
    journey.write_text(f'journey: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    result = api.validate([journey])
    assert located(result.diagnostics) == [("E009", 1, 10)], show(result.diagnostics)
    assert_exit(run_esp("validate", journey), 2)
    assert not marker.exists()
    # the corpus file of the same attack names a fixed path: it must not appear either
    corpus_marker = Path("/tmp/esp-pwned-by-yaml")
    corpus_marker.unlink(missing_ok=True)
    api.validate([BAD / "tag_python_apply.yaml"])
    run_esp("validate", BAD / "tag_python_apply.yaml")
    assert not corpus_marker.exists()


# -- generated inputs --------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = api.validate([missing])
    assert [(d.code, d.location.file) for d in result.diagnostics] == [("E001", str(missing))]
    assert_exit(run_esp("validate", missing), 2)


def test_path_through_a_file(tmp_path: Path) -> None:
    (tmp_path / "journey.yaml").write_text("journey: X\n", encoding="utf-8")
    odd = tmp_path / "journey.yaml" / "inner.yaml"
    result = api.validate([odd])
    assert [d.code for d in result.diagnostics] == ["E002"], show(result.diagnostics)
    assert_exit(run_esp("validate", odd), 2)


def test_folder_without_journeys(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("journey: X\n", encoding="utf-8")
    (tmp_path / ".hidden.yaml").write_text("journey: X\n", encoding="utf-8")
    result = api.validate([tmp_path])
    assert [d.code for d in result.diagnostics] == ["E014"], show(result.diagnostics)
    assert_exit(run_esp("validate", tmp_path), 2)


def _write_big(path: Path, kind: str) -> None:
    """Hostile inputs, written in chunks so the test itself stays small."""
    with path.open("w", encoding="utf-8") as f:
        if kind == "30mb":
            f.write("journey: Huge\nhotspots:\n")
            line = "  - " + "a question nobody asked " * 4 + "\n"
            for _ in range(30 * 1024 * 1024 // len(line) + 1):
                f.write(line)
        elif kind == "2mb-line":
            f.write("journey: Long\ndescription: " + "x" * (2 * 1024 * 1024) + "\n")
        elif kind == "flow-50k-lines":  # each '[' on its own line: short lines, deep nesting
            f.write("journey: Deep\ndescription:\n" + " [\n" * 50_000 + " ]\n" * 50_000)
        elif kind == "flow-50k-one-line":
            f.write("journey: Deep\ndescription: " + "[" * 50_000 + "]" * 50_000 + "\n")
        elif kind == "block-20k":  # '- - - x': a list in a list ..., within the line limit
            f.write("journey: Deep\nhotspots:\n  " + "- " * 20_000 + "x\n")
        elif kind == "block-50k":
            f.write("journey: Deep\nhotspots:\n  " + "- " * 50_000 + "x\n")
        elif kind == "mapping-50k":  # {a: {a: ...}} over many lines
            f.write("journey: Deep\ndescription:\n" + " {a:\n" * 50_000 + " }\n" * 50_000)
        elif kind == "billion-laughs":
            f.write("journey: Laughs\nhotspots:\n  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
            for i in range(1, 10):
                f.write(f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n")
            f.write("description: *a9\n")
        elif kind == "many-values":  # no alias at all, just very many small values
            f.write("journey: Many\nhotspots:\n" + "  - q\n" * 400_000)
        else:
            raise AssertionError(kind)


_PEAK = """
import json, resource, sys
from pathlib import Path
from esp import api
result = api.validate([Path(sys.argv[1])])
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = [[d.code, d.location.line, d.location.col] for d in result.diagnostics]
print(json.dumps({"found": found, "peak_kb": peak_kb}))
"""


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("30mb", "E004"),
        ("2mb-line", "E005"),
        ("flow-50k-lines", "E007"),
        ("flow-50k-one-line", "E005"),
        ("block-20k", "E007"),
        ("block-50k", "E005"),
        ("mapping-50k", "E007"),
        ("billion-laughs", "E008"),
        ("many-values", "E008"),
    ],
)
def test_huge_input_gets_its_error_in_bounded_memory(tmp_path: Path, kind: str, code: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    _write_big(path, kind)
    # peak memory of a fresh process (ru_maxrss counts C allocations too, unlike tracemalloc)
    probe = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    report = json.loads(probe.stdout)
    assert [c for c, _, _ in report["found"]] == [code], report
    if code != "E004":  # located: a line, and a column on it
        assert report["found"][0][1] >= 1 and report["found"][0][2] >= 1, report
    assert report["peak_kb"] < MEMORY_LIMIT_MB * 1024, f"peak {report['peak_kb'] // 1024} MB"
    assert_exit(run_esp("validate", path), 2)


def _write_many_problems(path: Path, kind: str, n: int) -> None:
    """A journey with a problem on each of its ``n`` lines."""
    with path.open("w", encoding="utf-8") as f:
        f.write("journey: Many\n")
        if kind == "unknown-keys":
            f.writelines(f"key{i}: 1\n" for i in range(n))
        elif kind == "duplicate-keys":
            f.write("microservices:\n  a: {}\n" + "  a: {}\n" * n)
        else:
            raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "code"), [("unknown-keys", "E021"), ("duplicate-keys", "E013")])
def test_a_file_full_of_problems_stops_at_the_cap(tmp_path: Path, kind: str, code: str) -> None:
    """190,000 problems: the first 1,000 are worded, the rest counted in one E069, in bounded memory
    (before the cap they took 251 MB and 6.6 s; the time is in docs/performance.md, bench/many_problems.py)."""
    n = 190_000
    path = tmp_path / f"{kind}.yaml"
    _write_many_problems(path, kind, n)
    probe = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    report = json.loads(probe.stdout)
    found = [c for c, _, _ in report["found"]]
    assert found == [code] * MAX_SHOWN + ["E069"], found[-3:]
    assert report["peak_kb"] < MANY_PROBLEMS_LIMIT_MB * 1024, f"peak {report['peak_kb'] // 1024} MB"
    result = run_esp("validate", path)
    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    assert f"error E069: and {n - MAX_SHOWN:,} more problems ({n - MAX_SHOWN:,} of them errors) not shown" in lines[-3]
    assert len([line for line in lines if f" {code}: " in line]) == MAX_SHOWN
    assert lines[-1] == f"1 journey file checked: {n:,} errors, 0 warnings"  # all of them, not the 1,001 shown


def test_warnings_past_the_cap_are_counted_as_warnings(tmp_path: Path) -> None:
    hotspots = "".join(f"  - Question {i}?\n" for i in range(MAX_SHOWN + 5))
    path = tmp_path / "hotspots.yaml"
    path.write_text(f"journey: Open\nhotspots:\n{hotspots}", encoding="utf-8")
    result = api.validate([path])
    assert [d.code for d in result.diagnostics] == ["W106"] * MAX_SHOWN + ["W112"]
    assert result.diagnostics[-1].message == "and 5 more warnings not shown: esp reports the first 1,000 problems"
    assert result.exit_code() == 0
    shown = run_esp("validate", path, "--format", "json")
    assert json.loads(shown.stdout)["summary"] == {"errors": 0, "warnings": MAX_SHOWN + 5, "todos": 0}


# -- no input crashes the pipeline ------------------------------------------------------------------

_SPECIAL = [*b"[]{}:&*!|>'\"%@\t\r\n-?#,~ \\", 0xFF, 0xC3, 0x00, 0x85]
_TOKENS = [
    b"&a ", b"*a", b"!!str ", b"!!binary ", b"!!timestamp ", b"%YAML 1.1\n---\n", b"--- ", b"... ", b"<<: *a\n",
    b"? ", b"\xe2\x80\xa8", b"\xc2\x85", b".inf", b"\t", b"\r", b"{a: [b, {c: d}]}", b"|-\n  x\n", b"!local ",
    b"9" * 5000, b"- - - -", b"on: yes\n",
]  # fmt: skip


def test_mutated_examples_never_crash() -> None:
    """Random byte-level damage to the examples: every outcome is diagnostics, never an exception."""
    from esp import build, check, load, schema

    rng = random.Random(7)
    sources = [p.read_bytes() for p in sorted((ROOT / "journeys").glob("*.yaml"))]
    for _ in range(400):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.4:
                data[i:i] = bytes([rng.choice(_SPECIAL)])
            elif roll < 0.7:
                data[i:i] = rng.choice(_TOKENS)
            elif roll < 0.85:
                del data[i : i + rng.randint(1, 20)]
            else:
                data[i] = rng.choice(_SPECIAL)
        doc, problems = load.load_bytes(bytes(data), "damaged.yaml")
        assert doc is not None or any(d.fatal for d in problems)
        if doc is not None:
            schema.check(doc)
            model, _ = build.build([doc])
            check.check(model)


def test_the_catalogue_is_consistent() -> None:
    for code, info in CODES.items():
        assert re.fullmatch(r"[EW]\d{3}", code), code
        assert info.severity == ("error" if code.startswith("E") else "warning"), code
        assert info.title and info.message, code
        assert info.hint, f"{code} has no hint: say how to fix it (or pass one with '{{hint}}')"
        assert not info.fatal or int(code[1:]) < 20, f"{code}: only reading errors (E001-E019) are fatal"


def test_the_pure_python_parser_gives_the_same_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where PyYAML comes without libyaml, the loader falls back to PyYAML's own parser."""
    import yaml

    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    different = {}
    for path in CORPUS:
        found = located(api.validate([path]).diagnostics)
        if found != expectations(path):
            different[path.name] = found
    assert not different


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/null and /dev/zero")
def test_devices_are_refused_not_read() -> None:
    """A device (an endless stream, or one that blocks) is not a journey: E002, nothing read."""
    result = api.validate([Path("/dev/null"), Path("/dev/zero")])
    assert [(d.code, d.location.file) for d in result.diagnostics] == [("E002", "/dev/null"), ("E002", "/dev/zero")]
    assert all("it is a device, not a regular file" in d.message for d in result.diagnostics)
    assert_exit(run_esp("validate", "/dev/zero"), 2)
