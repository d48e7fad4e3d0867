"""Shared by the export tests: a small model that uses every field type, and
the example journeys."""

from __future__ import annotations

from pathlib import Path

from esp.api import load_model
from esp.model import Model

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = ROOT / "journeys"
EXAMPLES = sorted(JOURNEYS.glob("*.yaml"))

# Two microservices: shop publishes OrderPlaced (every field type, value objects too) and a
# domain event; billing hears OrderPlaced through a listener and a projection.
TYPES_JOURNEY = """\
journey: Typed Orders
description: An order carries every field type esp knows.
actors: [Clerk]
types:
  Money:
    description: An amount in a currency
    fields: {amount: decimal, currency: str}
  OrderLine:
    fields: {sku: str, units: int, price: Money, discount: "optional[Money]"}
microservices:
  shop:
    description: Takes orders
    aggregates:
      Order:
        identity: order_id
        states: [placed]
  billing:
    description: Bills orders
    aggregates:
      Invoice:
        identity: invoice_id
        states: [open]
processes:
  - process: Order
    actor: Clerk
    actions:
      - command: PlaceOrder
        fields: {note: str}
        emits: [OrderPlaced, NoteTaken]
        creates: true
    microservice: shop
    events:
      - event: OrderPlaced
        kind: integration
        description: "An order {with} <b>markup</b> is placed"
        fields:
          count: int
          weight: float
          gift: bool
          total: decimal
          due: date
          at: datetime
          customer: uuid
          lines: "list[str]"
          coupon: "optional[str]"
          tags: "optional[list[str]]"
          price: Money
          extras: "optional[list[OrderLine]]"
        enters: placed
      - event: NoteTaken
        fields: {note: str}
    aggregate: Order
  - process: Bill
    actor: Clerk
    actions:
      - command: OpenInvoice
        fields: {order_id: uuid, total: decimal}
        emits: [InvoiceOpened]
        creates: true
      - query: ViewOrders
        projection: Orders
    microservice: billing
    events:
      - event: InvoiceOpened
        fields: {order_id: uuid, total: decimal}
        enters: open
    aggregate: Invoice
listeners:
  - on: OrderPlaced
    in: billing
    command: OpenInvoice
projections:
  - projection: Orders
    in: billing
    from: [OrderPlaced]
"""


def types_model(tmp_path: Path) -> Model:
    path = tmp_path / "typed.yaml"
    path.write_text(TYPES_JOURNEY, encoding="utf-8")
    return load_model([path])
