# Written once by esp from restaurant.yaml: this file is yours; esp never overwrites it.
"""Your business rules for the dining microservice.

Override the methods of Hooks (see hooks.py): check_<command> rejects a command by raising
DomainError (from esp_runtime); on_<event> evolves the aggregate's state when the event happens (it
also runs when the aggregate is rebuilt from its events); the others choose which of several events
a command records, or derive the values of event fields the command does not carry from the
aggregate.

Import the generated modules this file uses (aggregates, commands) under 'if TYPE_CHECKING:':
aggregates.py imports this file. 'esp validate --generated' reports a method here that overrides
nothing the journey asks for any more.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from customer_dining.dining.hooks import Hooks
from esp_runtime import DomainError

if TYPE_CHECKING:
    from customer_dining.dining import aggregates, commands

    Order = aggregates.DiningOrder


class Rules(Hooks):
    """The rules the DiningService application uses: what a table has ordered, and what it owes.

    The order's dishes (one entry per portion) and its total are state no single event records: each
    event's on_<event> keeps them, so OrderPlaced carries the dishes added and TableClosed the real total
    (hooks.py's default answers for those fields read the aggregate's dishes and total).
    """

    def check_add_food_item(self, aggregate: Order, command: commands.AddFoodItem) -> None:
        _positive(command.quantity, command.price)

    def check_add_drinks(self, aggregate: Order, command: commands.AddDrinks) -> None:
        _positive(command.quantity, command.price)

    def check_remove_item(self, aggregate: Order, command: commands.RemoveItem) -> None:
        _positive(command.quantity, command.price)
        if command.price * command.quantity > _total(aggregate):
            raise DomainError(f"{command.quantity} {command.item} at {command.price} is more than the order holds")

    def on_food_item_added(self, aggregate: Order, event: Order.FoodItemAdded) -> None:
        aggregate.dishes = [*(aggregate.dishes or []), *[event.dish] * event.quantity]
        aggregate.total = _total(aggregate) + event.price * event.quantity

    def on_drinks_added(self, aggregate: Order, event: Order.DrinksAdded) -> None:
        aggregate.total = _total(aggregate) + event.price * event.quantity

    def on_item_removed(self, aggregate: Order, event: Order.ItemRemoved) -> None:
        left = Counter({event.item: event.quantity})
        kept = []
        for dish in aggregate.dishes or []:
            if left[dish] > 0:
                left[dish] -= 1
            else:
                kept.append(dish)
        aggregate.dishes = kept
        aggregate.total = _total(aggregate) - event.price * event.quantity


def _total(order: Order) -> Decimal:
    return order.total if order.total is not None else Decimal("0")


def _positive(quantity: int, price: Decimal) -> None:
    if quantity < 1:
        raise DomainError(f"a quantity of {quantity}: order at least one")
    if price < 0:
        raise DomainError(f"a price of {price}: prices are not negative")
