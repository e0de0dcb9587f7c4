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
from typing import Any, Protocol

from ecomgate.domain import ids
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.events import OrderEvent
from ecomgate.domain.merchant import Merchant, MerchantSettings
from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services.ports import DuplicateLogin, DuplicateOrderNumber

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

_MERCHANT_COLUMNS = (
    "id, login, name, password_hash, token_hash, default_currency, permissions, settings,"
    " created_at"
)

_ORDER_FIELDS = (
    "id",
    "merchant_id",
    "order_number",
    "amount",
    "currency",
    "two_phase",
    "status",
    "action_code",
    "created_at",
    "expires_at",
    "return_url",
    "fail_url",
    "description",
    "language",
    "page_view",
    "client_id",
    "binding_id",
    "dynamic_callback_url",
    "json_params",
    "order_bundle",
    "features",
    "email",
    "phone",
    "ip",
    "autocompletion_at",
    "auto_reverse_at",
    "extra",
    "attempts",
    "card",
    "approval_code",
    "auth_ref_num",
    "terminal_id",
    "auth_at",
    "eci",
    "payment_way",
    "due_at",
)
_ORDER_COLUMNS = ", ".join(_ORDER_FIELDS)
_INSERT_ORDER = (
    f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES "
    f"({', '.join(f'${i + 1}' for i in range(len(_ORDER_FIELDS)))})"
)
# id and the registration-time fields never change; everything else may
_MUTABLE = _ORDER_FIELDS[6:]
_UPDATE_ORDER = (
    "UPDATE orders SET "
    + ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(_MUTABLE))
    + " WHERE id = $1"
)
_OPERATION_COLUMNS = (
    "id, order_id, kind, state, amount, created_at, action_code, reference_number,"
    " approval_code, external_id"
)
_UPSERT_OPERATION = (
    f"INSERT INTO operations ({_OPERATION_COLUMNS}) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
    "action_code = excluded.action_code, reference_number = excluded.reference_number, "
    "approval_code = excluded.approval_code"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def order_row(order: Order) -> tuple[Any, ...]:
    card = order.card
    return (
        order.id,
        order.merchant_id,
        order.order_number,
        order.amount,
        order.currency,
        int(order.two_phase),
        int(order.status),
        order.action_code,
        order.created_at,
        order.expires_at,
        order.return_url,
        order.fail_url,
        order.description,
        order.language,
        order.page_view,
        order.client_id,
        order.binding_id,
        order.dynamic_callback_url,
        _dumps(order.json_params),
        None if order.order_bundle is None else _dumps(order.order_bundle),
        _dumps(list(order.features)),
        order.email,
        order.phone,
        order.ip,
        order.autocompletion_at,
        order.auto_reverse_at,
        _dumps(order.extra),
        order.attempts,
        None if card is None else _dumps(card.__dict__),
        order.approval_code,
        order.auth_ref_num,
        order.terminal_id,
        order.auth_at,
        order.eci,
        order.payment_way,
        order.due_at,  # derived in the domain, stored only for the sweeper's index
    )


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
        approval_code=row["approval_code"],
        auth_ref_num=row["auth_ref_num"],
        terminal_id=row["terminal_id"],
        auth_at=row["auth_at"],
        eci=row["eci"],
        payment_way=row["payment_way"],
        operations=operations,
    )


def operation_row(op: Operation) -> tuple[Any, ...]:
    return (
        op.id,
        op.order_id,
        op.kind.value,
        op.state.value,
        op.amount,
        op.created_at,
        op.action_code,
        op.reference_number,
        op.approval_code,
        op.external_id,
    )


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
    )


def merchant_row(m: Merchant) -> tuple[Any, ...]:
    return (
        m.id,
        m.login,
        m.name,
        m.password_hash,
        m.token_hash,
        m.default_currency,
        _dumps(sorted(m.permissions)),
        _dumps(m.settings.to_dict()),
        m.created_at,
    )


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


