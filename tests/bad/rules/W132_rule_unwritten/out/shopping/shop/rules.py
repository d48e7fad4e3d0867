"""Your business rules for the shop microservice."""

from __future__ import annotations

from esp_runtime import DomainError

from shopping.shop.hooks import Hooks


class Rules(Hooks):
    pass
