"""Every semantic rule of esp.check: a small model that breaks it, and one that
keeps it (often the same journey with one line changed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import MINIMAL, ROOT, SAGA, TIMED, TWO_SERVICES, codes, show, validate_text, variant, write

from esp import api, build, check
from esp.check import RULES
from esp.errors import MAX_SHOWN, Diagnostic
from esp.model import Model

Rule = Callable[[Model], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Case:
    id: str
    rule: Rule
    text: str
    expected: tuple[str, ...]  # the codes this rule reports; () for a model that keeps it


def _rule_codes(tmp_path: Path, case: Case) -> list[str]:
    result = validate_text(tmp_path, case.text)
    assert result.model is not None, show(result.diagnostics)
    found = list(case.rule(result.model))
    return codes(found)


M, T, S = MINIMAL, TWO_SERVICES, SAGA
# Two microservices that each declare an Address (order.Address is generated as OrderAddress) and a journey type
# of that class name.
_COLLIDE = (ROOT / "tests" / "bad" / "type_context_classes_collide.yaml").read_text(encoding="utf-8")
# Two value objects, one holding the other.
_TYPES = """\
types:
  Money:
    fields: {amount: decimal, currency: str}
  Line:
    fields: {sku: str, quantity: int, price: Money}
"""
_EXTRA_COMMAND = "    events:"  # insert actions before the events lane of MINIMAL


def _cmd(text: str) -> tuple[str, str]:
    return (_EXTRA_COMMAND, text + "    events:")


def _event(text: str) -> tuple[str, str]:
    return ("        enters: open\n", "        enters: open\n" + text)


# CartOpened at version 3: customer renamed to client, then items added.
_OPENED_V3 = """\
        version: 3
        fields: {client: str, items: int}
        history:
          - version: 2
            renamed: {customer: client}
          - version: 3
            added: {items: 0}
"""


_REPEATED_LISTENER = "  - on: OrderPlaced\n    in: kitchen\n    command: QueueTicket\n"


# A second listener on OrderPlaced, to AddDish on a Ticket that exists (so it needs the ticket's id).
_ADD_DISH = (
    ("        enters: queued\n", "        enters: queued\n      - event: DishAdded\n        fields: {dish: str}\n"),
    (
        "        creates: true\n    events:\n      - event: TicketQueued",
        "        creates: true\n      - command: AddDish\n        fields: {dish: str}\n"
        "        emits: [DishAdded]\n        allowed_in: [queued]\n    events:\n      - event: TicketQueued",
    ),
    (
        "    command: QueueTicket\n",
        "    command: QueueTicket\n  - on: OrderPlaced\n    in: kitchen\n    command: AddDish\n",
    ),
)

# Carts found by keys: a price change reaches every cart holding the item, a held item closes its customer's cart.
K = (ROOT / "tests" / "data" / "keyed-carts.yaml").read_text(encoding="utf-8")
_BY = "    by: customer_id\n"
_OPENED = "        fields: {customer_id: uuid, item_id: uuid}\n        enters: open"
_HELD = "        fields: {customer_id: uuid}\nlisteners:"
_FOR_EACH = "    for_each: item_id\n"

# A listener that closes the cart that was just opened: a command on the aggregate that recorded the event.
_CLOSE_ON_OPEN = (
    ("states: [open]", "states: [open, closed]"),
    _cmd("      - command: CloseCart\n        emits: [CartClosed]\n        allowed_in: [open]\n"),
    (
        "        enters: open\n",
        "        enters: open\n      - event: CartClosed\n        enters: closed\n"
        "listeners:\n  - on: CartOpened\n    in: shop\n    command: CloseCart\n",
    ),
)


def _release_step(extra: str) -> str:
    """SAGA with a step after the pivot that releases the seat step 1 made (a step on an existing aggregate)."""
    step = "      - step: Release\n        invoke: ReleaseSeat\n" + extra
    step += "        succeeds_on: SeatReleased\n        retriable: true\n"
    return variant(S, ("    completes_with: TripBooked", step + "    completes_with: TripBooked"))


_TIMED = TIMED
_CUSTOMER = """\
  - process: Visit
    microservice: shop
    aggregate: Customer
    actions:
      - command: Enter
        emits: [CustomerEntered]
        creates: true
      - command: Leave
        emits: [CustomerLeft]
    events:
      - event: CustomerEntered
      - event: CustomerLeft
