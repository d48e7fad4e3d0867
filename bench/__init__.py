"""Benchmarks: ratios against a baseline run side by side, never timed tests.

Run one with ``python -m bench.<name>`` (or ``./dev bench <name>``); results
are recorded in docs/performance.md.
"""
