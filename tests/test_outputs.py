"""Robust outputs: one package per journey (or one named package), all or nothing;
FIFOs and other non-regular files refused, never waited on; no write through a
symbolic link inside an output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import MINIMAL, SAGA, TWO_SERVICES, assert_exit, run_esp, variant
from helpers import write as write_journey

from esp import api
from esp.errors import UserError
from esp.files import OutsideOutput, Staging
from esp.generate import Action, GenerateError, Result, generate, write

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")

# A journey that uses the microservice and aggregate another file defines: it does not stand alone.
DEPENDENT = """\
journey: Checkout
processes:
  - process: Check Out
    microservice: shop
    aggregate: Cart
    actions:
      - command: CheckOutCart
        emits: [CartCheckedOut]
        allowed_in: [open]
    events:
      - event: CartCheckedOut
        enters: open
"""


def _two_journeys(folder: Path) -> Path:
    write_journey(folder, MINIMAL, "shopping.yaml")
    write_journey(folder, SAGA, "trip.yaml")
    return folder


def _files(folder: Path) -> list[str]:
    """The regular files under ``folder`` (symbolic links not followed nor listed)."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# -- one package per journey, or one named package ---------------------------------------------------


def test_a_folder_gives_one_package_per_journey(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_esp("generate", _two_journeys(tmp_path / "journeys"), "-o", out)
    assert_exit(result, 0)
    assert sorted(p.name for p in out.iterdir()) == ["shopping", "trip"]
    assert (out / "shopping" / "shopping" / "__init__.py").is_file()
    assert (out / "trip" / "trip" / "__init__.py").is_file()
    assert not any("shopping_trip" in name or "shopping + trip" in name for name in _files(out))
    assert f"{out / 'shopping'}: " in result.stdout and f"{out / 'trip'}: " in result.stdout


def test_several_journeys_as_one_named_package(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_esp("generate", _two_journeys(tmp_path / "journeys"), "-o", out, "--package", "travel_shop")
    assert_exit(result, 0)
    assert (out / "travel_shop" / "__init__.py").is_file()
    assert not (out / "shopping").exists() and not (out / "trip").exists()


def test_a_journey_that_does_not_stand_alone_needs_a_package_name(tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    write_journey(journeys, MINIMAL, "shopping.yaml")
    write_journey(journeys, DEPENDENT, "checkout.yaml")
    assert_exit(run_esp("validate", journeys), 0)  # together they are one valid model
    out = tmp_path / "out"
    refused = run_esp("generate", journeys, "-o", out)
    assert_exit(refused, 2)
    assert "does not stand alone" in refused.stderr and "--package" in refused.stderr
    assert not out.exists()
    assert_exit(run_esp("generate", journeys, "-o", out, "--package", "shop"), 0)
    assert (out / "shop" / "__init__.py").is_file()


@pytest.mark.parametrize("name", ["json", "Shop", "two words", "class", "9lives"])
def test_an_unusable_package_name_is_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    result = run_esp("generate", _two_journeys(tmp_path / "journeys"), "-o", out, "--package", name)
    assert_exit(result, 2)
    assert "not a usable Python package name" in result.stderr
    assert not out.exists()


def test_the_first_run_says_what_it_created_and_the_second_that_nothing_changed(tmp_path: Path) -> None:
    journey = write_journey(tmp_path, MINIMAL)
    out = tmp_path / "out"
    dry = run_esp("generate", journey, "-o", out, "--dry-run")
    assert_exit(dry, 0)
    first = run_esp("generate", journey, "-o", out)
    assert_exit(first, 0)
    count = len(_files(out))
    assert dry.stdout.splitlines()[-1] == f"{out}: {count} files to create (dry run: nothing written)"
    assert first.stdout.splitlines()[-1] == f"{out}: {count} files created"
    assert "up to date" not in first.stdout
    second = run_esp("generate", journey, "-o", out)
    assert_exit(second, 0)
    assert second.stdout.splitlines() == [f"{out}: up to date"]


# -- all or nothing ------------------------------------------------------------------------------------


def test_a_failure_part_way_writes_nothing_in_any_package(tmp_path: Path) -> None:
    """The second package's last file cannot be written (its name is longer than a
    file system allows): neither package, nor any staging folder, is left."""
    first, second = tmp_path / "a", tmp_path / "b"
    fine = [Action("create", f"pkg/m{i}.py", None, f"x = {i}\n") for i in range(5)]
    too_long = Action("create", "pkg/" + "n" * 300 + ".py", None, "y = 1\n")
    results = [Result(first, list(fine)), Result(second, [*fine, too_long])]
    with pytest.raises(UserError, match="cannot write") as raised:
        write(results)
    assert "nothing was written" in raised.value.hint
    assert _files(first) == [] and _files(second) == []
    assert not any(p.name.startswith(".esp-staging") for p in tmp_path.rglob("*"))
    assert not any(r.written for r in results)


def test_staging_moves_files_into_place_only_on_commit(tmp_path: Path) -> None:
    with Staging(tmp_path / "out") as staging:
        staging.add("a/b.txt", "hello\n")
        assert not (tmp_path / "out" / "a").exists()
        written = staging.commit()
    assert written == [tmp_path / "out" / "a" / "b.txt"]
    assert (tmp_path / "out" / "a" / "b.txt").read_text(encoding="utf-8") == "hello\n"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a"]


def test_a_generation_that_fails_leaves_an_earlier_package_as_it_was(tmp_path: Path) -> None:
    model = api.load_model([write_journey(tmp_path, TWO_SERVICES)])
    out = tmp_path / "out"
    generate(model, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    blocker = next(p for p in sorted(out.rglob("*.py")) if p.name != "rules.py")
    os.unlink(blocker)
    os.mkdir(blocker)  # a folder where a generated file goes: found before anything is written
    changed = variant(TWO_SERVICES, ("journey: Order Food\n", "journey: Order Food\ndescription: Now described.\n"))
    with pytest.raises(GenerateError):
        generate(api.load_model([write_journey(tmp_path, changed)]), out, force=True)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == {p: b for p, b in before.items() if p != blocker}


# -- FIFOs and other non-regular files -----------------------------------------------------------------


def test_a_fifo_journey_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for args in (["validate", fifo], ["validate", fifo, "--format", "json"], ["diagram", fifo, "-f", "dot"]):
        result = run_esp(*args)
        assert_exit(result, 2)
        assert "FIFO" in result.stdout + result.stderr


def test_a_fifo_journey_in_a_folder_is_refused_not_skipped(tmp_path: Path) -> None:
    """A folder's FIFO named like a journey is E002, not passed over as if the folder held one journey fewer."""
    folder = tmp_path / "journeys"
    write_journey(folder, MINIMAL, "shopping.yaml")
    os.mkfifo(folder / "pipe.yaml")
    for args in (["validate", folder], ["generate", folder, "-o", tmp_path / "out"]):
        result = run_esp(*args)
        assert_exit(result, 2)
        assert "pipe.yaml" in result.stdout + result.stderr and "FIFO" in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


def test_a_fifo_pyproject_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pyproject.toml")
    write_journey(tmp_path, MINIMAL)
    result = run_esp("config", cwd=tmp_path)
    assert_exit(result, 2)
    assert "not a regular file" in result.stderr


def test_a_fifo_in_the_output_folder_is_refused_not_waited_on(tmp_path: Path) -> None:
    journey = write_journey(tmp_path, MINIMAL)
    out = tmp_path / "out"
    (out / "shopping").mkdir(parents=True)
    os.mkfifo(out / "shopping" / "__init__.py")
    result = run_esp("generate", journey, "-o", out)
    assert_exit(result, 2)  # unusable input, as a FIFO given to validate (E002)
    assert "FIFO" in result.stderr


def test_a_fifo_template_is_refused_not_waited_on(tmp_path: Path) -> None:
    journey = write_journey(tmp_path, MINIMAL)
    custom = tmp_path / "templates" / "python"
    custom.mkdir(parents=True)
    os.mkfifo(custom / "README.md.j2")
    result = run_esp("generate", journey, "-o", tmp_path / "out", "--templates", tmp_path / "templates")
    assert_exit(result, 2)
    assert "not a regular file" in result.stderr
    assert not (tmp_path / "out").exists()


# -- no write through a symbolic link inside an output folder ----------------------------------------


@pytest.mark.parametrize("link", ["services", "events/OrderPlaced", "eventcatalog.config.js"])
def test_export_eventcatalog_never_writes_through_a_symlink(tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    catalog = tmp_path / "catalog"
    (catalog / link).parent.mkdir(parents=True, exist_ok=True)
    target = outside / "file.js" if link.endswith(".js") else outside
    if link.endswith(".js"):
        target.write_text("// theirs\n", encoding="utf-8")
    (catalog / link).symlink_to(target)
    result = run_esp(
        "export", "eventcatalog", Path(__file__).parent.parent / "journeys" / "restaurant.yaml", "-o", catalog
    )
    assert_exit(result, 2)
    assert "symbolic link" in result.stderr
    assert sorted(p.name for p in outside.iterdir()) == (["file.js"] if link.endswith(".js") else [])
    assert _files(catalog) == []  # all or nothing: not even the files beside the link


def test_inside_refuses_parent_references(tmp_path: Path) -> None:
    with pytest.raises(OutsideOutput):
        Staging(tmp_path).add("../escape.txt", "x")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_the_live_board_refuses_a_fifo_journey_and_keeps_answering(tmp_path: Path) -> None:
    """`esp serve` reads journeys on every poll: a FIFO shows as E002 on the board, never stalls it."""
    import json
    import subprocess
    import sys
    import urllib.request

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(fifo), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = "http" + proc.stdout.readline().split("http", 1)[1].strip().rstrip("/")
        with urllib.request.urlopen(f"{url}/state", timeout=30) as reply:
            state = json.loads(reply.read())
        assert "E002" in json.dumps(state) and "FIFO" in json.dumps(state), state
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
