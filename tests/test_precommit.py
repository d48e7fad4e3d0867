"""The pre-commit hooks (.pre-commit-hooks.yaml), run by pre-commit itself in
a scratch git repository: ``pre-commit try-repo`` installs esp from this
repository's HEAD into its own environment, as a user's pre-commit would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from export_helpers import JOURNEYS, ROOT

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

BROKEN_JOURNEY = """\
journey: Broken
processes:
  - process: Nothing
    microservice: nowhere
"""


def _hook(hook_id: str) -> dict[str, object]:
    return next(h for h in HOOKS if h["id"] == hook_id)


def test_the_hook_definitions() -> None:
    assert [h["id"] for h in HOOKS] == ["esp-validate", "esp-generate-check", "esp-diff"]
    validate = _hook("esp-validate")
    assert validate["entry"] == "esp validate"
    assert validate["pass_filenames"] is True
    assert validate["require_serial"] is True  # the files form one model: never split them over processes
    generate = _hook("esp-generate-check")
    assert generate["entry"] == "esp generate --check"
    assert generate["pass_filenames"] is False
    diff = _hook("esp-diff")
    assert diff["entry"] == "esp diff" and diff["args"] == ["HEAD"]  # the staged journeys against HEAD's
    assert diff["pass_filenames"] is False  # the whole model on both sides, never single files
    assert diff["files"] == validate["files"]
    for hook in HOOKS:
        assert hook["language"] == "python"  # pre-commit installs esp itself


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        ("journeys/restaurant.yaml", True),
        ("journeys/sub/trip.yml", True),
        ("services/journeys/a.yaml", True),
        ("config/settings.yaml", False),
        ("journeys/notes.md", False),
        ("myjourneys/a.yaml", False),
    ],
)
def test_the_validate_hook_matches_journey_files(path: str, matched: bool) -> None:
    import re

    assert bool(re.search(str(_hook("esp-validate")["files"]), path)) is matched


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: pre-commit try-repo needs one")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _scratch_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _git(repo, "add", ".")
    return repo


def _try_hook(repo: Path, home: Path, hook_id: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), hook_id, "--ref", "HEAD", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_validate_hook_passes_on_valid_journeys(tmp_path: Path, pre_commit_home: Path) -> None:
    repo = _scratch_repo(
        tmp_path,
        {
            "journeys/restaurant.yaml": (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8"),
            "config/not-a-journey.yaml": "just: [some, settings]\n",  # outside journeys/: not checked
        },
    )
    proc = _try_hook(repo, pre_commit_home, "esp-validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "esp validate" in proc.stdout and "Passed" in proc.stdout


def test_validate_hook_fails_on_an_invalid_journey(tmp_path: Path, pre_commit_home: Path) -> None:
    repo = _scratch_repo(
        tmp_path,
        {
            "journeys/restaurant.yaml": (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8"),
            "journeys/broken.yaml": BROKEN_JOURNEY,
        },
    )
    proc = _try_hook(repo, pre_commit_home, "esp-validate")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "journeys/broken.yaml:" in proc.stdout  # the located diagnostic reaches the user
    assert "Traceback" not in proc.stdout


def _worktree_matches_head(*paths: str) -> bool:
    """pre-commit installs esp from HEAD; the scratch output is made by this checkout."""
    proc = subprocess.run(
        ["git", "status", "--porcelain", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return proc.returncode == 0 and proc.stdout.strip() == ""


def test_generate_check_hook(tmp_path: Path, pre_commit_home: Path) -> None:
    """Up to date: passes; a journey edited without regenerating: fails."""
    repo = _scratch_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.esp]\njourneys = "journeys"\noutput = "generated/restaurant"\n',
            "journeys/restaurant.yaml": (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8"),
        },
    )
    esp = Path(sys.executable).parent / "esp"
    subprocess.run([str(esp), "generate"], cwd=repo, check=True, capture_output=True)
    _git(repo, "add", ".")
    if _worktree_matches_head("esp", "templates"):
        proc = _try_hook(repo, pre_commit_home, "esp-generate-check")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Passed" in proc.stdout
    journey = repo / "journeys" / "restaurant.yaml"
    text = journey.read_text(encoding="utf-8")
    edited = text.replace("during one visit", "during one evening")
    assert edited != text
    journey.write_text(edited, encoding="utf-8")
    _git(repo, "add", ".")
    proc = _try_hook(repo, pre_commit_home, "esp-generate-check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout and "evening" in proc.stdout  # the diff shows what is out of date


def test_diff_hook(tmp_path: Path, pre_commit_home: Path) -> None:
    """A compatible change passes; a field removed from an integration event fails, saying why."""
    if not _worktree_matches_head("esp", "pyproject.toml"):
        pytest.skip("pre-commit installs esp from HEAD, and this checkout's esp differs from it")
    evolution = ROOT / "tests" / "data" / "evolution"
    repo = _scratch_repo(tmp_path, {"journeys/restaurant.yaml": (evolution / "v1" / "restaurant.yaml").read_text()})
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "-m", "v1")
    journey = repo / "journeys" / "restaurant.yaml"
    journey.write_text(
        journey.read_text().replace("states: [queued, prepared, served]", "states: [queued, prepared, served, binned]")
    )
    _git(repo, "add", ".")
    proc = _try_hook(repo, pre_commit_home, "esp-diff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
    journey.write_text((evolution / "v2" / "restaurant.yaml").read_text())
    _git(repo, "add", ".")
    proc = _try_hook(repo, pre_commit_home, "esp-diff")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "journeys/restaurant.yaml:" in proc.stdout and "breaking: event TableClosed" in proc.stdout
