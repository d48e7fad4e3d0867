# Written once by esp from shopping.yaml: this file is yours; esp never overwrites it.
"""Your business rules for the shop-payments microservice.

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

from shop_online.shop_payments.hooks import Hooks


class Rules(Hooks):
    """The rules the ShopPaymentsService application uses."""
