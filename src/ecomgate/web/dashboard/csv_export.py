"""The CSV export of an order list: a header, then one line per order as it comes from
the export's batches (``services.order_search.export_orders``), so it streams."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from ecomgate.domain.order import Order

from .forms import show_amount, utc_time

HEADER = (
    "orderId",
    "orderNumber",
    "createdUtc",
    "orderStatus",
    "amount",
    "currency",
    "approvedAmount",
    "depositedAmount",
    "refundedAmount",
    "maskedPan",
    "clientId",
    "actionCode",
    "description",
)
#: a cell a spreadsheet would run as a formula starts with one of these
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # a shop's description or clientId must not become a formula in the merchant's
    # spreadsheet (CSV injection)
    return "'" + value if value.startswith(_FORMULA) else value


def row(order: Order) -> list[str]:
    t = order.totals
    return [
        order.id,
        _cell(order.order_number),
        utc_time(order.created_at),
        str(int(order.status)),
        show_amount(order.amount, order.currency),
        order.currency,
        show_amount(t.approved_amount, order.currency),
        show_amount(t.deposited_amount, order.currency),
        show_amount(t.refunded, order.currency),
        order.card.masked_pan if order.card else "",
        _cell(order.client_id),
        str(order.action_code),
        _cell(order.description),
    ]


def _line(values: list[str] | tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


async def lines(orders: AsyncIterator[Order]) -> AsyncIterator[str]:
    yield _line(HEADER)
    async for order in orders:
        yield _line(row(order))
