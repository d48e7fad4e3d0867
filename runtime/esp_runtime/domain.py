"""Domain errors and the rules every generated aggregate shares."""

from __future__ import annotations

from uuid import UUID, uuid5


class DomainError(Exception):
    """A business rule said no: the command changed nothing."""


class CommandRejected(DomainError):
    """A command was issued while its aggregate was in a state that does not allow it."""

    def __init__(self, command: str, aggregate: str, state: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"{command} is not allowed in state {state!r} of {aggregate}; it is allowed in: {', '.join(allowed)}"
        )
        self.command = command
        self.aggregate = aggregate
        self.state = state
        self.allowed = allowed


def require_state(command: str, aggregate: str, state: str, allowed: tuple[str, ...]) -> None:
    """Reject ``command`` unless the aggregate is in one of the ``allowed`` states."""
    if state not in allowed:
        raise CommandRejected(command, aggregate, state, allowed)


def has_logic(rules: object, method: str | None = None) -> bool:
    """Whether a class of ``rules`` other than the generated ``Hooks`` defines ``method`` (any public method when
    None): business logic you wrote in rules.py, so the tests hold it to the scenarios' values."""
    for cls in type(rules).__mro__:
        if cls.__name__ == "Hooks":
            return False
        found = [name for name in vars(cls) if not name.startswith("_")] if method is None else [method]
        if any(name in vars(cls) for name in found):
            return True
    return False


def listener_id(source_id: UUID, source_version: int, command: str) -> UUID:
    """The id of an aggregate a listener creates: the same event always gives the same id."""
    return uuid5(source_id, f"{command}/{source_version}")


def mentions(text: str, *values: str | None) -> bool:
    """Whether ``text`` is part of one of ``values`` (case aside): how a query's text field selects rows."""
    return any(text.casefold() in v.casefold() for v in values if v is not None)
