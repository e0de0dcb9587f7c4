"""Stored orders in bulk, for measuring the gateway over a database that is not empty:
rows written straight into ``orders`` and ``operations`` (SQLite: one transaction of
``executemany``; PostgreSQL: ``COPY``), not through the API, so a million take seconds.

    .venv/bin/python -m bench.bulk_orders DATABASE_URL MERCHANT_ID[,MERCHANT_ID...] \\
        --orders 1000000 [--due 200000]

The rows are the ones the gateway itself writes: each kind is made once by the domain
(``Order`` and its transitions) and turned into columns by the storage layer's own
``order_values``/``operation_values``; only ids, order numbers and times vary per row.
The database must be migrated and the merchants must exist.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.storage.sql import OPERATIONS, ORDERS, operation_values, order_values

#: the kinds of stored orders, in tenths: paid, still payable, expired unpaid
MIX = (("paid", 5), ("unpaid", 3), ("expired", 2))
#: rows per executemany / COPY batch (bounds the loader's memory)
CHUNK = 50_000
DAY_MS = 86_400_000
#: a paid order's amount: room for 10,000 partial refunds of 1 rouble (the least)
PAID_AMOUNT = 1_000_000
CARD = CardSnapshot("456396**1999", "203012", "BULK LOADED", "VISA")

_MASK_62 = (1 << 62) - 1


@dataclass
class Loaded:
    """What a load wrote, and ids of each kind of the first merchant's orders."""

    orders: int = 0
    operations: int = 0
    seconds: float = 0.0
    #: the loader's own CPU time (on a busy machine, wall time says more about the others)
    cpu_seconds: float = 0.0
    samples: dict[str, list[str]] = field(default_factory=dict)


class _Ids:
    """UUIDv7-shaped ids, time-ordered like the gateway's, made from a counter (the
    gateway's ``ids.uuid7`` draws random bits: too slow for millions of rows)."""

    def __init__(self) -> None:
        self._counter = itertools.count(int.from_bytes(os.urandom(7), "big"))

    def make(self, ms: int) -> str:
        seq = next(self._counter)
        value = (ms << 80) | (0x7 << 76) | ((seq >> 62 & 0xFFF) << 64) | (0b10 << 62)
        text = f"{value | (seq & _MASK_62):032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _template(kind: str, now: int) -> Order:
    """One order of ``kind`` as the domain makes it (ids and times replaced per row)."""
    order = Order(
        id="o",
        merchant_id="m",
        order_number="n",
        amount=PAID_AMOUNT if kind == "paid" else 150_000,
        currency="643",
        two_phase=False,
        created_at=now,
        expires_at=now + 1_200_000,
        return_url="https://shop.example/ok",
        description="bulk-loaded order",
    )
    if kind == "paid":
        order.start_attempt(now, "a", CARD)
        order.authorization_approved(
            now + 900,
            deposit_operation_id="d",
            approval_code="123456",
            auth_ref_num="111122223333",
            terminal_id="E0000001",
        )
    elif kind in ("expired", "due"):
        order.expires_at = now  # overdue; "expired" is then swept, "due" waits for it
        if kind == "expired":
            order.expire(now + 1)
    return order


@dataclass(frozen=True)
class _Kind:
    name: str
    order_row: dict[str, Any]
    op_rows: tuple[dict[str, Any], ...]


def _kinds(now: int) -> dict[str, _Kind]:
    made = {}
    for name in ("paid", "unpaid", "expired", "due"):
        order = _template(name, now)
        made[name] = _Kind(
            name, order_values(order), tuple(operation_values(op) for op in order.operations)
        )
    return made


def _plan(count: int, due: int) -> Iterator[str]:
    """The kind of each row: the mix, then the ``due`` orders (unpaid, overdue, unswept)."""
    cycle = list(itertools.chain.from_iterable([name] * n for name, n in MIX))
    for i in range(count):
        yield cycle[i % len(cycle)]
    yield from itertools.repeat("due", due)


