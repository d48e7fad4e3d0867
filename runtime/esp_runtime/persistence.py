"""Persistence settings: the environment the eventsourcing library reads (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def memory_env() -> dict[str, str]:
    """Everything in memory: for tests."""
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def sqlite_env(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """One SQLite file per microservice in ``folder`` (their table names are the same)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite"}
    for name in names:
        env[f"{name.upper()}_SQLITE_DBNAME"] = str(folder / f"{name.lower()}.sqlite")
    return env


def postgres_env(schema: str = "", environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """PostgreSQL from the POSTGRES_* variables (defaults: database test on 127.0.0.1:5432, user postgres)."""
    environ = os.environ if environ is None else environ
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": environ.get("POSTGRES_DBNAME", "test"),
        "POSTGRES_HOST": environ.get("POSTGRES_HOST", "127.0.0.1"),
        "POSTGRES_PORT": environ.get("POSTGRES_PORT", "5432"),
        "POSTGRES_USER": environ.get("POSTGRES_USER", "postgres"),
        "POSTGRES_PASSWORD": environ.get("POSTGRES_PASSWORD", ""),
        # one connection kept open per application (more are opened when needed): a server has 100 in all
        "POSTGRES_POOL_SIZE": environ.get("POSTGRES_POOL_SIZE", "1"),
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env
