"""The back office's repositories (users and sessions, the audit trail, order search),
written once for both engines like ``sql.py``, whose helpers they use."""

from __future__ import annotations

import json
from typing import Any

from ecomgate.domain.bindings import Binding
from ecomgate.domain.dashboard_users import DashboardUser, Role
from ecomgate.domain.order import Order
from ecomgate.services.ports import (
    AuditEntry,
    DashboardSession,
    DayFigures,
    DuplicateEmail,
    OrderCursor,
    OrderFilter,
)

from .sql import (
    _SELECT_OPERATIONS_OF,
    BINDINGS,
    ORDERS,
    Dialect,
    Executor,
    Row,
    Table,
    UniqueViolation,
    binding_from_row,
    operation_from_row,
    order_from_row,
)

USERS = Table(
    "dashboard_users",
    (
        "id",
        "email",
        "password_hash",
        "role",
        "merchant_id",
        "disabled",
        "failed_logins",
        "locked_until",
        "created_at",
    ),
    ("id", "created_at"),
)
SESSIONS = Table(
    "dashboard_sessions",
    ("id", "user_id", "csrf_token", "created_at", "expires_at", "ip", "merchant_id", "acting"),
    ("id", "user_id", "csrf_token", "created_at"),
)
AUDIT = Table(
    "audit_log",
    ("id", "at", "actor", "channel", "source", "merchant_id", "action", "target", "details"),
    ("id",),
)


def _user_values(u: DashboardUser) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "password_hash": u.password_hash,
        "role": u.role.value,
        "merchant_id": u.merchant_id,
        "disabled": int(u.disabled),
        "failed_logins": u.failed_logins,
        "locked_until": u.locked_until,
        "created_at": u.created_at,
    }


def _user_from_row(row: Row) -> DashboardUser:
    return DashboardUser(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        merchant_id=row["merchant_id"],
        created_at=row["created_at"],
        disabled=bool(row["disabled"]),
        failed_logins=row["failed_logins"],
        locked_until=row["locked_until"],
    )


def _session_values(s: DashboardSession) -> dict[str, Any]:
    return {c: getattr(s, c) for c in SESSIONS.columns} | {"acting": int(s.acting)}


def _session_from_row(row: Row) -> DashboardSession:
    return DashboardSession(
        **{c: row[c] for c in SESSIONS.columns} | {"acting": bool(row["acting"])}
    )


class SqlDashboardUsers:
    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def add(self, user: DashboardUser) -> None:
        try:
            await self.db.execute(USERS.insert_sql, *USERS.insert_args(_user_values(user)))
        except UniqueViolation as exc:
            raise DuplicateEmail(user.email) from exc

    async def update(self, user: DashboardUser) -> None:
        await self.db.execute(USERS.update_sql, *USERS.update_args(_user_values(user)))

    async def get(self, user_id: str) -> DashboardUser | None:
        row = await self.db.fetchone(
            f"SELECT {USERS.select_list} FROM dashboard_users WHERE id = $1", user_id
        )
        return None if row is None else _user_from_row(row)

    async def get_by_email(self, email: str, *, for_update: bool = False) -> DashboardUser | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {USERS.select_list} FROM dashboard_users WHERE email = $1{lock}", email
        )
        return None if row is None else _user_from_row(row)

    async def for_merchant(self, merchant_id: str) -> list[DashboardUser]:
        rows = await self.db.fetchall(
            f"SELECT {USERS.select_list} FROM dashboard_users WHERE merchant_id = $1"
            " ORDER BY email",
            merchant_id,
        )
        return [_user_from_row(r) for r in rows]

    async def add_session(self, session: DashboardSession) -> None:
        await self.db.execute(SESSIONS.insert_sql, *SESSIONS.insert_args(_session_values(session)))

    async def session(self, session_id: str) -> DashboardSession | None:
        row = await self.db.fetchone(
            f"SELECT {SESSIONS.select_list} FROM dashboard_sessions WHERE id = $1", session_id
        )
        return None if row is None else _session_from_row(row)

    async def update_session(self, session: DashboardSession) -> None:
        await self.db.execute(SESSIONS.update_sql, *SESSIONS.update_args(_session_values(session)))

    async def delete_session(self, session_id: str) -> None:
        await self.db.execute("DELETE FROM dashboard_sessions WHERE id = $1", session_id)

    async def delete_sessions_of(self, user_id: str) -> None:
        await self.db.execute("DELETE FROM dashboard_sessions WHERE user_id = $1", user_id)

    async def prune_sessions(self, now: int) -> None:
        await self.db.execute("DELETE FROM dashboard_sessions WHERE expires_at <= $1", now)


def _audit_from_row(row: Row) -> AuditEntry:
    values = {c: row[c] for c in AUDIT.columns}
    values["details"] = json.loads(row["details"])
    return AuditEntry(**values)


