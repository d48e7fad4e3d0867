# Written once by esp from restaurant.yaml: this file is yours; esp never overwrites it.
"""Your business rules for the payment microservice.

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

from decimal import Decimal
from typing import TYPE_CHECKING

from customer_dining.payment.hooks import Hooks
from esp_runtime import DomainError

if TYPE_CHECKING:
    from customer_dining.payment import aggregates, commands

    Bill = aggregates.BillableOrder


class Rules(Hooks):
    """The rules the PaymentService application uses: a bill is paid in full, never more or less."""

    def check_process_payment(self, aggregate: Bill, command: commands.ProcessPayment) -> None:
        _in_full(aggregate, command.amount)

    def check_pay_cash(self, aggregate: Bill, command: commands.PayCash) -> None:
        _in_full(aggregate, command.amount)


def _in_full(bill: Bill, amount: Decimal) -> None:
    if bill.total is not None and amount != bill.total:
        raise DomainError(f"{amount} does not pay the bill of {bill.total}: pay the bill in full")
