"""`esp serve` as a person uses it: a real `esp serve` process, a real headless
Chromium, a journey edited and saved while the page is open."""

from __future__ import annotations

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


@pytest.fixture
def journey(tmp_path: Path) -> Path:
    target = tmp_path / "restaurant.yaml"
    shutil.copy(ROOT / "journeys" / "restaurant.yaml", target)
    return target


@pytest.fixture
def board_url(journey: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey)],
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
