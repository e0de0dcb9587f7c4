"""The back office's reads over a merchant's orders: the filtered list (keyset pages,
newest first), the export of a whole filtered list in batches, and the figures per day.

Every read names the merchant: a user sees its own merchant's orders and nothing else,
whatever the filter, the page cursor or the export says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from ecomgate.domain.bindings import Binding
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order

from .context import Services
from .ports import DayFigures, OrderCursor, OrderFilter

PAGE_SIZE = 50
#: orders per query of an export: memory stays bounded however long the list
EXPORT_BATCH = 500
DAY_MS = 86_400_000


@dataclass(frozen=True)
class OrdersPage:
    orders: list[Order]
    #: where the next page starts (None: this is the last one)
    next_cursor: OrderCursor | None


def cursor_after(order: Order) -> OrderCursor:
    return OrderCursor(order.created_at, order.id)


async def find_orders(
    services: Services,
    merchant: Merchant,
    where: OrderFilter,
    after: OrderCursor | None = None,
    limit: int = PAGE_SIZE,
) -> OrdersPage:
    async with services.uow.transaction() as repos:
        found = await repos.order_search.page(merchant.id, where, after, limit + 1)
    more = len(found) > limit
    orders = found[:limit]
    return OrdersPage(orders, cursor_after(orders[-1]) if more else None)


async def export_orders(
    services: Services, merchant: Merchant, where: OrderFilter
) -> AsyncIterator[Order]:
    """Every order of the filtered list, newest first, read a batch at a time (one short
    transaction each), so a large export never holds the whole list or a long lock."""
    after: OrderCursor | None = None
    while True:
        page = await find_orders(services, merchant, where, after, EXPORT_BATCH)
        for order in page.orders:
            yield order
        if page.next_cursor is None:
            return
        after = page.next_cursor


@dataclass(frozen=True)
class Day:
    """A day of the chart: what the merchant took and how often payments failed."""

    day_start: int
    paid_orders: int
    turnover: int
    declined_orders: int

    @property
    def decline_rate(self) -> float:
        """Declined among orders whose payment ended (0..1)."""
        settled = self.paid_orders + self.declined_orders
        return self.declined_orders / settled if settled else 0.0

    @property
    def average_ticket(self) -> int:
        """In minor units, rounded down."""
        return self.turnover // self.paid_orders if self.paid_orders else 0


@dataclass(frozen=True)
class Figures:
    currency: str
    days: list[Day]

    @property
    def total(self) -> Day:
        return Day(
            self.days[0].day_start if self.days else 0,
            sum(d.paid_orders for d in self.days),
            sum(d.turnover for d in self.days),
            sum(d.declined_orders for d in self.days),
        )


def day_floor(ms: int) -> int:
    return ms - ms % DAY_MS


async def daily_figures(
    services: Services, merchant: Merchant, first_day: int, days: int
) -> Figures:
    """Every UTC day from ``first_day`` for ``days`` days (empty days as zeros), in the
    merchant's default currency; orders in other currencies are not summed into it."""
    start = day_floor(first_day)
    end = start + days * DAY_MS
    async with services.uow.transaction() as repos:
        rows: list[DayFigures] = await repos.order_search.daily(merchant.id, start, end)
    by_day = {r.day_start: r for r in rows if r.currency == merchant.default_currency}
    out = []
    for n in range(days):
        day = start + n * DAY_MS
        r = by_day.get(day)
        out.append(
            Day(day, r.paid_orders, r.turnover, r.declined_orders) if r else Day(day, 0, 0, 0)
        )
    return Figures(merchant.default_currency, out)


async def bindings_of(services: Services, merchant: Merchant, order: Order) -> list[Binding]:
    """The stored cards the order paid with or created (the merchant's own only)."""
    async with services.uow.transaction() as repos:
        return await repos.order_search.bindings(merchant.id, order.id, order.binding_id)
