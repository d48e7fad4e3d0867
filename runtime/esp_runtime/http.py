"""The HTTP API of one microservice, on FastAPI and uvicorn.

Each command is a POST (``/commands/<command>``), each query a GET
(``/queries/<query>``), with request and response models from the journey's
fields (the generated command and row dataclasses). OpenAPI is served at
``/openapi.json`` (``/docs`` shows it). A rejected command answers 409, an
aggregate that does not exist 404, invalid input 422, each as
``application/problem+json`` (RFC 9457). ``/health`` says the process is up
and its role; ``/ready`` that its database answers. A command request with an
``Idempotency-Key`` header is applied once: a repeat returns the first result
and changes nothing (see :mod:`esp_runtime.idempotency`).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import threading
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, PersistenceError

from esp_runtime.domain import DomainError
from esp_runtime.idempotency import IdempotentRequest, answered, digest, request_id

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from esp_runtime.deploy import Process
    from esp_runtime.process import Runner, Status

PROBLEM = "application/problem+json"
A = typing.TypeVar("A")


class Reader(typing.Protocol):
    """Opens another microservice's application to read its log (its own process writes it)."""

    def __call__(self, cls: type[A], /) -> A: ...


@dataclass(frozen=True)
class CommandRoute:
    """A command as a POST: ``handle(command, new_id)`` returns the aggregate with its new events, not saved."""

    name: str
    cls: type[Any]
    handle: Callable[[Any, UUID], Any]
    creates: bool
    summary: str = ""


@dataclass(frozen=True)
class QueryRoute:
    """A query as a GET: ``answer(query)`` returns the rows."""

    name: str
    cls: type[Any]
    answer: Callable[[Any], list[Any]]
    row: type[Any]
    summary: str = ""


@dataclass(frozen=True)
class Api:
    """What a microservice answers over HTTP."""

    title: str
    commands: Sequence[CommandRoute] = ()
    queries: Sequence[QueryRoute] = ()
    description: str = ""


def kebab(name: str) -> str:
    """``RequestTrip`` -> ``request-trip``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


_READ_LOCK = threading.Lock()


def read(projection: Any) -> list[Any]:
    """A projection's rows after it caught up (one request at a time: its pull loop keeps positions)."""
    with _READ_LOCK:
        projection.catch_up()
        return list(projection.rows())


# -- answers -----------------------------------------------------------------------------


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    from fastapi.responses import JSONResponse

    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    }


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        404: "No such aggregate",
        409: "Command rejected",
        422: "Invalid request",
        503: "Not ready",
    }
    return {s: {"description": titles[s], "content": {PROBLEM: {"schema": _problem_schema()}}} for s in statuses}


class Result:
    """What a command answered: the aggregate's id and new version."""

    def __init__(self, status: int, body: dict[str, Any], replayed: bool = False) -> None:
        self.status = status
        self.body = body
        self.replayed = replayed


def execute(app: Any, route: CommandRoute, command: Any, key: str | None) -> Result:
    """Run one command: without a key, once per request; with a key, once per key."""
    if key is None:
        return _run(app, route, command, None)
    fingerprint = digest({"command": route.name, "body": dataclasses.asdict(command)})
    first = _first(app, route.name, key)
    if first is not None:
        return _replay(first, fingerprint)
    try:
        return _run(app, route, command, (key, fingerprint))
    except IntegrityError:
        first = _first(app, route.name, key)  # a concurrent request with the same key was stored first
        if first is None:
            raise
        return _replay(first, fingerprint)


def _first(app: Any, command: str, key: str) -> IdempotentRequest | None:
    try:
        record: IdempotentRequest = app.repository.get(request_id(command, key))
    except AggregateNotFoundError:
        return None
    return record


def _replay(first: IdempotentRequest, fingerprint: str) -> Result:
    if first.digest != fingerprint:
        detail = "this Idempotency-Key was used with another request"
        return Result(422, {"type": "about:blank", "title": "Invalid request", "status": 422, "detail": detail})
    return Result(first.status, first.body, replayed=True)


def _run(app: Any, route: CommandRoute, command: Any, keyed: tuple[str, str] | None) -> Result:
    try:
        aggregate = route.handle(command, uuid4())
    except DomainError as error:
        result = Result(409, {"type": "about:blank", "title": "Command rejected", "status": 409, "detail": str(error)})
        if keyed is not None:  # a rejection is a result too: the repeat gets the same answer
            app.save(answered(route.name, *keyed, result.status, result.body))
        return result
    body = {"id": str(aggregate.id), "version": aggregate.version}
    status = 201 if route.creates else 200
    if keyed is None:
        app.save(aggregate)
    else:
        app.save(aggregate, answered(route.name, *keyed, status, body))
    return Result(status, body)


# -- the application ---------------------------------------------------------------------


