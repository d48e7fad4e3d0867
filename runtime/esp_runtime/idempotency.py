"""Idempotency keys: a repeated command request returns its first result and changes nothing.

The first result is an aggregate of the service itself, stored in the same
transaction as the command's events: either both are stored or neither, so a
crash between them cannot leave a command applied without its result (or the
reverse). Its id comes from the command's name and the key, so a concurrent
duplicate fails on the unique (id, version) of the stored events and then finds
the first one's result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = UUID("5b0f7c1e-3d2a-4e8f-9a61-2c7d4b8e0f13")


def request_id(command: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{command}/{key}")


def digest(body: Any) -> str:
    """The request's fingerprint: a key reused with another request is refused, not answered with another's result."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class IdempotentRequest(Aggregate):
    """The first answer to a command request that carried an Idempotency-Key."""

    class Answered(Aggregate.Created):
        command: str
        key: str
        digest: str
        status: int
        body: dict[str, Any]

    def __init__(self, command: str, key: str, digest: str, status: int, body: dict[str, Any]) -> None:
        self.command = command
        self.key = key
        self.digest = digest
        self.status = status
        self.body = body


def answered(command: str, key: str, fingerprint: str, status: int, body: dict[str, Any]) -> IdempotentRequest:
    record: IdempotentRequest = IdempotentRequest._create(
        IdempotentRequest.Answered,
        id=request_id(command, key),
        command=command,
        key=key,
        digest=fingerprint,
        status=status,
        body=body,
    )
    return record
