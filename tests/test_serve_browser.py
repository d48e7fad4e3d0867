"""`esp serve` as a person uses it: a real `esp serve` process, a real headless
Chromium, a journey edited and saved while the page is open."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER and shutil.which("dot")):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium, chromium-driver and graphviz: ./dev setup installs them")
    pytest.skip("needs chromium, chromium-driver and graphviz (./dev setup installs them)", allow_module_level=True)

from selenium import webdriver  # noqa: E402 - only once we know a browser is there
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def journey(tmp_path: Path) -> Path:
    target = tmp_path / "restaurant.yaml"
    shutil.copy(ROOT / "journeys" / "restaurant.yaml", target)
    return target


@pytest.fixture
def board_url(journey: Path) -> Iterator[str]:
    yield from running_board(journey)


def running_board(journey: Path, *options: str, cwd: Path | None = None) -> Iterator[str]:
    """A real `esp serve` process on ``journey`` (relative to ``cwd``); its link while it runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey), *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, line
    yield line[line.index("http://") :].strip()
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


def new_browser(profile: Path) -> webdriver.Chrome:
    """Headless Chromium with the flags this closed network needs (no background calls home)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = new_browser(tmp_path / "profile")
    yield driver
    driver.quit()


def wait_until(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def drawing_text(browser: webdriver.Chrome) -> str:
    return " ".join(browser.find_element(By.ID, "drawing").text.split())


def test_board_shows_the_map_and_follows_edits(browser: webdriver.Chrome, board_url: str, journey: Path) -> None:
    browser.get(board_url)
    wait_until(lambda: "Table" in drawing_text(browser), "the ESP map")
    shown = drawing_text(browser)
    for lane in ("Actions", "Events", "Aggregate"):
        assert lane in shown, lane
    for sticky in ("Open Table", "Dining Order", "Kitchen Ticket", "Food Menu", "Kitchen"):
        assert sticky in shown, sticky
    views = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#views button")]
    assert views == ["esp", "flow", "context", "saga", "aggregate"]
    hotspots = browser.find_element(By.ID, "hotspots").text
    assert "re-open" in hotspots

    # Save a change: the page redraws without a reload.
    browser.execute_script("window.notReloaded = true")
    journey.write_text(journey.read_text(encoding="utf-8").replace("TableOpened", "TableTaken"), encoding="utf-8")
    wait_until(lambda: "Table Taken" in drawing_text(browser), "the redrawn map")
    assert browser.execute_script("return window.notReloaded") is True

    # Break the YAML mid-edit: the last good drawing stays, the errors show.
    journey.write_text(journey.read_text(encoding="utf-8").replace("states: [open,", "states: [open"), encoding="utf-8")
    wait_until(lambda: "error" in browser.find_element(By.ID, "status").text, "the error status")
    assert "Table Taken" in drawing_text(browser)
    assert "E0" in browser.find_element(By.ID, "problems").text

    # Switch views.
    browser.find_element(By.XPATH, "//nav[@id='views']/button[text()='context']").click()
    wait_until(
        lambda: "Kitchen" in drawing_text(browser) and "Open Table" not in drawing_text(browser), "the context map"
    )

    ARTIFACTS.mkdir(exist_ok=True)
    browser.find_element(By.XPATH, "//nav[@id='views']/button[text()='esp']").click()
    wait_until(lambda: "Open Table" in drawing_text(browser), "the ESP map again")
    browser.save_screenshot(str(ARTIFACTS / "serve-board.png"))


def test_several_browsers_watch_at_once(
    board_url: str, journey: Path, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    browser.get(board_url)
    second = new_browser(tmp_path / "second-profile")
    try:
        second.get(board_url)
        for page in (browser, second):
            wait_until(lambda p=page: "Open Table" in drawing_text(p), "the map")
        journey.write_text(journey.read_text(encoding="utf-8").replace("OpenTable", "SeatGuests"), encoding="utf-8")
        for page in (browser, second):
            wait_until(lambda p=page: "Seat Guests" in drawing_text(p), "the redrawn map")
    finally:
        second.quit()


# -- editing from the board (esp serve --edit), two participants at once ---------------------------


@pytest.fixture
def edit_url(journey: Path) -> Iterator[str]:
    """A board with editing on, started as the docs show it: from the project, on journeys/<name>."""
    (journey.parent / "journeys").mkdir()
    journey.rename(journey.parent / "journeys" / journey.name)
    journey.symlink_to(Path("journeys") / journey.name)  # the test reads and checks the file by its old name
    yield from running_board(Path("journeys") / journey.name, "--edit", cwd=journey.parent)


def join(page: webdriver.Chrome, url: str, name: str) -> None:
    page.get(url)
    wait_until(lambda: "Open Table" in drawing_text(page), "the map")
    page.find_element(By.ID, "join-name").send_keys(name, Keys.ENTER)
    wait_until(lambda: page.find_element(By.ID, "who-name").text == name, "the display name")


def add(page: webdriver.Chrome, shortcut: str, name: str, **fields: str) -> None:
    """Add a sticky as a facilitator does: a key opens the form, Enter sends it."""
    page.find_element(By.TAG_NAME, "body").send_keys(shortcut)
    wait_until(lambda: page.find_element(By.ID, "f-name").is_displayed(), "the form")
    for field_id, value in fields.items():
        element = page.find_element(By.ID, f"f-{field_id}")
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.send_keys(value)
    page.find_element(By.ID, "f-name").send_keys(name, Keys.ENTER)
    wait_until(lambda: "added" in message(page), f"{name} added")


def show(page: webdriver.Chrome, sticky: str) -> None:
    """Scroll the map so ``sticky`` is in the middle of the window (for the screenshots)."""
    page.execute_script(
        "const t = [...document.querySelectorAll('#drawing svg text')].find(t => t.textContent === arguments[0]);"
        "t.scrollIntoView({block: 'center'});",
        sticky,
    )


def message(page: webdriver.Chrome) -> str:
    return str(page.find_element(By.ID, "message").text)


def added_item(page: webdriver.Chrome, kind: str, name: str) -> WebElement:
    return page.find_element(By.CSS_SELECTOR, f"#added li[data-kind='{kind}'][data-name='{name}']")


def test_two_participants_edit_the_journey_together(
    edit_url: str, journey: Path, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    original = journey.read_text(encoding="utf-8")
    ana, ben = browser, new_browser(tmp_path / "ben")
    try:
        join(ana, edit_url, "Ana")
        join(ben, edit_url, "Ben")

        # Each addition shows in the other browser without a reload.
        add(ana, "e", "DishRated", process="Dine")
        wait_until(lambda: "Dish Rated" in drawing_text(ben), "Ana's event in Ben's browser")
        add(ben, "c", "RateDish", process="Dine", emits="DishRated")
        wait_until(lambda: "Rate Dish" in drawing_text(ana), "Ben's command in Ana's browser")
        ARTIFACTS.mkdir(exist_ok=True)
        ana.find_element(By.TAG_NAME, "body").send_keys("h")
        ana.find_element(By.ID, "f-about").send_keys("RateDish")
        ana.find_element(By.ID, "f-name").send_keys("Who may rate a dish?")
        ana.save_screenshot(str(ARTIFACTS / "workshop-add.png"))
        ana.find_element(By.ID, "f-name").send_keys(Keys.ENTER)
        wait_until(lambda: "Who may rate a dish?" in ben.find_element(By.ID, "hotspots").text, "the hotspot")
        show(ben, "Rate Dish")
        ben.save_screenshot(str(ARTIFACTS / "workshop-board.png"))

        # The file on disk: the three stickies, every other line as it was.
        saved = journey.read_text(encoding="utf-8")
        for written in ("- event: DishRated", "- command: RateDish", "emits: [DishRated]", "'Who may rate a dish?'"):
            assert written in saved, written
        assert only_insertions(original, saved)
        log = ana.find_element(By.ID, "log").text
        assert "Ana added event DishRated to Dine" in log and "Ben added command RateDish to Dine" in log

        # Undo the last change (the hotspot): gone from the file and from both boards.
        ana.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE, "u")
        wait_until(lambda: "Who may rate" not in ben.find_element(By.ID, "hotspots").text, "the undo in Ben's browser")
        assert "Who may rate" not in journey.read_text(encoding="utf-8")
        assert "undid: added hotspot" in ana.find_element(By.ID, "log").text

        # A conflict: Ben starts renaming the event, Ana renames it first; Ben is told, nothing is lost.
        added_item(ben, "event", "DishRated").find_element(By.CSS_SELECTOR, "button.rename").click()
        field = ben.find_element(By.CSS_SELECTOR, "#added input.rename-field")
        added_item(ana, "event", "DishRated").find_element(By.CSS_SELECTOR, "button.rename").click()
        ana_field = ana.find_element(By.CSS_SELECTOR, "#added input.rename-field")
        ana_field.send_keys(Keys.CONTROL, "a")
        ana_field.send_keys("DishReviewed", Keys.ENTER)
        wait_until(lambda: "Dish Reviewed" in drawing_text(ben), "Ana's rename in Ben's browser")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("DishScored", Keys.ENTER)
        wait_until(lambda: "Conflict" in message(ben), "the conflict")
        assert "changed since you began: Ana renamed event DishRated to DishReviewed" in message(ben)
        show(ben, "Dish Reviewed")
        ben.save_screenshot(str(ARTIFACTS / "workshop-conflict.png"))
        saved = journey.read_text(encoding="utf-8")
        assert "event: DishReviewed" in saved and "emits: [DishReviewed]" in saved and "DishScored" not in saved
        assert only_insertions(original, saved)
    finally:
        ben.quit()


def only_insertions(before: str, after: str) -> bool:
    """Whether ``after`` is ``before`` with lines inserted: every original line kept, byte for byte, in order."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(keepends=True), b=after.splitlines(keepends=True))
    return all(op in ("equal", "insert") for op, *_ in matcher.get_opcodes())


