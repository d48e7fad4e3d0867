"""One process per microservice on PostgreSQL: ``python -m <package> run <process>``.

A process owns one application (a microservice, or a saga's SEC) in its own
database or schema, creates its tables on start, and follows its upstreams'
notification logs in their databases with eventsourcing's subscriptions
(LISTEN/NOTIFY plus a catch-up select; the tracking record is written in the
same transaction as the effect). Only one process follows for a service: it
holds a PostgreSQL advisory lock on its own database, and a second one (a
standby) waits on that lock and takes over when the active one dies.

Time runs inside the process: the SEC's timeouts and retries, and a
microservice's timers (esp_runtime.timers), are moved on by the clock of its
main loop (``tick`` every ``ESP_TICK_SECONDS``, 0.2 s by default), and every follower nudges its upstreams now and
then (a NOTIFY), which covers an event committed before LISTEN was
registered. SIGTERM stops it gracefully; anything unexpected ends it with a
non-zero exit, and ``up`` (or the platform) starts it again: let it crash.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application
from eventsourcing.projection import BaseProjectionRunner

from esp_runtime.deploy import Database, Deployment, Process

logger = logging.getLogger("esp_runtime.process")

TICK = 0.2  # seconds between two ticks of the clock (a SEC's timeouts, a microservice's timers); ESP_TICK_SECONDS
NUDGE = 1.0  # seconds between two nudges of the upstreams
LOCK_POLL = 0.1  # seconds between two tries of a standby for the lock


def lock_key(app_name: str) -> int:
    """The advisory lock of the consumer of ``app_name``: a stable 32-bit number (lock space 0x45535000 'ESP')."""
    return zlib.crc32(f"esp-consumer/{app_name}".encode())


def ensure_database(database: Database) -> None:
    """Create the process's database (or schema) if it is missing: a fresh machine needs nothing done by hand."""
    import psycopg
    from psycopg import sql

    if database.schema:
        with psycopg.connect(**database.connect_kwargs(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(database.schema)))
        return
    with psycopg.connect(**database.connect_kwargs("postgres"), autocommit=True, connect_timeout=10) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database.dbname,)).fetchone()
        if found is None:
            with suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.dbname)))


def tick_interval(env: Mapping[str, str]) -> float:
    """The seconds between two ticks: ``ESP_TICK_SECONDS`` if it is a positive number, else ``TICK``."""
    try:
        seconds = float(env.get("ESP_TICK_SECONDS", TICK))
    except ValueError:
        return TICK
    return seconds if seconds > 0 else TICK


class ConsumerLock:
    """The advisory lock that makes one process the active consumer of a service (held by its connection)."""

    def __init__(self, database: Database, app_name: str) -> None:
        self.database = database
        self.key = lock_key(app_name)
        self.conn: Any = None

    def try_acquire(self) -> bool:
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(**self.database.connect_kwargs(), autocommit=True, connect_timeout=10)
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row and row[0])

    def alive(self) -> bool:
        """Whether the connection that holds the lock is still there (else the lock is gone with it)."""
        try:
            self.conn.execute("SELECT 1")
        except Exception:  # any failure of the connection means the lock may be lost
            return False
        return True

    def release(self) -> None:
        if self.conn is not None:
            with suppress(Exception):
                self.conn.close()
            self.conn = None


@dataclass
class Status:
    """What /health and /ready report."""

    process: str
    role: str = "starting"  # starting | standby | active | stopping
    upstreams: dict[str, int] = field(default_factory=dict)  # upstream -> position processed
    started: float = field(default_factory=time.monotonic)
    active_since: float | None = None


