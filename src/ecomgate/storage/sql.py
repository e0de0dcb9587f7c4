"""The repository, written once for both engines.

Queries use PostgreSQL's ``$1`` placeholders; the SQLite driver rewrites them to ``?1``.
The two engines differ only in row locking (``FOR UPDATE`` / ``SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE`` instead) and in how a
unique-key violation is reported, which each driver maps to ``UniqueViolation``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from ecomgate.domain import ids
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.events import BindingEvent, Event
from ecomgate.domain.merchant import Merchant, MerchantSettings
from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services.ports import DuplicateLogin, DuplicateOrderNumber, PendingOperation

Row = Mapping[str, Any]


class UniqueViolation(Exception):
    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class Executor(Protocol):
    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...
    async def execute(self, sql: str, *args: Any) -> None: ...
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


@dataclass(frozen=True)
class Dialect:
    for_update: str  # appended to a SELECT that locks the rows it reads
    skip_locked: str  # appended to a SELECT that claims queue rows


SQLITE = Dialect(for_update="", skip_locked="")
POSTGRESQL = Dialect(for_update=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED")


# -- rows <-> domain objects, by column name ------------------------------------------
def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def order_values(order: Order) -> dict[str, Any]:
    card = order.card
    return {
        "id": order.id,
        "merchant_id": order.merchant_id,
        "order_number": order.order_number,
        "amount": order.amount,
        "currency": order.currency,
        "two_phase": int(order.two_phase),
        "created_at": order.created_at,
        "status": int(order.status),
        "action_code": order.action_code,
        "expires_at": order.expires_at,
        "return_url": order.return_url,
        "fail_url": order.fail_url,
        "description": order.description,
        "language": order.language,
        "page_view": order.page_view,
        "client_id": order.client_id,
        "binding_id": order.binding_id,
        "dynamic_callback_url": order.dynamic_callback_url,
        "json_params": _dumps(order.json_params),
        "order_bundle": None if order.order_bundle is None else _dumps(order.order_bundle),
        "features": _dumps(list(order.features)),
        "email": order.email,
        "phone": order.phone,
        "ip": order.ip,
        "autocompletion_at": order.autocompletion_at,
        "auto_reverse_at": order.auto_reverse_at,
        "extra": _dumps(order.extra),
        "attempts": order.attempts,
        "card": None if card is None else _dumps(card.__dict__),
        "payment_way": order.payment_way,
        "due_at": order.due_at,  # derived in the domain, stored only for the sweeper's index
    }


def order_from_row(row: Row, operations: list[Operation]) -> Order:
    card = row["card"]
    bundle = row["order_bundle"]
    return Order(
        id=row["id"],
        merchant_id=row["merchant_id"],
        order_number=row["order_number"],
        amount=row["amount"],
        currency=row["currency"],
        two_phase=bool(row["two_phase"]),
        status=OrderStatus(row["status"]),
        action_code=row["action_code"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        return_url=row["return_url"],
        fail_url=row["fail_url"],
        description=row["description"],
        language=row["language"],
        page_view=row["page_view"],
        client_id=row["client_id"],
        binding_id=row["binding_id"],
        dynamic_callback_url=row["dynamic_callback_url"],
        json_params=json.loads(row["json_params"]),
        order_bundle=None if bundle is None else json.loads(bundle),
        features=tuple(json.loads(row["features"])),
        email=row["email"],
        phone=row["phone"],
        ip=row["ip"],
        autocompletion_at=row["autocompletion_at"],
        auto_reverse_at=row["auto_reverse_at"],
        extra=json.loads(row["extra"]),
        attempts=row["attempts"],
        card=None if card is None else CardSnapshot(**json.loads(card)),
        payment_way=row["payment_way"],
        operations=operations,
    )


def operation_values(op: Operation) -> dict[str, Any]:
    return {
        "id": op.id,
        "order_id": op.order_id,
        "kind": op.kind.value,
        "amount": op.amount,
        "created_at": op.created_at,
        "external_id": op.external_id,
        "state": op.state.value,
        "action_code": op.action_code,
        "reference_number": op.reference_number,
        "approval_code": op.approval_code,
        "connector_ref": op.connector_ref,
        "terminal_id": op.terminal_id,
        "eci": op.eci,
        "three_ds": int(op.three_ds),
        "sent_at": op.sent_at,
        "next_sync_at": op.next_sync_at,
        "sync_attempts": op.sync_attempts,
        "settled_at": op.settled_at,
    }


def operation_from_row(row: Row) -> Operation:
    return Operation(
        id=row["id"],
        order_id=row["order_id"],
        kind=OperationKind(row["kind"]),
        state=OperationState(row["state"]),
        amount=row["amount"],
        created_at=row["created_at"],
        action_code=row["action_code"],
        reference_number=row["reference_number"],
        approval_code=row["approval_code"],
        external_id=row["external_id"],
        connector_ref=row["connector_ref"],
        terminal_id=row["terminal_id"],
        eci=row["eci"],
        three_ds=bool(row["three_ds"]),
        sent_at=row["sent_at"],
        next_sync_at=row["next_sync_at"],
        sync_attempts=row["sync_attempts"],
        settled_at=row["settled_at"],
    )


def merchant_values(m: Merchant) -> dict[str, Any]:
    return {
        "id": m.id,
        "created_at": m.created_at,
        "login": m.login,
        "name": m.name,
        "password_hash": m.password_hash,
        "token_hash": m.token_hash,
        "default_currency": m.default_currency,
        "permissions": _dumps(sorted(m.permissions)),
        "settings": _dumps(m.settings.to_dict()),
    }


def merchant_from_row(row: Row) -> Merchant:
    return Merchant(
        id=row["id"],
        login=row["login"],
        name=row["name"],
        password_hash=row["password_hash"],
        token_hash=row["token_hash"],
        default_currency=row["default_currency"],
        permissions=frozenset(json.loads(row["permissions"])),
        settings=MerchantSettings.from_dict(json.loads(row["settings"])),
        created_at=row["created_at"],
    )


@dataclass(frozen=True)
class Table:
    """A table's columns and the statements built from them: values always travel as a
    mapping by column name, so a new column cannot shift the others."""

    name: str
    columns: tuple[str, ...]
    #: written once, at insert (the id first)
    immutable: tuple[str, ...]

    @cached_property
    def select_list(self) -> str:
        return ", ".join(self.columns)

    @cached_property
    def mutable(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.immutable)

    @cached_property
    def insert_sql(self) -> str:
        placeholders = ", ".join(f"${i + 1}" for i in range(len(self.columns)))
        return f"INSERT INTO {self.name} ({self.select_list}) VALUES ({placeholders})"

    @cached_property
    def update_sql(self) -> str:
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(self.mutable))
        return f"UPDATE {self.name} SET {sets} WHERE id = $1"

    @cached_property
    def upsert_sql(self) -> str:
        sets = ", ".join(f"{c} = excluded.{c}" for c in self.mutable)
        return f"{self.insert_sql} ON CONFLICT (id) DO UPDATE SET {sets}"

    def insert_args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[c] for c in self.columns]

    def update_args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values["id"], *(values[c] for c in self.mutable)]


ORDERS = Table(
    "orders",
    tuple(order_values(Order("", "", "", 0, "", False, 0, 0, ""))),
    ("id", "merchant_id", "order_number", "amount", "currency", "two_phase", "created_at"),
)
OPERATIONS = Table(
    "operations",
    tuple(operation_values(Operation("", "", OperationKind.REFUND, OperationState.PENDING, 0, 0))),
    ("id", "order_id", "kind", "amount", "created_at", "external_id"),
)
MERCHANTS = Table(
    "merchants",
    tuple(merchant_values(Merchant("", "", "", "", ""))),
    ("id", "created_at"),
)
_SELECT_OPERATIONS = (
    f"SELECT {OPERATIONS.select_list} FROM operations WHERE order_id = $1 ORDER BY created_at, id"
)


# -- the repositories ------------------------------------------------------------------
class SqlMerchants:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, merchant: Merchant) -> None:
        try:
            await self.db.execute(
                MERCHANTS.insert_sql, *MERCHANTS.insert_args(merchant_values(merchant))
            )
        except UniqueViolation as exc:
            raise DuplicateLogin(merchant.login) from exc

    async def update(self, merchant: Merchant) -> None:
        await self.db.execute(
            MERCHANTS.update_sql, *MERCHANTS.update_args(merchant_values(merchant))
        )

    async def _where(self, where: str, value: str) -> Merchant | None:
        row = await self.db.fetchone(
            f"SELECT {MERCHANTS.select_list} FROM merchants WHERE {where} = $1", value
        )
        return None if row is None else merchant_from_row(row)

    async def get(self, merchant_id: str) -> Merchant | None:
        return await self._where("id", merchant_id)

    async def get_by_login(self, login: str) -> Merchant | None:
        return await self._where("login", login)

    async def get_by_token_hash(self, token_hash: str) -> Merchant | None:
        return await self._where("token_hash", token_hash)

    async def list(self) -> list[Merchant]:
        rows = await self.db.fetchall(
            f"SELECT {MERCHANTS.select_list} FROM merchants ORDER BY created_at, login"
        )
        return [merchant_from_row(r) for r in rows]


class SqlOrders:
    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def add(self, order: Order) -> None:
        try:
            await self.db.execute(ORDERS.insert_sql, *ORDERS.insert_args(order_values(order)))
        except UniqueViolation as exc:
            raise DuplicateOrderNumber(order.order_number) from exc
        await self._write_operations(order)

    async def _write_operations(self, order: Order) -> None:
        if order.operations:
            await self.db.executemany(
                OPERATIONS.upsert_sql,
                [OPERATIONS.insert_args(operation_values(op)) for op in order.operations],
            )

    async def _load(self, row: Row | None) -> Order | None:
        if row is None:
            return None
        ops = await self.db.fetchall(_SELECT_OPERATIONS, row["id"])
        return order_from_row(row, [operation_from_row(r) for r in ops])

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {ORDERS.select_list} FROM orders WHERE id = $1{lock}", order_id
        )
        return await self._load(row)

    async def get_by_number(
        self, merchant_id: str, order_number: str, *, for_update: bool = False
    ) -> Order | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {ORDERS.select_list} FROM orders"
            f" WHERE merchant_id = $1 AND order_number = $2{lock}",
            merchant_id,
            order_number,
        )
        return await self._load(row)

    async def save(self, order: Order) -> None:
        await self.db.execute(ORDERS.update_sql, *ORDERS.update_args(order_values(order)))
        await self._write_operations(order)

    async def due(self, now: int, limit: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT id FROM orders WHERE due_at <= $1 ORDER BY due_at LIMIT $2"
            f"{self.dialect.skip_locked}",
            now,
            limit,
        )
        return [r["id"] for r in rows]

    async def awaiting_acquirer(
        self, now: int, sent_before: int, limit: int
    ) -> list[PendingOperation]:
        # the partial index operations_pending holds only PENDING rows: this stays cheap
        # however long the ledger grows
        rows = await self.db.fetchall(
            "SELECT id, order_id FROM operations WHERE state = 'pending'"
            " AND sent_at IS NOT NULL AND sent_at <= $1"
            " AND (next_sync_at IS NULL OR next_sync_at <= $2)"
            " ORDER BY sent_at LIMIT $3",
            sent_before,
            now,
            limit,
        )
        return [PendingOperation(r["order_id"], r["id"]) for r in rows]


class SqlOutbox:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, events: Sequence[Event]) -> None:
        if not events:
            return
        await self.db.executemany(
            "INSERT INTO events (id, order_id, operation, status, created_at, payload, state,"
            " attempts, next_try_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, 'new', 0, $5,"
            " NULL)",
            [
                (
                    ids.uuid7(e.at),
                    e.order_id or "",
                    e.operation,
                    e.status,
                    e.at,
                    _dumps(_payload(e)),
                )
                for e in events
            ],
        )


def _payload(event: Event) -> dict[str, str]:
    if isinstance(event, BindingEvent):
        return {"bindingId": event.binding_id, "clientId": event.client_id} | event.extra
    return event.extra


class SqlSecrets:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def get_or_create(self, name: str, value: str) -> str:
        await self.db.execute(
            "INSERT INTO gateway_secrets (name, value) VALUES ($1, $2)"
            " ON CONFLICT (name) DO NOTHING",
            name,
            value,
        )
        row = await self.db.fetchone("SELECT value FROM gateway_secrets WHERE name = $1", name)
        assert row is not None
        return str(row["value"])


class SqlRepositories:
    """``services.ports.Repositories`` over one transaction of any ``Executor``."""

    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.orders = SqlOrders(db, dialect)
        self.merchants = SqlMerchants(db)
        self.outbox = SqlOutbox(db)
        self.secrets = SqlSecrets(db)
