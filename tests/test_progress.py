"""esp.progress: a bar on a terminal, silence when piped."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from esp.progress import enabled, progress, track


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "ESP_PROGRESS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_piped_output_gets_no_bar() -> None:
    stream = io.StringIO()
    assert list(track(range(5), "drawing", stream=stream)) == [0, 1, 2, 3, 4]
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_bar() -> None:
    stream = FakeTerminal()
    assert enabled(stream)
    assert list(track(["a", "b", "c"], "generating", stream=stream)) == ["a", "b", "c"]
    assert "generating" in stream.getvalue()


def test_generators_have_no_total() -> None:
    stream = FakeTerminal()
    assert list(track((i for i in range(3)), "counting", stream=stream)) == [0, 1, 2]
    assert "counting" in stream.getvalue()


@pytest.mark.parametrize(("name", "value"), [("CI", "true"), ("ESP_PROGRESS", "0"), ("TERM", "dumb")])
def test_quiet_where_a_bar_would_be_noise(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    stream = FakeTerminal()
    assert not enabled(stream)
    with progress(3, "quiet", stream=stream) as advance:
        advance(3)
    assert stream.getvalue() == ""


def test_show_forces_a_bar_anywhere() -> None:
    stream = io.StringIO()
    with progress(2, "forced", stream=stream, show=True) as advance:
        advance(2)
    assert "forced" in stream.getvalue()


def test_a_quiet_run_does_not_import_rich() -> None:
    code = "import sys, io\nfrom esp.progress import track\nlist(track([1, 2], 'x', stream=io.StringIO()))\n"
    code += "print('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