# -- a big map: a change in one row is one page fetched again ----------------------------------------


def test_a_change_in_one_row_of_a_big_map_refetches_only_its_page(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The 70-row map comes in three pages of 25 rows; after a change in row 31 (another
    participant's), the page asks for the drawing's list of pages and fetches page 2 alone,
    and pages 1 and 3 stay in the document as they were (the same elements)."""
    import json
    import urllib.request

    from bench.diagram import journey_yaml

    journey = tmp_path / "big.yaml"
    journey.write_text(journey_yaml(70), encoding="utf-8")
    board = running_board(journey, "--edit")
    url = next(board)
    try:
        browser.get(url)
        wait_until(
            lambda: bool(browser.execute_script("return document.getElementById('drawing').dataset.version")),
            "the map",
            120,
        )
        pages = "[...document.querySelectorAll('#drawing > svg > svg')]"
        before = browser.execute_script(f"return {pages}.map(p => p.dataset.etag)")
        assert len(before) == 3
        browser.execute_script(
            f"performance.clearResourceTimings(); {pages}.forEach(p => {{ p.dataset.kept = 'yes'; }})"
        )

        with urllib.request.urlopen(url + "state") as response:
            base = json.load(response)["version"]
        change = {"action": "add", "kind": "event", "name": "CaseNoted", "who": "Ana", "base": base}
        request = urllib.request.Request(
            url + "change",
            data=json.dumps({**change, "details": {"process": "Handle Case 30"}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            version = json.load(response)["version"]
        wait_until(
            lambda: (
                int(browser.execute_script("return Number(document.getElementById('drawing').dataset.version)"))
                >= version
            ),
            "the change on the page",
            120,
        )
        after = browser.execute_script(f"return {pages}.map(p => [p.dataset.etag, p.dataset.kept || ''])")
        assert [etag == old for (etag, _), old in zip(after, before, strict=True)] == [True, False, True]
        assert [kept for _, kept in after] == ["yes", "", "yes"]  # pages 1 and 3: the same elements, untouched
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
            ".filter(p => p.startsWith('/view/'))"
        )
        assert fetched == ["/view/esp.json", f"/view/esp/{after[1][0]}.svg"]
        assert "Case Noted" in drawing_text(browser)
    finally:
        next(board, None)  # stops the board