def make_app(api: Api, app: Any, status: Status | None = None) -> FastAPI:
    """The FastAPI application of one microservice's ``api``, running its commands on ``app``."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError

    web = FastAPI(title=api.title, description=api.description, version="1", responses=_problems(422))
    for route in api.commands:
        _command(web, app, route)
    for query in api.queries:
        _query(web, query)
    _probes(web, app, status)

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in error.errors()]
        return problem(422, "Invalid request", "the request does not match the API's schema", errors=errors)

    @web.exception_handler(AggregateNotFoundError)
    async def not_found(request: Request, error: AggregateNotFoundError) -> JSONResponse:
        return problem(404, "No such aggregate", f"no aggregate with id {error}")

    @web.exception_handler(PersistenceError)
    async def unavailable(request: Request, error: PersistenceError) -> JSONResponse:
        return problem(503, "Not ready", f"the database did not answer: {type(error).__name__}")

    return web


def _command(web: FastAPI, app: Any, route: CommandRoute) -> None:
    from fastapi import Header
    from fastapi.responses import JSONResponse

    def endpoint(command: Any, idempotency_key: str | None = None) -> JSONResponse:
        result = execute(app, route, command, idempotency_key)
        media = PROBLEM if result.status >= 400 else "application/json"
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return JSONResponse(result.body, status_code=result.status, media_type=media, headers=headers)

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("command", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=route.cls),
            inspect.Parameter(
                "idempotency_key",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str | None,
                default=Header(None, alias="Idempotency-Key", max_length=255),
            ),
        ]
    )
    status = 201 if route.creates else 200
    web.post(
        f"/commands/{kebab(route.name)}",
        name=route.name,
        summary=route.summary or _first_line(route.cls.__doc__) or route.name,
        status_code=status,
        response_model=Answer,
        responses=_problems(404, 409, 422, 503) if not route.creates else _problems(409, 422, 503),
        tags=["commands"],
    )(endpoint)


def _query(web: FastAPI, route: QueryRoute) -> None:
    from fastapi import Query

    hints = typing.get_type_hints(route.cls)

    def endpoint(**fields: Any) -> list[Any]:
        return route.answer(route.cls(**fields))

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name], default=Query(...))
            for f in dataclasses.fields(route.cls)
        ]
    )
    web.get(
        f"/queries/{kebab(route.name)}",
        name=route.name,
        summary=route.summary or _first_line(route.cls.__doc__) or route.name,
        response_model=list[route.row],  # type: ignore[name-defined]
        responses=_problems(422, 503),
        tags=["queries"],
    )(endpoint)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0]


def _probes(web: FastAPI, app: Any, status: Status | None) -> None:
    from fastapi.responses import JSONResponse

    @web.get("/health", tags=["probes"], summary="The process is up")
    def health() -> dict[str, Any]:
        if status is None:
            return {"status": "ok", "pid": os.getpid()}
        since = status.active_since
        return {
            "status": "ok",
            "pid": os.getpid(),
            "process": status.process,
            "role": status.role,
            "active_for": round(time.monotonic() - since, 3) if since is not None else None,
        }

    @web.get("/ready", tags=["probes"], summary="The process's database answers", responses=_problems(503))
    def ready() -> Any:
        try:
            app.recorder.max_notification_id()
        except Exception as error:  # any database failure: not ready
            return problem(503, "Not ready", f"the database did not answer: {type(error).__name__}")
        if status is not None and status.role in ("starting", "stopping"):
            return problem(503, "Not ready", f"the process is {status.role}")
        return JSONResponse({"status": "ready", "role": status.role if status else "active"})


@dataclass
class Answer:
    """A command's answer: the aggregate's id and its version after the command."""

    id: UUID
    version: int


# -- serving -----------------------------------------------------------------------------


class Served:
    """A uvicorn server on a thread of the process (the main thread keeps the signals)."""

    def __init__(self, server: Any, thread: threading.Thread, opened: Opened) -> None:
        self.server = server
        self.thread = thread
        self.opened = opened

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.opened.close()


class Opened:
    """A process's FastAPI application over its own application and the readers its read models need."""

    def __init__(self, process: Process, app: Any, env: Mapping[str, str], status: Status | None = None) -> None:
        self.app = app
        self.env = dict(env)
        self.readers: dict[str, Any] = {}
        api = process.api(app, self.reader) if process.api is not None else Api(process.name)
        self.web = make_app(api, app, status)

    def reader(self, cls: type[Any]) -> Any:
        """Another microservice's application, to read its log (never to write: its own process does)."""
        if cls is type(self.app):
            return self.app
        if cls.name not in self.readers:
            self.readers[cls.name] = cls(self.env)
        return self.readers[cls.name]

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.readers.clear()


def serve(runner: Runner, app: Any, host: str, port: int) -> Served:
    """Serve the process's API (or only its probes) on ``host:port``; returns once it listens."""
    import uvicorn

    opened = Opened(runner.process, app, runner.env, runner.status)
    config = uvicorn.Config(opened.web, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the HTTP server did not start on {host}:{port}")
        time.sleep(0.02)
    return Served(server, thread, opened)