"""


CASES = [
    # names_become_distinct_classes
    Case("classes-clean", check.names_fit_the_generated_code, M, ()),
    Case(
        "classes-collide",
        check.names_fit_the_generated_code,
        variant(M, _cmd("      - command: Open Cart\n        emits: [CartOpened]\n        creates: true\n")),
        ("E032",),
    ),
    Case(
        "classes-builtin",
        check.names_fit_the_generated_code,
        variant(M, ("      Cart:", "      Exception:"), ("aggregate: Cart", "aggregate: Exception")),
        ("E033",),
    ),
    Case(
        "classes-keyword",
        check.names_fit_the_generated_code,
        variant(M, _event("      - event: None\n"), ("emits: [CartOpened]", "emits: [CartOpened, None]")),
        ("E033",),
    ),
    Case(
        "class-of-many-short-words",  # 38 characters, its method 'ab_cd_..._kl' 56: past MAX_SNAKE
        check.names_fit_the_generated_code,
        variant(M, _event("      - event: AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKl\n")),
        ("E171",),
    ),
    Case(
        "modules-collide",
        check.names_fit_the_generated_code,
        variant(M, ("microservices:\n", "microservices:\n  Shop: {}\n")),
        ("E032",),
    ),
    Case(
        "same-name-different-kinds-is-fine",
        check.names_fit_the_generated_code,
        variant(M, _cmd("      - query: Cart Opened\n        projection: Carts\n"))
        + "projections:\n  - projection: Carts\n    in: shop\n    from: [CartOpened]\n",
        (),
    ),
    # fields_become_distinct_names
    Case("fields-clean", check.names_fit_the_generated_code, T, ()),
    Case(
        "fields-reserved",
        check.names_fit_the_generated_code,
        variant(M, ("        enters: open\n", "        fields: {originator_id: uuid}\n        enters: open\n")),
        ("W110",),  # renamed originator_id_ in the code
    ),
    Case(
        "fields-keyword",
        check.names_fit_the_generated_code,
        variant(
            M, ("        emits: [CartOpened]", "        fields: {class: str, match: str}\n        emits: [CartOpened]")
        ),
        ("W108", "W108"),  # 'match' is a soft keyword
    ),
    Case(
        "field-type",  # a soft keyword since Python 3.12: warned on 3.11 too, as the code is the same
        check.names_fit_the_generated_code,
        variant(M, ("        emits: [CartOpened]", "        fields: {type: str}\n        emits: [CartOpened]")),
        ("W108",),
    ),
    Case(
        "fields-collide",
        check.names_fit_the_generated_code,
        variant(
            M,
            (
                "        emits: [CartOpened]",
                "        fields: {cart-size: int, cart_size: int}\n        emits: [CartOpened]",
            ),
        ),
        ("E032",),
    ),
    # naming_conventions
    # value_objects
    Case(
        "types-nested-in-lists-and-optionals",
        check.value_objects,
        variant(
            M,
            ("microservices:", _TYPES + "microservices:"),
            (
                "        emits: [CartOpened]",
                "        fields: {lines: 'list[Line]', note: 'optional[Money]'}\n        emits: [CartOpened]",
            ),
            (
                "        enters: open",
                "        fields: {lines: 'list[Line]', note: 'optional[Money]'}\n        enters: open",
            ),
        ),
        (),
    ),
    Case("types-unused", check.value_objects, variant(M, ("microservices:", _TYPES + "microservices:")), ("W120",)),
    Case(
        "types-named-like-a-builtin",
        check.value_objects,
        variant(
            M,
            ("microservices:", "types:\n  Exception:\n    fields: {why: str}\nmicroservices:"),
            ("        emits: [CartOpened]", "        fields: {why: Exception}\n        emits: [CartOpened]"),
            ("        enters: open", "        fields: {why: Exception}\n        enters: open"),
        ),
        ("E192",),
    ),
    Case("types-classes-collide", check.value_objects, _COLLIDE, ("E250",)),
    Case(
        "types-of-two-contexts-stay-apart",
        check.value_objects,
        variant(_COLLIDE, ("  OrderAddress:\n", "  CourierAddress:\n"), ("{to: OrderAddress}", "{to: CourierAddress}")),
        (),
    ),
    Case("naming-clean", check.naming_conventions, S, ()),
    Case(
        "naming-irregular-and-eed-past-tenses",
        check.naming_conventions,
        M.replace("CartOpened", "CartPaid"),
        (),
    ),
    Case(
        "naming-agreed-is-past",
        check.naming_conventions,
        M.replace("CartOpened", "TermsAgreed"),
        (),
    ),
    Case("naming-event-present", check.naming_conventions, M.replace("CartOpened", "CartOpen"), ("W103",)),
    Case("naming-event-feed", check.naming_conventions, M.replace("CartOpened", "NewsFeed"), ("W103",)),
    Case("naming-command-past", check.naming_conventions, M.replace("OpenCart", "CartStarted"), ("W104",)),
    # commands_emit
    Case("emit-clean", check.commands_emit, T, ()),
    Case(
        "emit-nothing",
        check.commands_emit,
        variant(M, _cmd("      - command: EmptyCart\n        allowed_in: [open]\n")),
        ("E050",),
    ),
    Case(
        "emit-other-aggregate",
        check.commands_emit,
        variant(T, ("emits: [OrderPlaced]", "emits: [OrderPlaced, TicketQueued]")),
        ("E052",),
    ),
    Case(
        "emit-creates-with-states",
        check.commands_emit,
        variant(M, ("creates: true", "creates: true\n        allowed_in: [open]")),
        ("E056",),
    ),
    # events_carry_their_id_once
    Case("id-once-clean", check.events_carry_their_id_once, T, ()),
    Case(
        "id-once-field",
        check.events_carry_their_id_once,
        variant(M, ("      - event: CartOpened\n", "      - event: CartOpened\n        fields: {cart_id: uuid}\n")),
        ("E051",),
    ),
    # events_are_produced
    Case("produced-clean-saga-events-count", check.events_are_produced, S, ()),
    Case(
        "produced-missing", check.events_are_produced, variant(M, _event("      - event: CartAbandoned\n")), ("W100",)
    ),
    # domain_events_stay_home
    Case("home-clean", check.domain_events_stay_home, T, ()),
    Case("home-listener", check.domain_events_stay_home, variant(T, ("        kind: integration\n", "")), ("E053",)),
    Case(
        "home-projection",
        check.domain_events_stay_home,
        T + "projections:\n  - projection: Orders\n    in: kitchen\n    from: [OrderOpened]\n",
        ("E053",),
    ),
    Case(
        "home-saga-step",
        check.domain_events_stay_home,
        variant(S, ("      - event: SeatReserved\n        kind: integration\n", "      - event: SeatReserved\n")),
        ("E053",),
    ),
    Case(
        "home-same-microservice-is-fine",
        check.domain_events_stay_home,
        T + "projections:\n  - projection: Orders\n    in: dining\n    from: [OrderOpened]\n",
        (),
    ),
    # integration_events_are_heard
    Case("heard-clean", check.integration_events_are_heard, T, ()),
    Case(
        "heard-by-a-projection",
        check.integration_events_are_heard,
        variant(T, ("listeners:\n  - on: OrderPlaced\n    in: kitchen\n    command: QueueTicket\n", ""))
        + "projections:\n  - projection: Orders\n    in: kitchen\n    from: [OrderPlaced]\n",
        (),
    ),
    Case(
        "heard-by-the-sec-as-a-compensation-answer",
        check.integration_events_are_heard,
        variant(S, ("      - event: SeatReleased\n", "      - event: SeatReleased\n        kind: integration\n")),
        (),
    ),
    Case(
        "heard-nobody",
        check.integration_events_are_heard,
        variant(T, ("listeners:\n  - on: OrderPlaced\n    in: kitchen\n    command: QueueTicket\n", "")),
        ("W101",),
    ),
    # lifecycle
    Case("lifecycle-clean", check.lifecycle, T, ()),
    Case("lifecycle-clean-saga-enters-states", check.lifecycle, S, ()),
    Case(
        "lifecycle-state-never-entered",
        check.lifecycle,
        variant(M, ("states: [open]", "states: [open, closed]")),
        ("W102",),
    ),
    Case("lifecycle-never-created", check.lifecycle, variant(M, ("\n        creates: true", "")), ("E057",)),
    Case(
        "lifecycle-command-never-allowed",
        check.lifecycle,
        variant(
            M,
            ("states: [open]", "states: [open, closed]"),
            _cmd("      - command: CloseCart\n        emits: [CartClosed]\n        allowed_in: [closed]\n"),
            _event("      - event: CartClosed\n        enters: closed\n"),
        ),
        ("E055",),
    ),
    Case(
        "lifecycle-state-reached-through-another-command",
        check.lifecycle,
        variant(
            M,
            ("states: [open]", "states: [open, closed]"),
            _cmd(
                "      - command: CloseCart\n        emits: [CartClosed]\n        allowed_in: [open]\n"
                "      - command: ArchiveCart\n        emits: [CartArchived]\n        allowed_in: [closed]\n"
            ),
            _event("      - event: CartClosed\n        enters: closed\n      - event: CartArchived\n"),
        ),
        (),
    ),
    # creation_events_are_distinct
    Case("creation-clean", check.creation_events_are_distinct, T, ()),
    Case(
        "creation-reused",
        check.creation_events_are_distinct,
        variant(M, _cmd("      - command: ReopenCart\n        emits: [CartOpened]\n        allowed_in: [open]\n")),
        ("E062",),
    ),
    # listeners_are_distinct
    Case("listeners-distinct", check.listeners_are_distinct, T, ()),
    Case(
        "listener-repeated",
        check.listeners_are_distinct,
        variant(T, ("    command: QueueTicket\n", "    command: QueueTicket\n" + _REPEATED_LISTENER)),
        ("E260",),
    ),
    Case(
        "listeners-on-one-event-two-commands",
        check.listeners_are_distinct,
        variant(T, *_ADD_DISH),
        (),
    ),
    # listeners_can_issue
    Case("issue-clean-identity-is-available", check.listeners_can_issue, T, ()),
    Case(
        "issue-field-missing",
        check.listeners_can_issue,
        variant(
            T,
            (
                "fields: {order_id: uuid, dish: str}\n        emits",
                "fields: {order_id: uuid, dish: str, table: int}\n        emits",
            ),
        ),
        ("E059",),
    ),
    Case(
        "issue-optional-field-may-be-missing",
        check.listeners_can_issue,
        variant(
            T,
            (
                "fields: {order_id: uuid, dish: str}\n        emits",
                "fields: {order_id: uuid, dish: str, note: 'optional[str]'}\n        emits",
            ),
        ),
        (),
    ),
    Case(
        "issue-field-mapped",
        check.listeners_can_issue,
        variant(
            T,
            (
                "fields: {order_id: uuid, dish: str}\n        emits",
                "fields: {order_id: uuid, meal: str}\n        emits",
            ),
            ("    command: QueueTicket\n", "    command: QueueTicket\n    map: {meal: dish}\n"),
        ),
        (),
    ),
    Case(
        "issue-field-type",
        check.listeners_can_issue,
        variant(
            T,
            ("fields: {order_id: uuid, dish: str}\n        emits", "fields: {order_id: str, dish: str}\n        emits"),
        ),
        ("E065",),  # the order's id is a uuid
    ),
    Case(
        "issue-mapped-field-type",
        check.listeners_can_issue,
        variant(
            T,
            (
                "fields: {order_id: uuid, dish: str}\n        emits",
                "fields: {order_id: uuid, meal: int}\n        emits",
            ),
            ("    command: QueueTicket\n", "    command: QueueTicket\n    map: {meal: dish}\n"),
        ),
        ("E065",),
    ),
    Case(
        "issue-types-that-fit",
        check.listeners_can_issue,
        variant(
            T,
            (
                "        fields: {dish: str}\n        enters: placed",
                "        fields: {dish: str, seats: int}\n        enters: placed",
            ),
            (
                "fields: {order_id: uuid, dish: str}\n        emits",
                "fields: {order_id: 'optional[uuid]', dish: 'optional[str]', seats: decimal}\n        emits",
            ),
        ),
        (),  # a value fills an optional field of its type, and an int widens to decimal
    ),
    Case(
        "issue-target-unknown",
        check.listeners_can_issue,
        variant(
            T,
            (
                "        enters: queued\n",
                "        enters: queued\n      - event: DishAdded\n        fields: {dish: str}\n",
            ),
            (
                "        creates: true\n    events:\n      - event: TicketQueued",
                "        creates: true\n      - command: AddDish\n        fields: {dish: str}\n"
                "        emits: [DishAdded]\n        allowed_in: [queued]\n    events:\n      - event: TicketQueued",
            ),
            (
                "    command: QueueTicket\n",
                "    command: QueueTicket\n  - on: OrderPlaced\n    in: kitchen\n    command: AddDish\n",
            ),
        ),
        ("E060",),
    ),
    Case(
        "issue-target-by-the-id-of-another-aggregate",
        check.listeners_can_issue,
        variant(T, *_ADD_DISH, ("    command: AddDish\n", "    command: AddDish\n    target: order_id\n")),
        ("E067",),
    ),
    Case(
        "issue-target-by-a-field-that-is-no-id",
        check.listeners_can_issue,
        variant(
            T,
            *_ADD_DISH,
            ("    command: AddDish\n", "    command: AddDish\n    target: dish\n"),
        ),
        ("E067",),
    ),
    Case(
        "issue-target-by-a-uuid-field",
        check.listeners_can_issue,
        variant(
            T,
            *_ADD_DISH,
            (
                "        fields: {dish: str}\n        enters: placed",
                "        fields: {dish: str, ticket: uuid}\n        enters: placed",
            ),
            ("    command: AddDish\n", "    command: AddDish\n    target: ticket\n"),
        ),
        (),
    ),
    Case(
        "issue-on-its-own-aggregate",
        check.listeners_can_issue,
        variant(M, *_CLOSE_ON_OPEN),
        (),
    ),
    Case(
        "issue-on-its-own-aggregate-in-a-state-not-allowed",
        check.listeners_can_issue,
        variant(M, *_CLOSE_ON_OPEN, ("        allowed_in: [open]\n", "        allowed_in: [closed]\n")),
        ("E068",),
    ),
    # keys_are_recorded, keys_find_aggregates
    Case("keys-recorded", check.keys_are_recorded, K, ()),
    Case(
        "keys-not-recorded-at-creation",
        check.keys_are_recorded,
        variant(K, (_OPENED, _OPENED.replace(", item_id: uuid", ""))),
        ("E180",),
    ),
    Case(
        "keys-of-a-type-no-key-holds",
        check.keys_are_recorded,
        variant(K, (_OPENED, _OPENED.replace("item_id: uuid", 'item_id: "list[uuid]"'))),
        ("E181",),
    ),
    Case("keys-find", check.keys_find_aggregates, K, ()),
    Case(
        "keys-find-by-an-unknown-key",
        check.keys_find_aggregates,
        variant(K, (_FOR_EACH, "    for_each: itemid\n")),
        ("E182",),
    ),
    Case(
        "keys-find-one-by-a-key-many-hold",
        check.keys_find_aggregates,
        variant(K, (_FOR_EACH, "    by: item_id\n")),
        ("E183",),
    ),
    Case(
        "keys-find-by-a-key-the-event-lacks",
        check.keys_find_aggregates,
        variant(K, ("  - on: ItemHeld\n", "  - on: ItemRepriced\n")),
        ("E184",),
    ),
    Case(
        "keys-find-by-a-key-of-another-type",
        check.keys_find_aggregates,
        variant(K, (_HELD, _HELD.replace("uuid", "str"))),
        ("E185",),
    ),
    Case(
        "keys-find-by-a-key-and-a-target",
        check.keys_find_aggregates,
        variant(K, (_BY, _BY + "    target: customer_id\n")),
        ("E186",),
    ),
    # keys_are_released
    Case("keys-released", check.keys_are_released, K, ()),
    Case(
        "keys-released-unknown",
        check.keys_are_released,
        variant(K, ("        releases: [item_id]\n", "        releases: [item_id, customer]\n")),
        ("E240",),
    ),
    Case(
        "keys-released-by-an-event-without-it",
        check.keys_are_released,
        variant(K, ("        releases: [item_id]\n", "        releases: [customer_id]\n")),
        ("E241",),
    ),
    # listeners_do_not_loop
    Case("loop-clean", check.listeners_do_not_loop, T, ()),
    Case(
        "loop-two-listeners",
        check.listeners_do_not_loop,
        variant(
            T,
            (
                "        fields: {order_id: uuid, dish: str}\n        enters: queued",
                "        kind: integration\n        fields: {order_id: uuid, dish: str}\n        enters: queued",
            ),
            (
                "    command: QueueTicket\n",
                "    command: QueueTicket\n  - on: TicketQueued\n    in: dining\n    command: PlaceOrder\n",
            ),
        ),
        ("E058",),  # one cycle, reported once although both listeners start it
    ),
    # aggregates_come_to_exist
    Case("exist-clean", check.aggregates_come_to_exist, T, ()),
    Case("exist-clean-saga", check.aggregates_come_to_exist, S, ()),
    Case(
        "exist-only-by-a-listener-on-its-own-event",
        check.aggregates_come_to_exist,
        variant(
            T,
            (
                "    command: QueueTicket\n",
                "    command: QueueTicket\n  - on: OrderPlaced\n    in: dining\n    command: OpenOrder\n",
            ),
        ),
        ("E251",),  # Order, and Ticket that only Order's event creates: one diagnostic
    ),
    Case(
        "exist-only-by-a-saga-on-its-own-event",
        check.aggregates_come_to_exist,
        variant(S, ("    starts_on: TripRequested\n", "    starts_on: SeatReserved\n")),
        ("E251",),
    ),
    Case(
        "exist-in-a-listener-cycle",
        check.aggregates_come_to_exist,
        variant(
            T,
            (
                "        fields: {table: int}\n        enters: open",
                "        kind: integration\n        fields: {table: int}\n        enters: open",
            ),
            (
                "    command: QueueTicket\n",
                "    command: QueueTicket\n  - on: OrderOpened\n    in: kitchen\n    command: QueueTicket\n"
                "  - on: TicketQueued\n    in: dining\n    command: OpenOrder\n",
            ),
        ),
        (),  # E058 says it: one mistake, one diagnostic
    ),
    # scenarios_fit
    Case("scenario-clean", check.scenarios_fit, T, ()),
    Case(
        "scenario-value-object-lacks-a-field",
        check.scenarios_fit,
        variant(
            M,
            ("microservices:", _TYPES + "microservices:"),
            ("        emits: [CartOpened]", "        fields: {price: Money}\n        emits: [CartOpened]"),
            ("        enters: open", "        fields: {price: Money}\n        enters: open"),
        )
        + "scenarios:\n  - scenario: s\n    aggregate: Cart\n    when:\n      OpenCart: {price: {amount: 1}}\n"
        + "    then:\n      - CartOpened: {price: {amount: 1, currency: EUR}}\n",
        ("E196",),
    ),
    Case(
        "scenario-other-aggregate",
        check.scenarios_fit,
        T.replace(
            "    when:\n      PlaceOrder: {dish: soup}",
            "    when:\n      QueueTicket: {order_id: 0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11, dish: soup}",
        ).replace(
            "      - OrderPlaced: {dish: soup}\n",
            "      - TicketQueued: {order_id: 0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11, dish: soup}\n",
        ),
        ("E070", "E070"),  # the command and the event it records both belong to Ticket
    ),
    Case(
        "scenario-unknown-field",
        check.scenarios_fit,
        T.replace("PlaceOrder: {dish: soup}", "PlaceOrder: {dish: soup, size: 2}"),
        ("E071",),
    ),
    Case(
        "scenario-missing-field",
        check.scenarios_fit,
        T.replace("- OrderOpened: {table: 4}", "- OrderOpened: {}"),
        ("E072",),
    ),
    Case(
        "scenario-then-may-omit-fields",
        check.scenarios_fit,
        T.replace("- OrderPlaced: {dish: soup}", "- OrderPlaced: {}"),
        (),
    ),
    Case(
        "scenario-expects-another-value-than-the-command-copies",
        check.scenarios_fit,
        T.replace("- OrderPlaced: {dish: soup}", "- OrderPlaced: {dish: ''}"),
        ("E177",),
    ),
    Case(
        "scenario-value-type",
        check.scenarios_fit,
        T.replace("- OrderOpened: {table: 4}", "- OrderOpened: {table: four}"),
        ("E073",),
    ),
    Case(
        "scenario-uuid-fits",
        check.scenarios_fit,
        T
        + "  - scenario: a ticket is queued\n    aggregate: Ticket\n    when:\n"
        + "      QueueTicket: {order_id: 0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11, dish: soup}\n"
        + "    then:\n      - TicketQueued: {order_id: 0b7c2f6e-8d1a-4d8e-9a59-3c1f3e0c9a11, dish: soup}\n",
        (),
    ),
    Case(
        "scenario-impossible-outcome",
        check.scenarios_fit,
        T.replace("      - OrderPlaced: {dish: soup}\n", "      - OrderOpened: {table: 4}\n"),
        ("E074",),
    ),
    Case(
        "scenario-rejected",
        check.scenarios_fit,
        variant(
            T,
            (
                "      - OrderOpened: {table: 4}\n",
                "      - OrderOpened: {table: 4}\n      - OrderPlaced: {dish: tea}\n",
            ),
            ("    then:\n      - OrderPlaced: {dish: soup}\n", "    then: rejected\n"),
        ),
        (),
    ),
    Case(
        "scenario-rejected-where-allowed",
        check.scenarios_fit,
        T.replace("    then:\n      - OrderPlaced: {dish: soup}\n", "    then: rejected\n"),
        ("E170",),
    ),
    Case(
        "scenario-rejected-by-a-rule-where-allowed",
        check.scenarios_fit,
        T.replace("    then:\n      - OrderPlaced: {dish: soup}\n", "    then:\n      rejected: no soup today\n"),
        (),
    ),
    Case(
        "scenario-rejected-by-a-rule-where-the-lifecycle-rejects",
        check.scenarios_fit,
        variant(
            T,
            (
                "      - OrderOpened: {table: 4}\n",
                "      - OrderOpened: {table: 4}\n      - OrderPlaced: {dish: tea}\n",
            ),
            ("    then:\n      - OrderPlaced: {dish: soup}\n", "    then: {rejected: no soup today}\n"),
        ),
        ("E170",),
    ),
    Case(
        "scenario-events-where-rejected",
        check.scenarios_fit,
        T.replace(
            "      - OrderOpened: {table: 4}\n", "      - OrderOpened: {table: 4}\n      - OrderPlaced: {dish: tea}\n"
        ),
        ("E170",),
    ),
    # projections_hear_each_event_once
    Case(
        "projection-once",
        check.projections_hear_each_event_once,
        T + "projections:\n  - projection: Orders\n    in: dining\n    from: [OrderOpened, OrderPlaced]\n",
        (),
    ),
    Case(
        "projection-twice",
        check.projections_hear_each_event_once,
        T + "projections:\n  - projection: Orders\n    in: dining\n    from: [OrderOpened, OrderOpened]\n",
        ("E175",),
    ),
    # commands_emit_each_event_once
    Case("command-emits-once", check.commands_emit_each_event_once, T, ()),
    Case(
        "command-emits-twice",
        check.commands_emit_each_event_once,
        variant(T, ("emits: [OrderPlaced]", "emits: [OrderPlaced, OrderPlaced]")),
        ("E176",),
    ),
    # listeners_hear_recorded_events
    Case("listener-hears-a-recorded-event", check.listeners_hear_recorded_events, T, ()),
    Case(
        "listener-on-an-event-nothing-records",
        check.listeners_hear_recorded_events,
        variant(T, ("        emits: [OrderPlaced]\n", "        emits: [OrderOpened]\n")),
        ("E036",),
    ),
    # sagas_start_on_recorded_events
    Case("saga-starts-on-a-recorded-event", check.sagas_start_on_recorded_events, S, ()),
    Case(
        "saga-starts-on-an-unrecorded-event",
        check.sagas_start_on_recorded_events,
        variant(S, ("        emits: [TripRequested]\n", "        emits: [TripBooked]\n")),
        ("E239",),
    ),
    # sagas_are_recoverable
    Case("saga-clean", check.sagas_are_recoverable, S, ()),
    Case(
        "saga-no-compensation",
        check.sagas_are_recoverable,
        variant(S, ("        compensate: ReleaseSeat\n", "")),
        ("E080",),
    ),
    Case(
        "saga-retriable-needs-no-compensation",
        check.sagas_are_recoverable,
        variant(
            S,
            ("        compensate: ReleaseSeat\n", "        retriable: true\n"),
            ("    compensate_failed_step: false\n", "    compensate_failed_step: false\n    retries: {max: 3}\n"),
        ),
        (),
    ),
    Case(
        "saga-after-pivot",
        check.sagas_are_recoverable,
        variant(
            S,
            ("        compensate: ReleaseSeat\n", "        pivot: true\n"),
            ("        fails_on: RoomRefused\n        pivot: true\n", "        fails_on: RoomRefused\n"),
        ),
        ("E081",),
    ),
    Case(
        "saga-two-pivots",
        check.sagas_are_recoverable,
        variant(S, ("        compensate: ReleaseSeat\n", "        pivot: true\n")),
        ("E082",),  # not E081 too: the second pivot is the same mistake
    ),
    Case(
        "saga-pivot-compensated",
        check.sagas_are_recoverable,
        variant(
            S,
            ("        compensate: ReleaseSeat\n", "        compensate: ReleaseSeat\n        pivot: true\n"),
            (
                "        fails_on: RoomRefused\n        pivot: true\n",
                "        fails_on: RoomRefused\n        retriable: true\n",
            ),
            ("    compensate_failed_step: false\n", "    compensate_failed_step: false\n    retries: {max: 3}\n"),
        ),
        ("E066",),
    ),
    Case(
        "saga-forward-without-retries",
        check.sagas_are_recoverable,
        variant(S, ("recovery: backward", "recovery: forward"), ("        compensate: ReleaseSeat\n", "")),
        ("E083",),
    ),
    Case(
        "saga-forward-with-retries",
        check.sagas_are_recoverable,
        variant(
            S,
            ("recovery: backward", "recovery: forward\n    retries: {max: 5, backoff: exponential, delay: 1s}"),
            ("        compensate: ReleaseSeat\n", ""),
        ),
        (),
    ),
    Case(
        "saga-forward-compensated",
        check.sagas_are_recoverable,
        variant(S, ("recovery: backward", "recovery: forward\n    retries: {max: 5, backoff: exponential, delay: 1s}")),
        ("W111",),
    ),
    Case(
        "saga-compensation-of-another-aggregate",
        check.sagas_are_recoverable,
        variant(S, ("        compensate: ReleaseSeat\n", "        compensate: ReserveRoom\n")),
        ("E037",),
    ),
    Case(
        "saga-compensation-creates",
        check.sagas_are_recoverable,
        variant(S, ("        compensate: ReleaseSeat\n", "        compensate: ReserveSeat\n")),
        ("E037",),
    ),
    Case(
        "saga-compensation-not-allowed-after-the-step",
        check.sagas_are_recoverable,
        variant(S, ("        allowed_in: [reserved]\n", "        allowed_in: [refused]\n")),
        ("E038",),
    ),
    Case(
        "saga-compensation-allowed-everywhere",
        check.sagas_are_recoverable,
        variant(S, ("        allowed_in: [reserved]\n", "")),
        ("E039",),
    ),
    Case(
        "saga-compensation-allowed-again",
        check.sagas_are_recoverable,
        variant(S, ("        allowed_in: [reserved]\n", "        allowed_in: [reserved, released]\n")),
        ("E039",),
    ),
    Case(
        "saga-compensation-enters-no-state",
        check.sagas_are_recoverable,
        variant(S, ("      - event: SeatReleased\n        enters: released\n", "      - event: SeatReleased\n")),
        ("E039",),
    ),
    Case(
        "saga-failed-step-unspecified",
        check.sagas_are_recoverable,
        variant(S, ("    compensate_failed_step: false\n", "")),
        ("E084",),
    ),
    Case(
        "saga-event-elsewhere",
        check.sagas_are_recoverable,
        variant(S, ("aborts_with: TripCancelled", "aborts_with: SeatReleased")),
        ("E085",),
    ),
    Case(
        "saga-step-outcome",
        check.sagas_are_recoverable,
        variant(S, ("fails_on: SeatRefused", "fails_on: RoomRefused")),
        ("E086",),
    ),
    Case(
        "saga-retriable-that-fails",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "        fails_on: RoomRefused\n        pivot: true\n",
                "        fails_on: RoomRefused\n        retriable: true\n",
            ),
        ),
        ("E087",),
    ),
    Case(
        "saga-retriable-that-fails-with-its-own-retries",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "        fails_on: RoomRefused\n        pivot: true\n",
                "        fails_on: RoomRefused\n        retriable: true\n        retries: {max: 2}\n",
            ),
        ),
        (),
    ),
    Case(
        "saga-check-with-nothing-to-undo",
        check.sagas_are_recoverable,
        variant(S, ("        compensate: ReleaseSeat\n", "        compensate: none\n")),
        (),
    ),
    Case(
        "saga-compensation-retries",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    compensation_retries: {max: 3}\n",
            ),
        ),
        (),
    ),
    Case(
        "saga-compensation-retries-with-nothing-to-compensate",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    compensation_retries: {max: 3}\n",
            ),
            ("        compensate: ReleaseSeat\n", "        compensate: none\n"),
        ),
        ("E157",),
    ),
    Case(
        "saga-step-compensation-retries-with-no-compensation",
        check.sagas_are_recoverable,
        variant(S, ("        pivot: true\n", "        pivot: true\n        compensation_retries: {max: 1}\n")),
        ("E158",),
    ),
    Case(
        "saga-compensation-timeout",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    compensation_timeout: 1m\n",
            ),
            (
                "        compensate: ReleaseSeat\n",
                "        compensate: ReleaseSeat\n        compensation_timeout: 5s\n",
            ),
        ),
        (),
    ),
    Case(
        "saga-compensation-timeout-with-nothing-to-compensate",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    compensation_timeout: 1m\n",
            ),
            ("        compensate: ReleaseSeat\n", "        compensate: none\n"),
        ),
        ("E230",),
    ),
    Case(
        "saga-step-compensation-timeout-with-no-compensation",
        check.sagas_are_recoverable,
        variant(S, ("        pivot: true\n", "        pivot: true\n        compensation_timeout: 10s\n")),
        ("E231",),
    ),
    Case(
        "saga-circuit-breaker-counting-timeouts",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    timeout: 5s\n"
                "    circuit_breaker: {failures: 3, open_for: 30s}\n",
            ),
        ),
        (),
    ),
    Case(
        "saga-circuit-breaker-with-no-timeout",
        check.sagas_are_recoverable,
        variant(
            S,
            (
                "    compensate_failed_step: false\n",
                "    compensate_failed_step: false\n    circuit_breaker: {failures: 3, open_for: 30s}\n",
            ),
        ),
        ("E159",),
    ),
    # saga_data_flows
    Case("saga-data-clean", check.saga_data_flows, S, ()),
    Case("saga-data-step-on-the-seat-step-1-made", check.saga_data_flows, _release_step(""), ()),
    Case("saga-data-target-unknown", check.saga_data_flows, _release_step("        target: seat\n"), ("E150",)),
    Case("saga-data-target-not-an-id", check.saga_data_flows, _release_step("        target: city\n"), ("E151",)),
    Case("saga-data-map-unknown-field", check.saga_data_flows, _release_step("        map: {town: city}\n"), ("E152",)),
    # the room step 2 made is no seat (ECommerce's RecordOrderPayment with 'target: payment_id' validated)
    Case(
        "saga-data-target-made-by-another-step",
        check.saga_data_flows,
        _release_step("        target: room_id\n"),
        ("E154",),
    ),
    # the starting aggregate's id may name another kind of aggregate that shares it
    Case("saga-data-target-the-starting-id", check.saga_data_flows, _release_step("        target: trip_id\n"), ()),
    Case(
        "saga-data-map-other-type",
        check.saga_data_flows,
        variant(S, ("        invoke: ReserveRoom\n", "        invoke: ReserveRoom\n        map: {city: trip_id}\n")),
        ("E153",),
    ),
    Case(
        "saga-data-map-from-a-later-step",
        check.saga_data_flows,
        variant(S, ("        invoke: ReserveSeat\n", "        invoke: ReserveSeat\n        map: {city: room_id}\n")),
        ("E150",),
    ),
    Case(
        "saga-data-target-of-a-creating-step",
        check.saga_data_flows,
        variant(S, ("        invoke: ReserveSeat\n", "        invoke: ReserveSeat\n        target: trip_id\n")),
        ("E155",),
    ),
    Case(
        "saga-data-field-a-later-step-brings",
        check.saga_data_flows,
        variant(
            S,
            (
                "        fields: {city: str}\n        emits: [SeatReserved",
                "        fields: {city: str, room_id: uuid}\n        emits: [SeatReserved",
            ),
        ),
        ("W116",),
    ),
    Case(
        # ECommerce's SendPackage takes the items its own PackageWasSent records: no order of the steps helps,
        # so a rule fills them without a warning (W116 used to say "until step 'Seat' succeeds: move the step
        # after 'Seat'", the step itself)
        "saga-data-field-the-step-itself-brings",
        check.saga_data_flows,
        variant(
            S,
            (
                "        fields: {city: str}\n        emits: [SeatReserved",
                "        fields: {city: str, row: int}\n        emits: [SeatReserved",
            ),
            (
                "      - event: SeatReserved\n        kind: integration\n",
                "      - event: SeatReserved\n        kind: integration\n        fields: {row: int}\n",
            ),
        ),
        (),
    ),
    # previous_states
    Case(
        "previous-state-of-an-existing-cart",
        check.previous_states,
        variant(
            M,
            ("states: [open]", "states: [open, held]"),
            _cmd(
                "      - command: HoldCart\n        emits: [CartHeld]\n        allowed_in: [open]\n"
                "      - command: ReleaseCart\n        emits: [CartReleased]\n        allowed_in: [held]\n"
            ),
            _event(
                "      - event: CartHeld\n        enters: held\n      - event: CartReleased\n        enters: previous\n"
            ),
        ),
        (),
    ),
    Case(
        "previous-state-twice-goes-further-back",  # held, frozen, back to held, back to open: HoldCart is allowed
        check.scenarios_fit,
        variant(
            M,
            ("states: [open]", "states: [open, held, frozen]"),
            _cmd(
                "      - command: HoldCart\n        emits: [CartHeld]\n        allowed_in: [open]\n"
                "      - command: FreezeCart\n        emits: [CartFrozen]\n        allowed_in: [held]\n"
                "      - command: ThawCart\n        emits: [CartThawed]\n        allowed_in: [frozen]\n"
                "      - command: ReleaseCart\n        emits: [CartReleased]\n        allowed_in: [held]\n"
            ),
            _event(
                "      - event: CartHeld\n        enters: held\n      - event: CartFrozen\n        enters: frozen\n"
                "      - event: CartThawed\n        enters: previous\n"
                "      - event: CartReleased\n        enters: previous\n"
            ),
        )
        + "scenarios:\n  - scenario: held again after two undos\n    aggregate: Cart\n    given:\n"
        "      - CartHeld: {}\n      - CartFrozen: {}\n      - CartThawed: {}\n      - CartReleased: {}\n"
        "    when:\n      HoldCart: {}\n    then:\n      - CartHeld: {}\n",
        (),
    ),
    Case(
        "previous-state-of-a-new-cart",
        check.previous_states,
        variant(M, ("        enters: open\n", "        enters: previous\n")),
        ("E156",),
    ),
    # event_histories
    Case(
        "history-fits",
        check.event_histories,
        variant(M, ("        enters: open\n", "        enters: open\n" + _OPENED_V3)),
        (),
    ),
    Case(
        "history-does-not-fit",
        check.event_histories,
        variant(
            M,
            (
                "        enters: open\n",
                "        enters: open\n" + _OPENED_V3.replace("added: {items: 0}", "added: {itms: 0}"),
            ),
        ),
        ("E091",),
    ),
    Case(
        "compatibility-of-a-domain-event",
        check.event_histories,
        variant(M, ("        enters: open\n", "        enters: open\n        compatibility: full\n")),
        ("W109",),
    ),
    # timers_fit
    Case("timer-fits", check.timers_fit, _TIMED, ()),
    Case(
        "timer-after-not-a-duration", check.timers_fit, variant(_TIMED, ("after: 30m", "after: 30 minutes")), ("E210",)
    ),
    Case("timer-after-zero", check.timers_fit, variant(_TIMED, ("after: 30m", "after: 0s")), ("E210",)),
    # a number or nothing is the schema's (E022, E020), an empty text too (E026): no E210 besides it
    Case("timer-after-a-number", check.timers_fit, variant(_TIMED, ("after: 30m", "after: 30")), ()),
    Case("timer-after-empty", check.timers_fit, variant(_TIMED, ("after: 30m", 'after: ""')), ()),
    Case(
        "timer-after-past-any-date", check.timers_fit, variant(_TIMED, ("after: 30m", "after: 99999999999d")), ("E210",)
    ),
    Case(
        "timer-name-too-long",
        check.timers_fit,
        variant(_TIMED, ("timer: Abandoned", "timer: Abandoned After A Very Long While Of Nothing At All")),
        ("E171",),
    ),
    Case(
        "timers-with-the-same-python-name",
        check.timers_fit,
        variant(
            _TIMED,
            (
                "            then: CloseCart\n",
                "            then: CloseCart\n          - timer: abandoned\n            in_state: open\n"
                "            after: 1h\n            then: CloseCart\n",
            ),
        ),
        ("E218",),
    ),
    Case("timer-in-unknown-state", check.timers_fit, variant(_TIMED, ("in_state: open", "in_state: opn")), ("E211",)),
    Case("timer-command-creates", check.timers_fit, variant(_TIMED, ("then: CloseCart", "then: OpenCart")), ("E213",)),
    Case(
        "timer-command-not-allowed",
        check.timers_fit,
        variant(_TIMED, ("in_state: open", "in_state: closed"), ("unless: [CartTouched]", "unless: []")),
        ("E214",),
    ),
    Case(
        "timer-command-needs-fields",
        check.timers_fit,
        variant(_TIMED, ("        emits: [CartClosed]\n", "        fields: {why: str}\n        emits: [CartClosed]\n")),
        ("E215",),
    ),
    Case(
        "timer-command-optional-fields",
        check.timers_fit,
        variant(
            _TIMED,
            ("        emits: [CartClosed]\n", '        fields: {why: "optional[str]"}\n        emits: [CartClosed]\n'),
        ),
        (),
    ),
    Case(
        "timer-never-starts",
        check.timers_fit,
        variant(
            _TIMED,
            ("states: [open, closed]", "states: [open, idle, closed]"),
            ("in_state: open", "in_state: idle"),
            ("allowed_in: [open]\n    events", "allowed_in: [open, idle]\n    events"),
        ),
        ("W124",),
    ),
    Case(
        "timer-unless-leaves-the-state",
        check.timers_fit,
        variant(_TIMED, ("unless: [CartTouched]", "unless: [CartTouched, CartClosed]")),
        ("W125",),
    ),
    Case(
        "timer-unless-of-another-aggregate",
        check.timers_fit,
        variant(
            _TIMED,
            ("unless: [CartTouched]", "unless: [CustomerLeft]"),
            ("processes:\n", "      Customer:\n        identity: customer_id\nprocesses:\n"),
        )
        + _CUSTOMER,
        ("E217",),
    ),
    # hotspots_are_open
    Case("hotspots-none", check.hotspots_are_open, M, ()),
    Case(
        "hotspot-open",
        check.hotspots_are_open,
        M + "hotspots:\n  - hotspot: One cart per user?\n    about: Cart\n",
        ("W106",),
    ),
    Case(
        "hotspot-about-unknown",
        check.hotspots_are_open,
        M + "hotspots:\n  - hotspot: Who ships?\n    about: Shipping\n",
        ("W106", "W107"),
    ),
    Case(
        "hotspot-about-a-timer",  # the drawings link it to the hourglass: W107 said it was unknown
        check.hotspots_are_open,
        _TIMED + "hotspots:\n  - hotspot: How long?\n    about: Abandoned\n",
        ("W106",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(tmp_path: Path, case: Case) -> None:
    assert _rule_codes(tmp_path, case) == sorted(case.expected)


def test_every_rule_is_broken_and_kept_by_some_case() -> None:
    for rule in RULES:
        mine = [c for c in CASES if c.rule is rule]
        assert any(c.expected for c in mine), f"no case breaks {rule.__name__}"
        assert any(not c.expected for c in mine), f"no case keeps {rule.__name__}"


@pytest.mark.parametrize("text", [M, T, S], ids=["minimal", "two-services", "saga"])
def test_the_base_journeys_are_clean(tmp_path: Path, text: str) -> None:
    result = validate_text(tmp_path, text)
    assert not result.diagnostics, show(result.diagnostics)


def test_check_runs_every_rule_and_reports_every_problem(tmp_path: Path) -> None:
    text = (
        variant(
            M,
            ("states: [open]", "states: [open, closed]"),
            _cmd("      - command: EmptyCart\n        allowed_in: [open]\n"),
        )
        + "hotspots:\n  - Who pays?\n"
    )
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E050", "W102", "W106"], show(result.diagnostics)
    lines = [d.location.line for d in result.diagnostics]
    assert lines == sorted(lines)


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("- OrderOpened: {table: 4}", "- OrderOpend: {table: 4}", "E042"),
        ("PlaceOrder: {dish: soup}", "PlaceOrders: {dish: soup}", "E043"),
        ("- OrderPlaced: {dish: soup}", "- OrderPlacd: {dish: soup}", "E042"),
    ],
)
def test_a_scenario_naming_an_unknown_event_or_command_is_reported_once(
    tmp_path: Path, old: str, new: str, code: str
) -> None:
    """Build resolves a scenario's names (the generator never looks them up); an unknown one leaves it out."""
    assert old in T
    result = validate_text(tmp_path, T.replace(old, new))
    assert codes(result.diagnostics) == [code], show(result.diagnostics)
    assert result.model is not None and not result.model.scenarios


