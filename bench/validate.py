"""`esp validate` on the restaurant journey vs `check-jsonschema` with esp's schema.

Both run as whole processes (start-up included, which is what a user or a
pre-commit hook pays), interleaved. Target: esp at most 0.5x check-jsonschema.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench._timing import interleaved, median_ratio, ms

ROOT = Path(__file__).resolve().parent.parent
JOURNEY = ROOT / "journeys" / "restaurant.yaml"
SCHEMA = ROOT / "esp" / "schema" / "journey.schema.json"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    bindir = Path(sys.executable).parent
    commands = {
        "esp validate": [str(bindir / "esp"), "validate", str(JOURNEY)],
        "check-jsonschema": [str(bindir / "check-jsonschema"), "--schemafile", str(SCHEMA), str(JOURNEY)],
    }
    times = interleaved(commands, args.rounds)
    for name, values in times.items():
        print(f"{name:18} median {ms(statistics.median(values)):>10}   min {ms(min(values)):>10}")
    ratio = median_ratio(times["esp validate"], times["check-jsonschema"])
    print(f"ratio esp/check-jsonschema (median of {args.rounds} interleaved rounds): {ratio:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main(sys.argv[1:])
