"""Hand-written (esp never writes or overwrites this file): the business logic of rules.py, end to end.

A table orders two soups and two juices, sends one juice back, and the kitchen gets the dishes added; the
bill is the real total, and paying any other amount is refused.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from customer_dining.dining import commands as dining
from customer_dining.kitchen import aggregates as kitchen_aggregates
from customer_dining.payment import aggregates as payment_aggregates
from customer_dining.payment import commands as payment
from customer_dining.system import CustomerDining
from esp_runtime import DomainError, events_of, listener_id


def _dine(system: CustomerDining) -> UUID:
    order = system.dining.open_table(dining.OpenTable(table_number=4, guests=2))
    system.dining.add_food_item(dining.AddFoodItem(order_id=order, dish="soup", quantity=2, price=Decimal("6.50")))
    system.dining.add_drinks(dining.AddDrinks(order_id=order, drink="juice", quantity=2, price=Decimal("3.00")))
    system.dining.remove_item(dining.RemoveItem(order_id=order, item="juice", quantity=1, price=Decimal("3.00")))
    return order


def test_the_kitchen_cooks_the_dishes_added_and_the_bill_is_their_total(system: CustomerDining) -> None:
    order = _dine(system)
    placed = system.dining.place_order(dining.PlaceOrder(order_id=order))
    ticket = events_of(system.kitchen, listener_id(order, placed, "QueueTicket"))[0]
    assert isinstance(ticket, kitchen_aggregates.KitchenTicket.TicketQueued)
    assert ticket.dishes == ["soup", "soup"]

    closed = system.dining.close_table(dining.CloseTable(order_id=order))
    bill_id = listener_id(order, closed, "PrepareBill")
    bill = events_of(system.payment, bill_id)[0]
    assert isinstance(bill, payment_aggregates.BillableOrder.BillPrepared)
    assert bill.total == Decimal("16.00")  # 2 x 6.50 + 1 x 3.00

    with pytest.raises(DomainError, match=r"does not pay the bill of 16\.00"):
        system.payment.pay_cash(payment.PayCash(bill_id=bill_id, amount=Decimal("15.00")))
    system.payment.pay_cash(payment.PayCash(bill_id=bill_id, amount=Decimal("16.00")))
    assert system.payment.get_billable_order(bill_id).state == "paid"


def test_the_state_is_rebuilt_from_the_events(system: CustomerDining) -> None:
    order = _dine(system)
    again = system.dining.get_dining_order(order)  # from the stored events: each on_<event> runs again
    assert again.dishes == ["soup", "soup"] and again.total == Decimal("16.00")


def test_invariants_reject_and_record_nothing(system: CustomerDining) -> None:
    order = _dine(system)
    before = system.dining.get_dining_order(order).version
    with pytest.raises(DomainError, match="order at least one"):
        system.dining.add_food_item(dining.AddFoodItem(order_id=order, dish="cake", quantity=0, price=Decimal("5")))
    with pytest.raises(DomainError, match="more than the order holds"):
        system.dining.remove_item(dining.RemoveItem(order_id=order, item="soup", quantity=5, price=Decimal("6.50")))
    assert system.dining.get_dining_order(order).version == before
