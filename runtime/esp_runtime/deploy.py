"""What a deployment is made of: its processes, their databases and the environment each one reads.

A generated package describes its processes (one per microservice, one per
saga's SEC) with a :class:`Deployment`; everything else is derived from its
eventsourcing ``System`` (who follows whom) and the environment:

- ``<PROCESS>_DATABASE_URL`` (``TRIPS_DATABASE_URL``, ``BOOK_TRIP_SAGA_DATABASE_URL``)
  names one process's database, ``postgresql://user:password@host:port/dbname``,
  with ``?schema=NAME`` for a schema in it;
- else ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432``): a
  server without a database gives one database per process, named
  ``<prefix>_<process>``; a URL with a database gives one schema per process
  in it. The prefix is ``ESP_DATABASE_PREFIX``, else the package's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from eventsourcing.application import Application
from eventsourcing.system import System

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"


def env_prefix(name: str) -> str:
    """``travel-payments`` -> ``TRAVEL_PAYMENTS``, ``BookTripSaga`` -> ``BOOK_TRIP_SAGA``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").upper()


@dataclass(frozen=True)
class Database:
    """Where one process keeps its events: a database, or a schema in one."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str = ""

    def env(self, app_name: str) -> dict[str, str]:
        """The eventsourcing settings of application ``app_name`` in this database (prefixed by its name)."""
        prefix = app_name.upper()
        env = {
            f"{prefix}_POSTGRES_HOST": self.host,
            f"{prefix}_POSTGRES_PORT": str(self.port),
            f"{prefix}_POSTGRES_USER": self.user,
            f"{prefix}_POSTGRES_PASSWORD": self.password,
            f"{prefix}_POSTGRES_DBNAME": self.dbname,
        }
        if self.schema:
            env[f"{prefix}_POSTGRES_SCHEMA"] = self.schema
        return env

    def connect_kwargs(self, dbname: str | None = None) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": dbname or self.dbname,
        }

    def __str__(self) -> str:
        where = f"{self.user}@{self.host}:{self.port}/{self.dbname}"
        return f"{where} schema {self.schema}" if self.schema else where


def parse_url(url: str) -> tuple[Database, bool]:
    """A database from ``postgresql://user:password@host:port/dbname?schema=NAME``; whether it named a database."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL (postgresql://...): {url!r}")
    dbname = unquote(parts.path.lstrip("/"))
    schema = parse_qs(parts.query).get("schema", [""])[0]
    database = Database(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
    )
    return database, bool(dbname)


@dataclass(frozen=True)
class Process:
    """One OS process of the deployment: a microservice's application, or a saga's SEC."""

    name: str  # as in the Procfile: a microservice's name, or <saga>-saga
    app: type[Application[Any]]
    api: Callable[..., Any] | None = None  # builds the HTTP routes (esp_runtime.http), if it has commands or queries
    readers: tuple[type[Application[Any]], ...] = ()  # other applications its queries read


@dataclass(frozen=True)
class Deployment:
    """The processes of one generated package and the System that says who follows whom."""

    package: str
    system: System
    processes: tuple[Process, ...]
    port: int = 8000  # the first process's HTTP port under `up`; the next ones count on
    owners: dict[str, Process] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "owners", {p.app.name: p for p in self.processes})

    def process(self, name: str) -> Process:
        for process in self.processes:
            if process.name == name:
                return process
        known = ", ".join(p.name for p in self.processes)
        raise KeyError(f"no process {name!r} in {self.package}: its processes are {known}")

    def upstreams(self, process: Process) -> list[type[Application[Any]]]:
        """The applications whose notification logs this process follows."""
        leaders = self.system.follows.get(process.app.name, [])
        return [self.system.get_app_cls(name) for name in leaders]

    def owner(self, app: type[Application[Any]]) -> Process:
        return self.owners[app.name]

    def database(self, process: Process, environ: Mapping[str, str] | None = None) -> Database:
        """Where ``process`` keeps its events (see the module's docstring)."""
        environ = os.environ if environ is None else environ
        own = environ.get(f"{env_prefix(process.name)}_DATABASE_URL")
        if own:
            return parse_url(own)[0]
        server, named = parse_url(environ.get("DATABASE_URL") or DEFAULT_SERVER)
        prefix = environ.get("ESP_DATABASE_PREFIX") or self.package
        slug = f"{prefix}_{env_prefix(process.name).lower()}"
        if named:  # one database: a schema per process
            return Database(server.host, server.port, server.user, server.password, server.dbname, slug)
        return Database(server.host, server.port, server.user, server.password, slug)

    def env(self, process: Process, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The eventsourcing environment of ``process``: its own database, its upstreams' and readers' (read-only)."""
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres"}
        env.update(self.database(process, environ).env(process.app.name))
        # Few connections: a PostgreSQL server has 100 by default for every process of every service.
        env[f"{process.app.name.upper()}_POSTGRES_POOL_SIZE"] = "1"
        env[f"{process.app.name.upper()}_POSTGRES_MAX_OVERFLOW"] = "7"
        for other in {*self.upstreams(process), *process.readers} - {process.app}:
            env.update(self.database(self.owner(other), environ).env(other.name))
            # never create another service's tables: wait for its own process to
            env[f"{other.name.upper()}_CREATE_TABLE"] = "false"
            # one connection for LISTEN, one for the selects that follow a NOTIFY
            env[f"{other.name.upper()}_POSTGRES_POOL_SIZE"] = "1"
            env[f"{other.name.upper()}_POSTGRES_MAX_OVERFLOW"] = "1"
        return env

    def procfile(self) -> str:
        """A Procfile: one line per process (honcho, foreman, Heroku-like platforms read it)."""
        run = f"python -m {self.package} run"
        lines = [
            f"{p.name}: {run} {p.name} --host 0.0.0.0 --port ${{PORT:-{self.port + i}}}"
            for i, p in enumerate(self.processes)
        ]
        return "\n".join(lines) + "\n"