class SqlAuditTrail:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def append(self, entry: AuditEntry) -> None:
        values = {c: getattr(entry, c) for c in AUDIT.columns}
        values["details"] = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
        await self.db.execute(AUDIT.insert_sql, *AUDIT.insert_args(values))

    async def recent(
        self, *, merchant_id: str | None = None, before_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        where: list[str] = []
        args: list[Any] = []
        if merchant_id is not None:
            args.append(merchant_id)
            where.append(f"merchant_id = ${len(args)}")
        if before_id is not None:
            args.append(before_id)
            where.append(f"id < ${len(args)}")
        args.append(limit)
        rows = await self.db.fetchall(
            f"SELECT {AUDIT.select_list} FROM audit_log"
            f"{' WHERE ' + ' AND '.join(where) if where else ''}"
            f" ORDER BY id DESC LIMIT ${len(args)}",
            *args,
        )
        return [_audit_from_row(r) for r in rows]


#: filter field -> its condition; each value is one more argument
_CONDITIONS = {
    "status": "status = ${}",
    "created_from": "created_at >= ${}",
    "created_to": "created_at < ${}",
    "order_number": "order_number = ${}",
    "order_id": "id = ${}",
    "amount_min": "amount >= ${}",
    "amount_max": "amount <= ${}",
    "pan_last4": "pan_last4 = ${}",
    "client_id": "client_id = ${}",
}
DAY_MS = 86_400_000


def order_search_sql(
    merchant_id: str, where: OrderFilter, after: OrderCursor | None
) -> tuple[str, list[Any]]:
    """The page query and its arguments but the limit (``EXPLAIN`` shows its plan).  It
    always names the merchant: no filter reaches another merchant's orders."""
    args: list[Any] = [merchant_id]
    clauses = ["merchant_id = $1"]
    for name, condition in _CONDITIONS.items():
        value = getattr(where, name)
        if value is not None:
            args.append(value)
            clauses.append(condition.format(len(args)))
    if after is not None:
        # a row value: both engines walk the (merchant, filter, created_at, id) index to it
        args += [after.created_at, after.order_id]
        clauses.append(f"(created_at, id) < (${len(args) - 1}, ${len(args)})")
    sql = (
        f"SELECT {ORDERS.select_list} FROM orders WHERE {' AND '.join(clauses)}"
        " ORDER BY created_at DESC, id DESC"
    )
    return sql, args


class SqlOrderSearch:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def page(
        self, merchant_id: str, where: OrderFilter, after: OrderCursor | None, limit: int
    ) -> list[Order]:
        sql, args = order_search_sql(merchant_id, where, after)
        args.append(limit)
        rows = await self.db.fetchall(f"{sql} LIMIT ${len(args)}", *args)
        if not rows:
            return []
        # one query for the ledgers of the whole page
        ids = [r["id"] for r in rows]
        marks = ", ".join(f"${i + 1}" for i in range(len(ids)))
        ops = await self.db.fetchall(_SELECT_OPERATIONS_OF.format(marks=marks), *ids)
        ledgers: dict[str, list[Any]] = {i: [] for i in ids}
        for op in ops:
            ledgers[op["order_id"]].append(operation_from_row(op))
        return [order_from_row(r, ledgers[r["id"]]) for r in rows]

    async def daily(self, merchant_id: str, created_from: int, created_to: int) -> list[DayFigures]:
        rows = await self.db.fetchall(
            f"SELECT (created_at / {DAY_MS}) * {DAY_MS} AS day_start, currency,"
            " SUM(CASE WHEN status IN (1, 2, 4) THEN 1 ELSE 0 END) AS paid_orders,"
            " SUM(CASE WHEN status IN (1, 2, 4) THEN amount ELSE 0 END) AS turnover,"
            " SUM(CASE WHEN status = 6 AND attempts > 0 THEN 1 ELSE 0 END) AS declined_orders"
            " FROM orders WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            merchant_id,
            created_from,
            created_to,
        )
        return [
            DayFigures(
                day_start=int(r["day_start"]),
                currency=r["currency"],
                paid_orders=int(r["paid_orders"]),
                turnover=int(r["turnover"]),
                declined_orders=int(r["declined_orders"]),
            )
            for r in rows
        ]

    async def bindings(self, merchant_id: str, order_id: str, binding_id: str) -> list[Binding]:
        rows = await self.db.fetchall(
            f"SELECT {BINDINGS.select_list} FROM bindings"
            " WHERE merchant_id = $1 AND (order_id = $2 OR id = $3) ORDER BY created_at, id",
            merchant_id,
            order_id,
            binding_id,
        )
        return [binding_from_row(r) for r in rows]
