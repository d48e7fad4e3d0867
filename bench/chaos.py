"""The chaos test at its larger size: 300 sagas and 20 random SIGKILLs per journey (600 and 40 in all).

    python -m bench chaos [--sagas 300] [--kills 20]

It runs tests/test_chaos.py with ESP_CHAOS_SAGAS and ESP_CHAOS_KILLS, which prints
``chaos: sagas=N processes=P kills=K resumed=R lost=0 duplicated=0`` and the standby's takeover times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench chaos")
    parser.add_argument("--sagas", type=int, default=300, help="per journey")
    parser.add_argument("--kills", type=int, default=20, help="random SIGKILLs per journey, beside the kill points")
    args = parser.parse_args(argv)
    env = {**os.environ, "ESP_CHAOS_SAGAS": str(args.sagas), "ESP_CHAOS_KILLS": str(args.kills)}
    test = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "tests/test_chaos.py"]
    raise SystemExit(subprocess.run(test, cwd=ROOT, env=env, check=False).returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
