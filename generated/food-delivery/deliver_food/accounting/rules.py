# Written once by esp from food-delivery.yaml: this file is yours; esp never overwrites it.
"""Your business rules for the accounting microservice.

Override the methods of Hooks (see hooks.py) to decide, for example, which of several events a
command emits, or the values of event fields a command does not carry.
"""

from __future__ import annotations

from deliver_food.accounting.hooks import Hooks


class Rules(Hooks):
    """The rules the AccountingService application uses."""
