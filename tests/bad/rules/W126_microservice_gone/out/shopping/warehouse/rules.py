# expect: W126 1:1
"""Your business rules for the warehouse microservice."""

from __future__ import annotations

from esp_runtime import DomainError

from shopping.warehouse.hooks import Hooks


class Rules(Hooks):
    pass
