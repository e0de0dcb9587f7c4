"""The back office's order list with a million orders: the query plan and the time of a
page for each filter, on SQLite or PostgreSQL.  Run by hand, never by the suite:

    .venv/bin/python -m bench.dashboard_queries [--engine sqlite|postgresql] [--orders 1000000]

Orders are written straight into a fresh database in batches (90% for the merchant whose
list is read, 10% for another one), over a year, with random cards, clients and amounts.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from typing import Any

from ecomgate import storage
from ecomgate.domain import ids
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services.ports import OrderCursor, OrderFilter
from ecomgate.storage import migrate
from ecomgate.storage.dashboard_sql import order_search_sql
from ecomgate.storage.sql import ORDERS, order_values
from ecomgate.testing.postgres import create_pg_database, drop_pg_database

DAY_MS = 86_400_000
BATCH = 10_000
PAGE = 51  # a page of 50 and one more to know whether there is a next


def _order(merchant_id: str, now: int, rng: random.Random, n: int) -> Order:
    created = now - rng.randrange(365 * DAY_MS)
    order = Order(
        id=ids.uuid7(created),
        merchant_id=merchant_id,
        order_number=f"n{n}",
        amount=rng.randrange(100, 500_000),
        currency="643",
        two_phase=False,
        created_at=created,
        expires_at=created + 1_200_000,
        return_url="https://shop.example/ok",
        client_id=f"client-{rng.randrange(10_000)}",
    )
    order.status = rng.choice((0, 2, 2, 2, 6))  # type: ignore[assignment]
    if order.status:
        order.card = CardSnapshot(f"444455**{rng.randrange(10_000):04d}", "203012", "X", "VISA")
    return order


async def fill(store: Any, count: int) -> tuple[str, str]:
    now = int(time.time() * 1000)
    mine, theirs = ids.uuid7(now), ids.uuid7(now + 1)
    async with store.transaction() as repos:
        for merchant_id, login in ((mine, "bench-mine"), (theirs, "bench-theirs")):
            await repos.merchants.add(
                Merchant(merchant_id, login, login, "x", "643", created_at=now)
            )
    rng = random.Random(7)
    started = time.monotonic()
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, count)):
            owner = mine if n % 10 else theirs
            rows.append(ORDERS.insert_args(order_values(_order(owner, now, rng, n))))
        async with store.transaction() as repos:
            await repos.db.executemany(ORDERS.insert_sql, rows)
    async with store.transaction() as repos:
        await repos.db.execute("ANALYZE")
    print(f"wrote {count} orders in {time.monotonic() - started:.0f} s")
    return mine, now


CASES: list[tuple[str, OrderFilter]] = [
    ("newest first, no filter", OrderFilter()),
    ("card last 4", OrderFilter(pan_last4="1234")),
    ("status 6 (declined)", OrderFilter(status=6)),
    ("clientId", OrderFilter(client_id="client-42")),
    ("orderNumber", OrderFilter(order_number="n777")),
    ("amount range", OrderFilter(amount_min=100_000, amount_max=100_500)),
]


async def report(store: Any, merchant_id: str, now: int) -> None:
    yesterday = now - now % DAY_MS - DAY_MS
    cases = [
        *CASES,
        ("yesterday", OrderFilter(created_from=yesterday, created_to=yesterday + DAY_MS)),
        (
            "card last 4 + yesterday",
            OrderFilter(pan_last4="1234", created_from=yesterday, created_to=yesterday + DAY_MS),
        ),
    ]
    for label, where in cases:
        await _one(store, label, merchant_id, where, None)
    # a page deep in the list: the cursor of an order half a year back
    deep = OrderCursor(now - 180 * DAY_MS, "ffffffff")
    await _one(store, "no filter, 180 days deep (keyset)", merchant_id, OrderFilter(), deep)


async def _one(
    store: Any, label: str, merchant_id: str, where: OrderFilter, after: OrderCursor | None
) -> None:
    sql, args = order_search_sql(merchant_id, where, after)
    sql = f"{sql} LIMIT {PAGE}"
    explain = "EXPLAIN QUERY PLAN " if store.engine == "sqlite" else "EXPLAIN "
    times = []
    async with store.transaction() as repos:
        plan = await repos.db.fetchall(explain + sql, *args)
        for _ in range(5):
            started = time.perf_counter()
            found = await repos.db.fetchall(sql, *args)
            times.append((time.perf_counter() - started) * 1000)
    lines = [r["detail"] if store.engine == "sqlite" else r["QUERY PLAN"] for r in plan]
    print(f"\n## {label}: {len(found)} rows, median {statistics.median(times):.2f} ms")
    for line in lines:
        print(f"    {line}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--orders", type=int, default=1_000_000)
    options = parser.parse_args()
    if options.engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        url = await asyncio.to_thread(create_pg_database)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        store = await storage.open_store(url, sqlite_synchronous="OFF")
        try:
            merchant_id, now = await fill(store, options.orders)
            await report(store, merchant_id, now)
        finally:
            await store.close()
    finally:
        if options.engine == "postgresql":
            await asyncio.to_thread(drop_pg_database, url)


if __name__ == "__main__":
    asyncio.run(main())
