# expect: E222 5:18
"""Your business rules for the shop microservice."""


class Rules(Hooks:
    pass
