"""Who publishes and who receives each integration event: the traffic between
microservices that every exporter describes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from esp import names
from esp.model import Event, Microservice, Model


@dataclass(frozen=True)
class Receipt:
    """``microservice`` hears ``event`` (from another microservice) through ``via``."""

    microservice: Microservice
    event: Event
    via: Literal["listener", "projection", "saga"]
    name: str  # the listener's command, the projection's or the saga's name


def title(model: Model, event: Event) -> str:
    """An event's name for people: qualified by its microservice where another microservice defines the same
    name ('kitchen.Restaurant Created'; integration events are unique by their qualified name)."""
    human = names.human(event.name)
    return f"{event.microservice.name}.{human}" if model.shared(event) else human


def integration_events(model: Model) -> tuple[Event, ...]:
    return tuple(e for e in model.events if e.integration)


def published(model: Model) -> list[tuple[Microservice, tuple[Event, ...]]]:
    """Each microservice that publishes integration events, with those events."""
    events = integration_events(model)
    found = [(ms, tuple(e for e in events if e.microservice is ms)) for ms in model.microservices]
    return [(ms, evs) for ms, evs in found if evs]


def receipts(model: Model) -> list[Receipt]:
    """Every integration event heard in a microservice other than its publisher's,
    in model order (listeners, projections, then sagas), without duplicates."""
    found: list[Receipt] = []
    for li in model.listeners:
        found.append(Receipt(li.microservice, li.on, "listener", li.command.name))
    for pr in model.projections:
        found.extend(Receipt(pr.microservice, e, "projection", pr.name) for e in pr.sources)
    for saga in model.sagas:
        heard = [saga.starts_on]
        for step in saga.steps:
            heard.append(step.succeeds_on)
            if step.fails_on is not None:
                heard.append(step.fails_on)
        found.extend(Receipt(saga.microservice, e, "saga", saga.name) for e in heard)
    return list(dict.fromkeys(r for r in found if r.event.integration and r.event.microservice is not r.microservice))


def received(model: Model) -> list[tuple[Microservice, tuple[Event, ...]]]:
    """Each microservice that hears integration events from others, with those events."""
    heard = receipts(model)
    result = []
    for ms in model.microservices:
        events = tuple(dict.fromkeys(r.event for r in heard if r.microservice is ms))
        if events:
            result.append((ms, events))
    return result