class Runner:
    """Runs one process of a deployment until SIGTERM (or a failure, which ends it with exit status 1)."""

    def __init__(self, deployment: Deployment, name: str, environ: dict[str, str] | None = None) -> None:
        self.deployment = deployment
        self.process: Process = deployment.process(name)
        self.env = deployment.env(self.process, environ)
        self.database = deployment.database(self.process, environ)
        self.status = Status(self.process.name)
        self.stopping = threading.Event()
        self.app: Any = None
        self.runners: list[BaseProjectionRunner[Any]] = []
        self.lock = ConsumerLock(self.database, self.process.app.name)
        self.failure: BaseException | None = None
        self.interval = tick_interval(os.environ if environ is None else environ)

    # -- start-up --

    def open(self) -> Any:
        """Create the database if needed, then the application (which creates its tables)."""
        ensure_database(self.database)
        self.app = self.process.app(self.env)
        return self.app

    def become_active(self) -> bool:
        """Wait for the consumer lock (a standby waits here); False if stopped first."""
        self.status.role = "standby"
        while not self.stopping.is_set():
            if self.lock.try_acquire():
                self.status.role = "active"
                self.status.active_since = time.monotonic()
                return True
            self.stopping.wait(LOCK_POLL)
        return False

    def follow(self) -> int:
        """Follow every upstream: one subscription each, sharing the application and its tracking records.

        A SEC first reads its journal again for the unfinished runs (another process may have started
        some while this one stood by); it returns how many there are.
        """
        resumed = 0
        if hasattr(self.app, "resume"):
            with self.app.processing_lock:
                resumed = int(self.app.resume())
        for upstream in self.deployment.upstreams(self.process):
            self._wait_for_tables(upstream)
            runner: BaseProjectionRunner[Any] = BaseProjectionRunner(
                projection=self.app,
                application_class=upstream,
                tracking_recorder=self.app.recorder,
                topics=self.app.topics,
                env=self.env,
            )
            self.runners.append(runner)
        return resumed

    def _wait_for_tables(self, upstream: type[Application[Any]]) -> None:
        """An upstream's tables are created by its own process: wait until they are there."""
        waited = False
        while not self.stopping.is_set():
            reader = upstream(self.env)
            try:
                reader.recorder.max_notification_id()
                return
            except Exception as error:  # no database or no table yet
                if not waited:
                    logger.info("%s: waiting for %s's tables (%s)", self.process.name, upstream.name, error)
                    waited = True
            finally:
                reader.close()
            self.stopping.wait(0.5)

    # -- while it runs --

    def tick(self) -> None:
        """The clock: a SEC times out steps and starts retries that are due, a microservice issues the commands
        of its timers that are due (under the processing lock)."""
        if hasattr(self.app, "tick"):
            with self.app.processing_lock:
                self.app.tick()

    def nudge(self) -> None:
        """NOTIFY each upstream's channel: an event committed before LISTEN was registered is read now."""
        from psycopg import sql

        for runner in self.runners:
            recorder: Any = runner.app.recorder
            with recorder.datastore.transaction(commit=True) as curs:
                curs.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(recorder.channel_name)))

    def check(self) -> None:
        """Raise if a subscription died or the lock's connection is gone."""
        for runner in self.runners:
            if runner.is_interrupted.is_set() and not self.stopping.is_set():
                error = runner._thread_error  # the library keeps the processing thread's error here
                raise RuntimeError(f"following {runner.app_name} stopped: {error!r}")
        if self.status.role == "active" and not self.lock.alive():
            raise RuntimeError("the consumer lock's connection was lost")

    def positions(self) -> dict[str, int]:
        recorder = self.app.recorder
        return {r.app_name: recorder.max_tracking_id(r.app_name) or 0 for r in self.runners}

    def loop(self) -> None:
        """Tick, nudge and check until stopped."""
        last_nudge = 0.0
        while not self.stopping.wait(self.interval):
            self.check()
            self.tick()
            if time.monotonic() - last_nudge >= NUDGE:
                self.nudge()
                last_nudge = time.monotonic()

    # -- stopping --

    def close(self) -> None:
        self.status.role = "stopping"
        for runner in self.runners:
            with suppress(Exception):
                runner.stop()
        for runner in self.runners:
            with suppress(Exception):
                runner.__exit__(None, None, None)
        self.runners.clear()
        self.lock.release()
        if self.app is not None:
            self.app.close()


@contextmanager
def signals(stopping: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stopping``: the process finishes what it is doing and exits 0."""

    def stop(signum: int, frame: object) -> None:
        logger.info("signal %d: stopping", signum)
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run(
    deployment: Deployment,
    name: str,
    port: int | None = None,
    host: str = "127.0.0.1",
    on_ready: Callable[[Runner], None] | None = None,
) -> int:
    """Run process ``name`` until SIGTERM; the exit status (0: stopped, 1: failed)."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s", stream=sys.stderr)
    runner = Runner(deployment, name)
    server = None
    with signals(runner.stopping):
        try:
            app = runner.open()
            if port is not None:
                from esp_runtime.http import serve

                server = serve(runner, app, host, port)
            if runner.become_active():
                logger.info("active: following %s", ", ".join(u.name for u in deployment.upstreams(runner.process)))
                resumed = runner.follow()
                if on_ready is not None:
                    on_ready(runner)
                print(f"active {name} resumed={resumed}", flush=True)
                runner.loop()
        except Exception as error:  # let it crash: the supervisor starts it again
            logger.exception("failed: %s", error)
            runner.failure = error
        finally:
            if server is not None:
                server.stop()
            runner.close()
    return 1 if runner.failure is not None else 0
