"""The deployment view: one process per microservice and per saga's SEC, and each microservice's HTTP API.

Kept apart from :mod:`esp.generate.context` (which builds the model's view):
this only arranges what that view already resolved into processes, for the
templates of ``deploy.py``, ``<ms>/api.py`` and the ``Procfile``. The process
names come from :mod:`esp.naming` (validate reports two that would clash).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from esp.generate.context import JourneyV, MicroserviceV, ProjectionV, QueryV
from esp.generate.saga import SagaV


@dataclass
class ProjectionUseV:
    """A read model a microservice's API answers queries from: its attribute and the applications it reads."""

    attr: str
    projection: ProjectionV
    apps: list[MicroserviceV]  # in the projection's constructor's order


@dataclass
class ApiV:
    """What one microservice answers over HTTP."""

    microservice: MicroserviceV
    queries: list[QueryV]
    projections: list[ProjectionUseV]
    readers: list[MicroserviceV]  # other microservices whose logs its read models read


@dataclass
class ProcessUnitV:
    """One line of the Procfile: a process name and the application it runs."""

    name: str  # [a-z0-9-]+, as in the Procfile and `run NAME`
    module: str  # the microservice module holding the application
    ref: str  # the application class, as the deploy module imports it (alias.Class)
    api: ApiV | None = None


@dataclass
class DeployV:
    processes: list[ProcessUnitV] = field(default_factory=list)
    by_service: dict[MicroserviceV, ApiV] = field(default_factory=dict)  # each microservice's API, if it has one

    @property
    def apis(self) -> list[ApiV]:
        return [p.api for p in self.processes if p.api is not None]

    def api_of(self, ms: MicroserviceV) -> ApiV | None:
        return self.by_service.get(ms)


def deploy_view(view: JourneyV, sagas: tuple[SagaV, ...]) -> DeployV:
    """The processes of the package, in Procfile order (microservices, then SECs)."""
    deploy = DeployV()
    for ms in view.microservices:
        queries = [q for q in ms.queries if q.projection is not None]
        api = _api(ms, queries) if ms.commands or queries else None
        process = view.names.services[ms.entity].process
        deploy.processes.append(ProcessUnitV(process, ms.module, f"{ms.module}_application.{ms.cls}", api))
        if api is not None:
            deploy.by_service[ms] = api
    for saga in sagas:
        module = saga.microservice.module
        process = view.names.sagas[saga.entity].process
        deploy.processes.append(ProcessUnitV(process, module, f"{module}_sagas.{saga.sec_cls}"))
    return deploy


def _api(ms: MicroserviceV, queries: list[QueryV]) -> ApiV:
    uses: dict[str, ProjectionUseV] = {}
    readers: dict[str, MicroserviceV] = {}
    for q in queries:
        assert q.projection is not None
        p = q.projection
        uses.setdefault(p.attr, ProjectionUseV(p.attr, p, list(p.apps)))
        for app in p.apps:
            if app.module != ms.module:
                readers.setdefault(app.module, app)
    return ApiV(ms, queries, list(uses.values()), list(readers.values()))