def test_a_bad_field_type_is_reported_once(tmp_path: Path) -> None:
    text = variant(M, ("        emits: [CartOpened]", "        fields: {size: Int}\n        emits: [CartOpened]"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E030"], show(result.diagnostics)
    assert "int" in result.diagnostics[0].hint


def test_a_duplicate_in_the_same_file_names_its_line(tmp_path: Path) -> None:
    text = variant(M, _event("      - event: CartOpened\n"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E031"]
    assert "first at line 17, column 16" in result.diagnostics[0].message


def test_wrong_type_hints_explain_yaml_1_2(tmp_path: Path) -> None:
    result = validate_text(tmp_path, M.replace("creates: true", "creates: no"))
    wrong = [d for d in result.diagnostics if d.code == "E022"]
    assert wrong and "YAML 1.2" in wrong[0].hint and "true or false" in wrong[0].hint


def test_format_errors_read_as_a_sentence(tmp_path: Path) -> None:
    result = validate_text(
        tmp_path, S.replace("    recovery: backward", "    recovery: backward\n    timeout: 5 minutes")
    )
    (d,) = result.diagnostics
    assert d.code == "E025"
    assert "is not a duration such as 500ms" in d.message and not d.message.endswith(".")
    assert d.hint.startswith("write a duration")


def _ring(n: int) -> str:
    """n microservices whose listeners hand an integration event round in a ring."""
    parts = ["journey: Ring\nmicroservices:\n"]
    parts += [f"  svc{i}:\n    aggregates:\n      Agg{i}:\n        identity: agg{i}_id\n" for i in range(n)]
    parts.append("processes:\n")
    for i in range(n):
        parts.append(
            f"  - process: Proc{i}\n    microservice: svc{i}\n    aggregate: Agg{i}\n    actions:\n"
            f"      - command: Open{i}\n        emits: [Opened{i}]\n        creates: true\n"
            f"    events:\n      - event: Opened{i}\n        kind: integration\n"
        )
    parts.append("listeners:\n")
    parts += [f"  - on: Opened{i}\n    in: svc{(i + 1) % n}\n    command: Open{(i + 1) % n}\n" for i in range(n)]
    return "".join(parts)


def test_a_long_ring_of_listeners_is_one_readable_cycle(tmp_path: Path) -> None:
    result = validate_text(tmp_path, _ring(300))
    (loop,) = [d for d in result.diagnostics if d.code == "E058"]
    assert loop.message.startswith("listeners form a cycle: Opened0 => Open1 -> Opened1 => Open2")
    assert "... 295 more ..." in loop.message and loop.message.endswith("Opened299 => Open0 -> Opened0")
    assert len(loop.message) < 300


def test_separate_cycles_are_reported_separately(tmp_path: Path) -> None:
    first = _ring(2)
    second = _ring(3).replace("svc", "other").replace("Agg", "Thing").replace("Open", "Start")
    second = second.replace("journey: Ring", "journey: Ring Two")
    one, two = write(tmp_path, first, "one.yaml"), write(tmp_path, second, "two.yaml")
    result = api.validate([one, two])
    loops = [d for d in result.diagnostics if d.code == "E058"]
    assert [d.location.file for d in loops] == [str(one), str(two)], show(result.diagnostics)


def test_a_listener_that_answers_its_own_event_is_a_cycle(tmp_path: Path) -> None:
    text = _ring(1)
    result = validate_text(tmp_path, text)
    (loop,) = [d for d in result.diagnostics if d.code == "E058"]
    assert loop.message == "listeners form a cycle: Opened0 => Open0 -> Opened0"


def test_suggestions_stop_when_there_are_too_many_misspellings() -> None:
    known = [f"Event{i}" for i in range(1000)]
    build.reset_suggestions()
    assert build.did_you_mean("Evnt7", known) == "did you mean 'Event7'?"
    hints = [build.did_you_mean(f"Evnt{i}", known) for i in range(build.SUGGESTION_BUDGET // 1000 + 5)]
    assert hints[-1] == "check the spelling: a reference must match a defined name exactly"
    build.reset_suggestions()
    assert build.did_you_mean("Evnt7", known) == "did you mean 'Event7'?"


def test_many_unknown_references_are_all_reported(tmp_path: Path) -> None:
    n = 2000
    actions = "".join(f"      - command: Do{i}\n        emits: [Donx{i}]\n" for i in range(n))
    events = "".join(f"      - event: Done{i}\n" for i in range(n))
    text = (
        "journey: Typos\nmicroservices:\n  s:\n    aggregates:\n      A:\n        identity: a_id\n"
        "processes:\n  - process: P\n    microservice: s\n    aggregate: A\n"
        f"    actions:\n{actions}    events:\n{events}"
    )
    result = validate_text(tmp_path, text)
    unknown = [d for d in result.diagnostics if d.code == "E042"]
    assert len(result.diagnostics) == MAX_SHOWN + 1  # the first 1,000, then one E069 for the rest
    assert len(unknown) == MAX_SHOWN - 1, show(result.diagnostics[:3])  # and E057 for A (no creating command)
    assert unknown[0].hint.startswith("did you mean")
    more = result.diagnostics[-1]
    assert more.code == "E069" and f"({n - MAX_SHOWN + 1:,} of them errors)" in more.message


def test_two_files_of_one_journey_name(tmp_path: Path) -> None:
    one = write(tmp_path, MINIMAL, "one.yaml")
    two = write(tmp_path, TWO_SERVICES.replace("journey: Order Food", "journey: Shopping"), "two.yaml")
    result = api.validate([one, two])
    assert [(d.code, d.location.file, d.location.line) for d in result.diagnostics] == [("E031", str(two), 1)]
    assert "journey 'Shopping' is defined twice" in result.diagnostics[0].message


def test_the_same_process_name_in_two_journeys_is_fine(tmp_path: Path) -> None:
    one = write(tmp_path, MINIMAL, "one.yaml")
    two = write(tmp_path, TWO_SERVICES.replace("- process: Cook", "- process: Shop"), "two.yaml")
    assert not api.validate([one, two]).diagnostics


@pytest.mark.parametrize(
    ("event", "suggestion"),
    [
        ("CartOpen", "CartOpened"),
        ("OpenCart", "CartOpened"),
        ("PlaceOrder", "OrderPlaced"),
        ("OrderConfirmation", "OrderConfirmed"),
        ("OrderPayment", "OrderPaid"),
        ("ShipParcel", "ParcelShipped"),
        ("Table Close", "TableClosed"),
        ("Refund", "Refunded"),
        ("TicketPickUp", "TicketPickedUp"),
        ("Guest Check Out", "GuestCheckedOut"),
        ("OrderCancelPending", "OrderCancelRequested"),
        # 'order' names the thing when it comes first (issue 15.4: "ShipOrdered" for OrderShip)
        ("OrderShip", "OrderShipped"),
        ("OrderCancel", "OrderCanceled"),
        ("OrderStatus", "OrderStatusRecorded"),
        ("ChangeOrder", "OrderChanged"),
        ("RequestRefund", "RefundRequested"),
        ("CheckIn", "CheckedIn"),
        ("UserLogin", "UserLoginRecorded"),
        ("Customer", "CustomerCreated"),
        # no verb before the particle (go-coffeeshop's line items are up): not 'OrderItemsedUp'
        ("OrderItemsUp", "OrderItemsUpRecorded"),
    ],
)
def test_event_tense_hint_suggests_a_past_tense(tmp_path: Path, event: str, suggestion: str) -> None:
    result = validate_text(tmp_path, M.replace("CartOpened", event))
    (d,) = [d for d in result.diagnostics if d.code == "W103"]
    assert d.hint == f"name events in the past tense, e.g. '{suggestion}'"


@pytest.mark.parametrize(
    "event",
    [
        "TicketPickedUp",
        "ItemAddedToBasket",
        "OrderStatusChangedToAwaitingValidation",
        "BookLent",
        "LoanRepaid",
        "ProductWasOutOfStock",  # ECommerce's (tests/data/real/ecommerce.yaml): W103 suggested '...Recorded'
        "SeatsWereUnavailable",
    ],
)
def test_a_past_tense_inside_an_event_name_reads_as_a_fact(tmp_path: Path, event: str) -> None:
    result = validate_text(tmp_path, M.replace("CartOpened", event))
    assert "W103" not in codes(result.diagnostics), show(result.diagnostics)


# RecordValidationPassed: the Kafka Streams orders example (tests/data/real/kafka-orders.yaml), once
# told 'PassRecordValidation'
@pytest.mark.parametrize("command", ["MarkPaid", "SetCompleted", "Flag Damaged", "RecordValidationPassed"])
def test_a_command_giving_a_state_is_an_imperative(tmp_path: Path, command: str) -> None:
    result = validate_text(tmp_path, M.replace("OpenCart", command))
    assert "W104" not in codes(result.diagnostics), show(result.diagnostics)


# PlaceBid: Lagom's online auction (tests/data/real/online-auction.yaml), once told 'BidPlace': 'bid' is a
# past tense spelled as its present, and a noun as often
@pytest.mark.parametrize("command", ["PlaceBid", "ProposeSplit", "StartRun", "ApplyOffset"])
def test_a_command_ending_in_a_noun_spelled_as_a_past_is_an_imperative(tmp_path: Path, command: str) -> None:
    result = validate_text(tmp_path, M.replace("OpenCart", command))
    assert "W104" not in codes(result.diagnostics), show(result.diagnostics)


@pytest.mark.parametrize(
    ("command", "suggestion"),
    [
        ("CartStarted", "StartCart"),
        ("OrderPlaced", "PlaceOrder"),
        ("Order Shipped", "ShipOrder"),
        ("BillPaid", "PayBill"),
    ],
)
def test_command_tense_hint_suggests_an_imperative(tmp_path: Path, command: str, suggestion: str) -> None:
    result = validate_text(tmp_path, M.replace("OpenCart", command))
    (d,) = [d for d in result.diagnostics if d.code == "W104"]
    assert d.hint == f"name commands as imperatives, e.g. '{suggestion}'"


def test_a_bad_name_is_not_repeated_in_its_own_message(tmp_path: Path) -> None:
    result = validate_text(tmp_path, M.replace("process: Shop", "process: 2 Shop"))
    (d,) = result.diagnostics
    assert d.message == "the process name: '2 Shop' is not a valid name"


def test_a_misspelt_event_is_one_problem_not_three(tmp_path: Path) -> None:
    """An unknown name under emits or allowed_in is reported once, where it is
    written: not again as 'emits nothing' or 'allowed only in unreachable states'."""
    text = variant(
        M,
        ("emits: [CartOpened]", "emits: [CartOpend]"),
        _cmd("      - command: CloseCart\n        emits: [CartOpened]\n        allowed_in: [opne]\n"),
    )
    found = codes(validate_text(tmp_path, text).diagnostics)
    assert "E042" in found and "E045" in found
    assert "E050" not in found and "E055" not in found


def test_an_empty_emits_list_still_emits_nothing(tmp_path: Path) -> None:
    found = codes(validate_text(tmp_path, variant(M, ("emits: [CartOpened]", "emits: []"))).diagnostics)
    assert "E050" in found


def test_one_file_named_twice_is_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, M, "cart.yaml")
    result = api.validate([path, tmp_path / "." / "cart.yaml", tmp_path])
    assert result.files == (str(path),) and not result.errors


def test_a_value_object_declared_in_two_files_is_one_if_its_fields_agree(tmp_path: Path) -> None:
    first = variant(
        M,
        ("microservices:", _TYPES + "microservices:"),
        ("        emits: [CartOpened]", "        fields: {price: Money}\n        emits: [CartOpened]"),
        ("        enters: open", "        fields: {price: Money}\n        enters: open"),
    )
    second = "journey: Lines\ntypes:\n  Line:\n    fields: {sku: str, quantity: int, price: Money}\n"
    write(tmp_path, first, "a.yaml")
    write(tmp_path, second, "b.yaml")
    result = api.validate([tmp_path])
    assert result.model is not None and not result.errors, show(result.diagnostics)
    assert [t.name for t in result.model.types] == ["Money", "Line"]
    write(tmp_path, second.replace("quantity: int", "quantity: decimal"), "b.yaml")
    result = api.validate([tmp_path])
    assert [(d.code, d.location.file.endswith("b.yaml")) for d in result.errors] == [("E031", True)]


def test_a_bare_name_in_a_scenario_is_shown_how_to_write_it(tmp_path: Path) -> None:
    """'when: OpenCart' and 'then: [CartOpened]' are what newcomers write first: the hint writes it out."""
    text = M + (
        "scenarios:\n  - scenario: a cart is opened\n    aggregate: Cart\n    when: OpenCart\n    then: [CartOpened]\n"
    )
    hints = [d.hint for d in validate_text(tmp_path, text).diagnostics if d.code == "E022"]
    assert hints == [
        "write it with its fields: 'OpenCart: {field: value}', or 'OpenCart: {}' for none",
        "write it with its fields: 'CartOpened: {field: value}', or 'CartOpened: {}' for none",
    ]


def test_a_map_from_what_the_step_itself_brings_says_so(tmp_path: Path) -> None:
    text = variant(
        SAGA,
        ("        invoke: ReserveSeat\n", "        invoke: ReserveSeat\n        map: {city: row}\n"),
        (
            "      - event: SeatReserved\n        kind: integration\n",
            "      - event: SeatReserved\n        kind: integration\n        fields: {row: str}\n",
        ),
    )
    result = validate_text(tmp_path, text)
    (d,) = [d for d in result.diagnostics if d.code == "E150"]
    assert d.hint == "it joins the saga data when this step succeeds: the step's commands take the data it starts with"


@pytest.mark.parametrize(
    ("field_type", "problem"),
    [
        ("int", "an int, not a uuid: no id can be one"),
        ("str", "a str, not a uuid: no id can be one"),
        # ECommerce's OrderCancelled carries the payment id only for a paid order (it said 'no id can be one')
        (
            "optional[uuid]",
            "an optional[uuid]: an event without it would address no aggregate, and a listener cannot skip it",
        ),
    ],
)
def test_a_listener_target_that_is_no_id_says_why(tmp_path: Path, field_type: str, problem: str) -> None:
    text = variant(
        TWO_SERVICES,
        *_ADD_DISH,
        ("    command: AddDish\n", "    command: AddDish\n    target: ref\n"),
    )
    text = text.replace(
        "        fields: {dish: str}\n        enters: placed",
        f'        fields: {{dish: str, ref: "{field_type}"}}\n        enters: placed',
    )
    (d,) = [d for d in validate_text(tmp_path, text).diagnostics if d.code == "E067"]
    assert d.message.endswith(f"by 'ref', {problem}"), d.message