def rows(
    merchant_ids: Sequence[str], count: int, *, due: int = 0, now: int | None = None
) -> Iterator[tuple[str, str, list[Any], list[list[Any]]]]:
    """(kind, merchant id, order row, operation rows) for ``count`` orders of the mix,
    spread over the last 30 days, and ``due`` unpaid orders whose lifetime ended a minute
    ago (the sweeper's work).  Unpaid orders of the mix stay payable for a week."""
    now = int(time.time() * 1000) if now is None else now
    kinds = _kinds(now)
    ids = _Ids()
    total = count + due
    step = max(1, 30 * DAY_MS // max(total, 1))
    start = now - 60_000 - step * total
    at = {c: i for i, c in enumerate(ORDERS.columns)}
    op_at = {c: i for i, c in enumerate(OPERATIONS.columns)}
    order_rows = {k: [v.order_row[c] for c in ORDERS.columns] for k, v in kinds.items()}
    op_rows = {
        k: [[op[c] for c in OPERATIONS.columns] for op in v.op_rows] for k, v in kinds.items()
    }
    i_id, i_merchant, i_number = at["id"], at["merchant_id"], at["order_number"]
    i_created, i_expires, i_due = at["created_at"], at["expires_at"], at["due_at"]
    o_id, o_order, o_created = op_at["id"], op_at["order_id"], op_at["created_at"]
    o_sent, o_settled = op_at["sent_at"], op_at["settled_at"]
    for i, name in enumerate(_plan(count, due)):
        created = start + i * step
        merchant_id = merchant_ids[i % len(merchant_ids)]
        order_id = ids.make(created)
        row = order_rows[name].copy()
        row[i_id], row[i_merchant], row[i_number] = order_id, merchant_id, f"bulk-{i}"
        row[i_created] = created
        if name == "unpaid":
            row[i_expires] = row[i_due] = now + 7 * DAY_MS
        elif name == "due":
            row[i_expires] = row[i_due] = now - 60_000
        else:
            row[i_expires] = created + 1_200_000
        ops = []
        for n, template in enumerate(op_rows[name]):
            op = template.copy()
            op_time = created + 900 + n
            op[o_id], op[o_order], op[o_created] = ids.make(op_time), order_id, op_time
            if op[o_sent] is not None:
                op[o_sent] = op_time
            if op[o_settled] is not None:
                op[o_settled] = op_time
            ops.append(op)
        yield name, merchant_id, row, ops


def _chunks(
    source: Iterator[tuple[str, str, list[Any], list[list[Any]]]],
    loaded: Loaded,
    first_merchant: str,
    sample_size: int,
) -> Iterator[tuple[list[list[Any]], list[list[Any]]]]:
    orders: list[list[Any]] = []
    operations: list[list[Any]] = []
    for kind, merchant_id, order, ops in source:
        orders.append(order)
        operations.extend(ops)
        if merchant_id == first_merchant:
            sample = loaded.samples.setdefault(kind, [])
            if len(sample) < sample_size:
                sample.append(order[0])
        if len(orders) >= CHUNK:
            yield orders, operations
            orders, operations = [], []
    if orders:
        yield orders, operations


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _load_sqlite(path: str, chunks: Iterator[tuple[list[list[Any]], list[list[Any]]]]) -> None:
    # one transaction, made durable once at its end (synchronous stays at its default)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA cache_size = -262144")  # 256 MiB: the indexes stay in memory
        db.execute("BEGIN IMMEDIATE")
        for orders, operations in chunks:
            db.executemany(_insert_sql("orders", ORDERS.columns), orders)
            db.executemany(_insert_sql("operations", OPERATIONS.columns), operations)
        db.execute("COMMIT")
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


async def _load_postgres(
    url: str, chunks: Iterator[tuple[list[list[Any]], list[list[Any]]]]
) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for orders, operations in chunks:
                await conn.copy_records_to_table(
                    "orders", records=orders, columns=list(ORDERS.columns)
                )
                await conn.copy_records_to_table(
                    "operations", records=operations, columns=list(OPERATIONS.columns)
                )
        await conn.execute("ANALYZE orders")
        await conn.execute("ANALYZE operations")
    finally:
        await conn.close()


def load(
    url: str,
    merchant_ids: Sequence[str],
    count: int,
    *,
    due: int = 0,
    sample_size: int = 20_000,
) -> Loaded:
    """Write ``count`` orders of the mix (and ``due`` overdue unpaid ones) for the
    merchants, round-robin; keep up to ``sample_size`` ids of each kind of the first
    merchant's orders (the benchmark's working set)."""
    loaded = Loaded()
    started, cpu_started = time.perf_counter(), time.process_time()

    def counted() -> Iterator[tuple[str, str, list[Any], list[list[Any]]]]:
        for row in rows(merchant_ids, count, due=due):
            loaded.orders += 1
            loaded.operations += len(row[3])
            yield row

    chunks = _chunks(counted(), loaded, merchant_ids[0], sample_size)
    if url.startswith("sqlite:"):
        _load_sqlite(url.removeprefix("sqlite:///"), chunks)
    else:
        asyncio.run(_load_postgres(url, chunks))
    loaded.seconds = time.perf_counter() - started
    loaded.cpu_seconds = time.process_time() - cpu_started
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a migrated database: sqlite:///PATH or postgresql://...")
    parser.add_argument("merchants", help="merchant ids, comma-separated")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=0, help="overdue unpaid orders to add")
    args = parser.parse_args()
    loaded = load(args.url, args.merchants.split(","), args.orders, due=args.due)
    print(
        f"{loaded.orders} orders, {loaded.operations} operations in {loaded.seconds:.1f} s"
        f" ({loaded.orders / max(loaded.seconds, 1e-9):,.0f} orders/s;"
        f" loader CPU {loaded.cpu_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
