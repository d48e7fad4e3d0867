# expect: E220 12:5
"""Your business rules for the shop microservice."""

from __future__ import annotations

from esp_runtime import DomainError

from shopping.shop.hooks import Hooks


class Rules(Hooks):
    def check_close_cart(self, aggregate: object, command: object) -> None:
        raise DomainError("a cart is closed once")

    def _helper(self) -> int:  # a helper of yours: never reported
        return 1