class SqlTransaction:
    """``services.ports.Transaction`` over any ``Executor``."""

    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    # -- merchants -------------------------------------------------------------------
    async def insert_merchant(self, merchant: Merchant) -> None:
        try:
            await self.db.execute(
                f"INSERT INTO merchants ({_MERCHANT_COLUMNS}) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                *merchant_row(merchant),
            )
        except UniqueViolation as exc:
            raise DuplicateLogin(merchant.login) from exc

    async def update_merchant(self, merchant: Merchant) -> None:
        row = merchant_row(merchant)
        await self.db.execute(
            "UPDATE merchants SET login = $2, name = $3, password_hash = $4, token_hash = $5,"
            " default_currency = $6, permissions = $7, settings = $8 WHERE id = $1",
            *row[:8],
        )

    async def _merchant_where(self, where: str, value: str) -> Merchant | None:
        row = await self.db.fetchone(
            f"SELECT {_MERCHANT_COLUMNS} FROM merchants WHERE {where} = $1", value
        )
        return None if row is None else merchant_from_row(row)

    async def get_merchant(self, merchant_id: str) -> Merchant | None:
        return await self._merchant_where("id", merchant_id)

    async def get_merchant_by_login(self, login: str) -> Merchant | None:
        return await self._merchant_where("login", login)

    async def get_merchant_by_token_hash(self, token_hash: str) -> Merchant | None:
        return await self._merchant_where("token_hash", token_hash)

    async def list_merchants(self) -> list[Merchant]:
        rows = await self.db.fetchall(
            f"SELECT {_MERCHANT_COLUMNS} FROM merchants ORDER BY created_at, login"
        )
        return [merchant_from_row(r) for r in rows]

    # -- orders ----------------------------------------------------------------------
    async def insert_order(self, order: Order) -> None:
        try:
            await self.db.execute(_INSERT_ORDER, *order_row(order))
        except UniqueViolation as exc:
            raise DuplicateOrderNumber(order.order_number) from exc
        if order.operations:
            await self.db.executemany(
                _UPSERT_OPERATION, [operation_row(op) for op in order.operations]
            )

    async def _load(self, row: Row | None) -> Order | None:
        if row is None:
            return None
        ops = await self.db.fetchall(
            f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE order_id = $1"
            " ORDER BY created_at, id",
            row["id"],
        )
        return order_from_row(row, [operation_from_row(r) for r in ops])

    async def get_order(self, order_id: str, *, for_update: bool = False) -> Order | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = $1{lock}", order_id
        )
        return await self._load(row)

    async def get_order_by_number(
        self, merchant_id: str, order_number: str, *, for_update: bool = False
    ) -> Order | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE merchant_id = $1 AND order_number = $2"
            f"{lock}",
            merchant_id,
            order_number,
        )
        return await self._load(row)

    async def save_order(self, order: Order) -> None:
        row = order_row(order)
        await self.db.execute(_UPDATE_ORDER, order.id, *row[6:])
        if order.operations:
            await self.db.executemany(
                _UPSERT_OPERATION, [operation_row(op) for op in order.operations]
            )

    async def due_orders(self, now: int, limit: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT id FROM orders WHERE due_at <= $1 ORDER BY due_at LIMIT $2"
            f"{self.dialect.skip_locked}",
            now,
            limit,
        )
        return [r["id"] for r in rows]

    # -- outbox ----------------------------------------------------------------------
    async def add_events(self, events: Sequence[OrderEvent]) -> None:
        if not events:
            return
        await self.db.executemany(
            "INSERT INTO events (id, order_id, operation, status, created_at, payload, state,"
            " attempts, next_try_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, 'new', 0, $5,"
            " NULL)",
            [
                (ids.uuid7(e.at), e.order_id, e.operation, e.status, e.at, _dumps(e.extra))
                for e in events
            ],
        )

    # -- secrets ---------------------------------------------------------------------
    async def get_or_create_secret(self, name: str, value: str) -> str:
        await self.db.execute(
            "INSERT INTO gateway_secrets (name, value) VALUES ($1, $2)"
            " ON CONFLICT (name) DO NOTHING",
            name,
            value,
        )
        row = await self.db.fetchone("SELECT value FROM gateway_secrets WHERE name = $1", name)
        assert row is not None
        return str(row["value"])
