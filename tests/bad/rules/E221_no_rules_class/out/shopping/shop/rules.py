# expect: E221 1:1
"""Your business rules for the shop microservice."""

from __future__ import annotations

from esp_runtime import DomainError

from shopping.shop.hooks import Hooks


class ShopRules(Hooks):
    pass
