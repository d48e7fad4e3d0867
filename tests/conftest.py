"""Fixtures shared by the whole suite (keep them generic)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import helpers
import pytest


@pytest.fixture
def journey_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a journey text into the test's folder: ``journey_file(text, name="journey.yaml")``."""

    def make(text: str, name: str = "journey.yaml") -> Path:
        return helpers.write(tmp_path, text, name)

    return make
