"""esp-runtime: what every package esp generates runs on.

The names here are the stable surface generated code imports; the Saga
Execution Container is in :mod:`esp_runtime.saga`, one process per
microservice in :mod:`esp_runtime.process`, the HTTP API in
:mod:`esp_runtime.http`.
"""

from esp_runtime.domain import CommandRejected, DomainError, has_logic, listener_id, mentions, require_state
from esp_runtime.integration import IntegrationEvent
from esp_runtime.persistence import memory_env, postgres_env, sqlite_env
from esp_runtime.service import DateAsISO, Service, ValueObjectAsDict, events_of, react, react_each, store

__version__ = "0.1.0"

__all__ = [
    "CommandRejected",
    "DateAsISO",
    "DomainError",
    "IntegrationEvent",
    "Service",
    "ValueObjectAsDict",
    "__version__",
    "events_of",
    "has_logic",
    "listener_id",
    "memory_env",
    "mentions",
    "postgres_env",
    "react",
    "react_each",
    "require_state",
    "sqlite_env",
    "store",
]
