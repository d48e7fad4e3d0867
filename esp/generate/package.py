"""The whole view the templates render: the model's views (esp.generate.context), its sagas
(esp.generate.saga) and its deployment (esp.generate.deploy), each derived once, on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from esp.generate.context import JourneyV, MicroserviceV
from esp.generate.deploy import DeployV, deploy_view
from esp.generate.player import PlayerV
from esp.generate.saga import SagaPartV, SagaV, parts
from esp.model import Microservice, Model
from esp.naming import naming


@dataclass(frozen=True, eq=False)
class PackageV(JourneyV):
    @cached_property
    def saga_views(self) -> tuple[SagaV, ...]:
        return tuple(SagaV(self, s) for s in self.model.sagas)

    @cached_property
    def saga_parts(self) -> dict[Microservice, SagaPartV]:
        return parts(self.saga_views)

    @property
    def saga_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_sagas.py reads: UTC, datetime and timedelta (its clock), UUID (a
        run's journal), and its sagas' (SagaV.tests_stdlib)."""
        return frozenset({"UTC", "UUID", "datetime", "timedelta"}).union(*(s.tests_stdlib for s in self.saga_views))

    def saga_part(self, ms: MicroserviceV) -> SagaPartV | None:
        """What a microservice does for the sagas (None: nothing)."""
        return self.saga_parts.get(ms.entity)

    @cached_property
    def player(self) -> PlayerV:
        """What ``python -m <package>`` plays: the scenarios, each saga's runs, walks through the rest."""
        return PlayerV(self, self.saga_views)

    @cached_property
    def deploy(self) -> DeployV:
        """Its processes (one per microservice and per saga's SEC) and each microservice's HTTP API."""
        return deploy_view(self, self.saga_views)


def build(model: Model, package: str | None = None) -> PackageV:
    """The template view of ``model``, rendered as the Python package ``package`` (default: from its name)."""
    return PackageV(model, naming(model, package))
