"""The query plans of the statements every request or sweep runs, read from the database
itself (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``) on a loaded data set: each
lookup must be an index search (O(log n)), never a scan of a table that grows.

The statements are those of ``ecomgate/storage/sql.py`` (same tables, conditions and
order; the column lists do not change a plan's access path)."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass

import asyncpg

from ecomgate.storage.sql import _SELECT_OPERATIONS, ORDERS

#: (what, statement, its arguments: "merchant" and "order" stand for a stored one's id)
HOT = (
    ("order by id (every call on an order)", f"SELECT {ORDERS.select_list} FROM orders WHERE id = $1", ("order",)),
    ("an order's ledger", _SELECT_OPERATIONS, ("order",)),
    ("order by orderNumber (register's duplicate check)",
     "SELECT id FROM orders WHERE merchant_id = $1 AND order_number = $2", ("merchant", "bulk-4")),
    ("merchant by login (cold credential cache)",
     "SELECT id FROM merchants WHERE login = $1", ("bench-api",)),
    ("the sweeper's due orders",
     "SELECT id FROM orders WHERE due_at <= $1 ORDER BY due_at LIMIT $2", (0, 100)),
    ("the reconciler's pending operations",
     "SELECT id, order_id FROM operations WHERE state = 'pending' AND sent_at IS NOT NULL"
     " AND sent_at <= $1 AND (next_sync_at IS NULL OR next_sync_at <= $2)"
     " ORDER BY sent_at LIMIT $3", (0, 0, 100)),
    ("an order's next event number (outbox)",
     "SELECT COALESCE(MAX(stream_seq), 0) AS seq FROM outbox_events WHERE stream = $1",
     ("order",)),
    ("the dispatcher's due events",
     "SELECT e.id FROM outbox_events e WHERE e.state = 'pending' AND e.next_try_at <= $1"
     " AND (e.lease_until IS NULL OR e.lease_until <= $1) AND NOT EXISTS (SELECT 1 FROM"
     " outbox_events p WHERE p.stream = e.stream AND p.stream_seq < e.stream_seq"
     " AND p.state = 'pending') ORDER BY e.next_try_at LIMIT $2", (0, 100)),
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    query: str
    plan: str

    @property
    def scans(self) -> bool:
        """A full scan of a table: SQLite's ``SCAN t`` (with or without ``USING INDEX``:
        walking a whole index is a scan too), PostgreSQL's ``Seq Scan``."""
        for line in self.plan.splitlines():
            step = line.strip()
            if step.startswith("SCAN ") and step != "SCAN CONSTANT ROW":
                return True
            if "Seq Scan" in step:
                return True
        return False


def _args(args: tuple[object, ...], merchant_id: str, order_id: str) -> tuple[object, ...]:
    stand_ins = {"merchant": merchant_id, "order": order_id}
    return tuple(stand_ins.get(a, a) if isinstance(a, str) else a for a in args)


def _sqlite(path: str, merchant_id: str, order_id: str) -> list[Plan]:
    db = sqlite3.connect(path)
    try:
        plans = []
        for name, sql, args in HOT:
            rows = db.execute(
                "EXPLAIN QUERY PLAN " + sql.replace("$", "?"), _args(args, merchant_id, order_id)
            ).fetchall()
            plans.append(Plan(name, "\n".join(str(r[-1]) for r in rows)))
        return plans
    finally:
        db.close()


async def _postgres(url: str, merchant_id: str, order_id: str) -> list[Plan]:
    conn = await asyncpg.connect(url)
    try:
        plans = []
        for name, sql, args in HOT:
            rows = await conn.fetch(
                "EXPLAIN (COSTS OFF) " + sql, *_args(args, merchant_id, order_id)
            )
            plans.append(Plan(name, "\n".join(r[0] for r in rows)))
        return plans
    finally:
        await conn.close()


def plans(url: str, merchant_id: str, order_id: str) -> list[Plan]:
    """The plans on the database at ``url``, looking up a stored merchant and order."""
    if url.startswith("sqlite:"):
        return _sqlite(url.removeprefix("sqlite:///"), merchant_id, order_id)
    return asyncio.run(_postgres(url, merchant_id, order_id))
