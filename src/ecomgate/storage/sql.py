"""The repository, written once for both engines.

Queries use PostgreSQL's ``$1`` placeholders; the SQLite driver rewrites them to ``?1``.
The two engines differ only in row locking (``FOR UPDATE`` / ``SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE`` instead) and in how a
unique-key violation is reported, which each driver maps to ``UniqueViolation``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from ecomgate.domain import ids
from ecomgate.domain.bindings import Binding, SealedCard
from ecomgate.domain.chaos import Chaos
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.events import BindingEvent, Event, OrderEvent
from ecomgate.domain.merchant import Merchant, MerchantSettings
from ecomgate.domain.operations import Operation, OperationKind, OperationState, SecureAuth
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services.ports import (
    AttemptOutcome,
    CallbackAttempt,
    DuplicateLogin,
    DuplicateOrderNumber,
    OutboxEntry,
    OutboxQuery,
    PendingOperation,
)

if TYPE_CHECKING:
    from .dashboard_sql import SqlAuditTrail, SqlDashboardUsers, SqlOrderSearch

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
    #: a statement taking a lock on a name ($1) until the transaction ends ("" = none needed)
    advisory_lock: str = ""


SQLITE = Dialect(for_update="", skip_locked="")
POSTGRESQL = Dialect(
    for_update=" FOR UPDATE",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    advisory_lock="SELECT pg_advisory_xact_lock(hashtext($1))",
)


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
        # the back office filters by it (its own index); derived from the masked card
        "pan_last4": card.masked_pan[-4:] if card is not None else "",
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
        "three_ds_step": op.three_ds_step,
        "three_ds_trans_id": op.three_ds_trans_id,
        "secure_auth": _dumps(op.secure_auth.to_dict()) if op.secure_auth else None,
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
        three_ds_step=row["three_ds_step"],
        three_ds_trans_id=row["three_ds_trans_id"],
        secure_auth=SecureAuth.from_dict(json.loads(row["secure_auth"]))
        if row["secure_auth"]
        else None,
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
#: the ledgers of several orders at once (``{marks}``: their placeholders)
_SELECT_OPERATIONS_OF = (
    f"SELECT {OPERATIONS.select_list} FROM operations WHERE order_id IN ({{marks}})"
    " ORDER BY created_at, id"
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

    async def order_id_of_three_ds_trans(self, trans_id: str) -> str | None:
        row = await self.db.fetchone(
            "SELECT order_id FROM operations WHERE three_ds_trans_id = $1", trans_id
        )
        return None if row is None else str(row["order_id"])

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


OUTBOX_EVENTS = Table(
    "outbox_events",
    (
        "id",
        "merchant_id",
        "stream",
        "stream_seq",
        "order_id",
        "binding_id",
        "operation",
        "status",
        "created_at",
        "payload",
        "state",
        "attempts",
        "next_try_at",
        "lease_until",
        "lease_token",
        "delivered_at",
        "settled_at",
        "last_error",
    ),
    immutable=(),
)
CALLBACK_ATTEMPTS = Table(
    "callback_attempts",
    (
        "id",
        "event_id",
        "attempt",
        "started_at",
        "origin",
        "method",
        "url",
        "http_status",
        "latency_ms",
        "error",
    ),
    immutable=(),
)
_ENTRY_COLUMNS = ", ".join(
    c for c in OUTBOX_EVENTS.columns if c not in ("lease_until", "lease_token")
)
_LEASE = "UPDATE outbox_events SET lease_until = $2, lease_token = $3 WHERE id = $1"


def _entry_from_row(row: Row) -> OutboxEntry:
    payload = json.loads(row["payload"])
    return OutboxEntry(
        id=row["id"],
        merchant_id=row["merchant_id"],
        stream=row["stream"],
        stream_seq=int(row["stream_seq"]),
        order_id=row["order_id"],
        binding_id=row["binding_id"],
        operation=row["operation"],
        status=int(row["status"]),
        created_at=int(row["created_at"]),
        params=payload.get("params", {}),
        facts=payload.get("facts", {}),
        dynamic_url=payload.get("dynamic_url", ""),
        state=row["state"],
        attempts=int(row["attempts"]),
        next_try_at=row["next_try_at"],
        delivered_at=row["delivered_at"],
        last_error=row["last_error"],
        settled_at=row["settled_at"],
    )


def _attempt_from_row(row: Row) -> CallbackAttempt:
    return CallbackAttempt(**{c: row[c] for c in CALLBACK_ATTEMPTS.columns})


class SqlOutbox:
    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def add(
        self,
        events: Sequence[Event],
        *,
        merchant_id: str | None = None,
        facts: Mapping[str, str] | None = None,
        dynamic_url: str = "",
    ) -> None:
        # the position in the stream is taken under the lock of the order (or binding) the
        # events belong to, which the caller holds: no two writers compute the same one
        last_seq: dict[str, int] = {}  # one look per stream, however many events it gets
        for event in events:
            if isinstance(event, BindingEvent):
                owner = event.merchant_id
                binding_id: str | None = event.binding_id
                stream = event.order_id or f"binding:{event.binding_id}"
                params = {"bindingId": event.binding_id, "clientId": event.client_id}
                params |= event.extra
            else:
                if merchant_id is None:
                    raise ValueError("order events need their merchant")
                owner, binding_id, stream, params = merchant_id, None, event.order_id, event.extra
            if stream not in last_seq:
                row = await self.db.fetchone(
                    "SELECT COALESCE(MAX(stream_seq), 0) AS seq FROM outbox_events"
                    " WHERE stream = $1",
                    stream,
                )
                last_seq[stream] = int(row["seq"]) if row else 0
            last_seq[stream] += 1
            # an order's dynamicCallbackUrl takes its payment events only (spec §3.1): a
            # stored card's events go to the merchant's static URL
            payload = {
                "params": params,
                "facts": dict(facts or {}) if event.order_id else {},
                "dynamic_url": dynamic_url if isinstance(event, OrderEvent) else "",
            }
            values = {
                "id": ids.uuid7(event.at),
                "merchant_id": owner,
                "stream": stream,
                "stream_seq": last_seq[stream],
                "order_id": event.order_id,
                "binding_id": binding_id,
                "operation": event.operation,
                "status": event.status,
                "created_at": event.at,
                "payload": _dumps(payload),
                "state": "pending",
                "attempts": 0,
                "next_try_at": event.at,
                "lease_until": None,
                "lease_token": None,
                "delivered_at": None,
                "settled_at": None,
                "last_error": None,
            }
            await self.db.execute(OUTBOX_EVENTS.insert_sql, *OUTBOX_EVENTS.insert_args(values))

    async def claim(self, now: int, lease_until: int, token: str, limit: int) -> list[OutboxEntry]:
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox_events e"
            " WHERE e.state = 'pending' AND e.next_try_at <= $1"
            " AND (e.lease_until IS NULL OR e.lease_until <= $1)"
            " AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.stream = e.stream"
            " AND p.stream_seq < e.stream_seq AND p.state = 'pending')"
            f" ORDER BY e.next_try_at LIMIT $2{self.dialect.skip_locked}",
            now,
            limit,
        )
        for r in rows:
            await self.db.execute(_LEASE, r["id"], lease_until, token)
        return [_entry_from_row(r) for r in rows]

    async def lease(
        self, event_id: str, now: int, lease_until: int, token: str
    ) -> OutboxEntry | None:
        row = await self.db.fetchone(
            f"SELECT {_ENTRY_COLUMNS}, lease_until FROM outbox_events WHERE id = $1"
            f"{self.dialect.for_update}",
            event_id,
        )
        if row is None or (row["lease_until"] is not None and row["lease_until"] > now):
            return None
        await self.db.execute(_LEASE, event_id, lease_until, token)
        return _entry_from_row(row)

    async def finish(
        self,
        entry: OutboxEntry,
        token: str,
        attempt: CallbackAttempt | None,
        outcome: AttemptOutcome,
    ) -> bool:
        if attempt is not None:
            await self.log_attempt(attempt)
        row = await self.db.fetchone(
            f"SELECT lease_token FROM outbox_events WHERE id = $1{self.dialect.for_update}",
            entry.id,
        )
        if row is None or row["lease_token"] != token:
            return False
        await self.db.execute(
            "UPDATE outbox_events SET state = $2, attempts = attempts + $3, next_try_at = $4,"
            " delivered_at = COALESCE($5, delivered_at), last_error = $6, settled_at = $7,"
            " lease_until = NULL, lease_token = NULL WHERE id = $1",
            entry.id,
            outcome.state,
            1 if outcome.counts else 0,
            outcome.next_try_at,
            outcome.delivered_at,
            outcome.last_error,
            None if outcome.state == "pending" else outcome.at,
        )
        return True

    async def log_attempt(self, attempt: CallbackAttempt) -> None:
        # numbered by the log itself: dispatcher attempts, resends and forwards in one row
        row = await self.db.fetchone(
            "SELECT COALESCE(MAX(attempt), 0) AS n FROM callback_attempts WHERE event_id = $1",
            attempt.event_id,
        )
        values = {c: getattr(attempt, c) for c in CALLBACK_ATTEMPTS.columns}
        values["attempt"] = int(row["n"] if row else 0) + 1
        await self.db.execute(CALLBACK_ATTEMPTS.insert_sql, *CALLBACK_ATTEMPTS.insert_args(values))

    async def get(self, event_id: str) -> OutboxEntry | None:
        row = await self.db.fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox_events WHERE id = $1", event_id
        )
        return None if row is None else _entry_from_row(row)

    async def attempts(self, event_id: str) -> list[CallbackAttempt]:
        rows = await self.db.fetchall(
            f"SELECT {CALLBACK_ATTEMPTS.select_list} FROM callback_attempts"
            " WHERE event_id = $1 ORDER BY started_at, attempt",
            event_id,
        )
        return [_attempt_from_row(r) for r in rows]

    async def find(self, query: OutboxQuery) -> list[OutboxEntry]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("merchant_id", query.merchant_id), ("order_id", query.order_id)):
            if value is not None:
                args.append(value)
                where.append(f"{column} = ${len(args)}")
        if query.failed_only:
            where.append("state = 'failed'")
        args.append(query.limit)
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox_events"
            f"{' WHERE ' + ' AND '.join(where) if where else ''}"
            f" ORDER BY created_at DESC, stream_seq DESC LIMIT ${len(args)}",
            *args,
        )
        return [_entry_from_row(r) for r in rows]

    async def since(self, merchant_id: str, written_from: int, limit: int) -> list[OutboxEntry]:
        # by id, made from the real time of writing: a sandbox clock moved meanwhile shifts
        # created_at, never the id
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox_events WHERE merchant_id = $1 AND id >= $2"
            " ORDER BY id LIMIT $3",
            merchant_id,
            ids.uuid7_floor(written_from),
            limit,
        )
        return [_entry_from_row(r) for r in rows]

    async def earlier_pending(self, entry: OutboxEntry) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 AS found FROM outbox_events WHERE stream = $1 AND stream_seq < $2"
            " AND state = 'pending' LIMIT 1",
            entry.stream,
            entry.stream_seq,
        )
        return row is not None

    async def release(self, event_id: str, token: str) -> None:
        await self.db.execute(
            "UPDATE outbox_events SET lease_until = NULL, lease_token = NULL"
            " WHERE id = $1 AND lease_token = $2",
            event_id,
            token,
        )

    async def prune(self, settled_before: int, now: int, limit: int) -> int:
        rows = await self.db.fetchall(
            "SELECT id FROM outbox_events WHERE state <> 'pending' AND settled_at < $1"
            " AND (lease_until IS NULL OR lease_until <= $2)"
            f" LIMIT $3{self.dialect.skip_locked}",
            settled_before,
            now,
            limit,
        )
        for r in rows:
            await self.db.execute("DELETE FROM callback_attempts WHERE event_id = $1", r["id"])
            await self.db.execute("DELETE FROM outbox_events WHERE id = $1", r["id"])
        return len(rows)


#: the time columns a merchant's clock moves (``SqlSandbox.shift_time``); a lease is left
#: alone: it is the real time a sender holds an event
_TIMES_OF_ORDERS = ("created_at", "expires_at", "autocompletion_at", "auto_reverse_at", "due_at")
_TIMES_OF_OPERATIONS = ("created_at", "sent_at", "next_sync_at", "settled_at")
_TIMES_OF_EVENTS = ("created_at", "next_try_at", "delivered_at", "settled_at")


class SqlSandbox:
    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def chaos(self, merchant_id: str, *, for_update: bool = False) -> Chaos:
        if for_update:  # two first changes at once must not both find no row
            await self._ensure(merchant_id)
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT chaos FROM sandbox_merchants WHERE merchant_id = $1{lock}", merchant_id
        )
        return Chaos() if row is None else Chaos.loads(row["chaos"])

    async def chaos_of_order(self, order_id: str) -> tuple[str, Chaos] | None:
        row = await self.db.fetchone(
            "SELECT o.merchant_id, s.chaos FROM orders o"
            " LEFT JOIN sandbox_merchants s ON s.merchant_id = o.merchant_id WHERE o.id = $1",
            order_id,
        )
        if row is None:
            return None
        return row["merchant_id"], Chaos.loads(row["chaos"] or "{}")

    async def _ensure(self, merchant_id: str) -> None:
        await self.db.execute(
            "INSERT INTO sandbox_merchants (merchant_id) VALUES ($1)"
            " ON CONFLICT (merchant_id) DO NOTHING",
            merchant_id,
        )

    async def set_chaos(self, merchant_id: str, chaos: Chaos) -> None:
        await self._ensure(merchant_id)
        await self.db.execute(
            "UPDATE sandbox_merchants SET chaos = $2 WHERE merchant_id = $1",
            merchant_id,
            chaos.dumps(),
        )

    async def clock_offset_ms(self, merchant_id: str) -> int:
        row = await self.db.fetchone(
            "SELECT clock_offset_ms FROM sandbox_merchants WHERE merchant_id = $1", merchant_id
        )
        return 0 if row is None else int(row["clock_offset_ms"])

    async def shift_time(self, merchant_id: str, ms: int) -> None:
        def moved(columns: tuple[str, ...]) -> str:
            return ", ".join(f"{c} = {c} - $2" for c in columns)

        # the orders first, each locked as a request locks it (order row, then its ledger):
        # taking the ledger first could deadlock with a payment of the same merchant
        await self.db.fetchall(
            f"SELECT id FROM orders WHERE merchant_id = $1 ORDER BY id{self.dialect.for_update}",
            merchant_id,
        )
        await self.db.execute(
            f"UPDATE orders SET {moved(_TIMES_OF_ORDERS)} WHERE merchant_id = $1", merchant_id, ms
        )
        orders = "SELECT id FROM orders WHERE merchant_id = $1"
        await self.db.execute(
            f"UPDATE operations SET {moved(_TIMES_OF_OPERATIONS)} WHERE order_id IN ({orders})",
            merchant_id,
            ms,
        )
        await self.db.execute(
            "UPDATE callback_attempts SET started_at = started_at - $2"
            " WHERE event_id IN (SELECT id FROM outbox_events WHERE merchant_id = $1)",
            merchant_id,
            ms,
        )
        await self.db.execute(
            f"UPDATE outbox_events SET {moved(_TIMES_OF_EVENTS)} WHERE merchant_id = $1",
            merchant_id,
            ms,
        )
        await self.db.execute(
            "UPDATE bindings SET created_at = created_at - $2, updated_at = updated_at - $2"
            " WHERE merchant_id = $1",
            merchant_id,
            ms,
        )
        await self._ensure(merchant_id)
        await self.db.execute(
            "UPDATE sandbox_merchants SET clock_offset_ms = clock_offset_ms + $2"
            " WHERE merchant_id = $1",
            merchant_id,
            ms,
        )

    async def reset(self, merchant_id: str) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM orders WHERE merchant_id = $1", merchant_id
        )
        events = "SELECT id FROM outbox_events WHERE merchant_id = $1"
        for sql in (
            f"DELETE FROM callback_attempts WHERE event_id IN ({events})",
            "DELETE FROM outbox_events WHERE merchant_id = $1",
            "DELETE FROM operations WHERE order_id IN"
            " (SELECT id FROM orders WHERE merchant_id = $1)",
            "DELETE FROM orders WHERE merchant_id = $1",
            "DELETE FROM bindings WHERE merchant_id = $1",
            "DELETE FROM sandbox_merchants WHERE merchant_id = $1",
        ):
            await self.db.execute(sql, merchant_id)
        return int(row["n"]) if row else 0


# -- bindings (spec §3.10) and their vault records --------------------------------------
def binding_values(b: Binding) -> dict[str, Any]:
    """The row of a binding: the sealed card only, never the PAN or the expiry in clear."""
    return {
        "id": b.id,
        "merchant_id": b.merchant_id,
        "client_id": b.client_id,
        "order_id": b.order_id,
        "created_at": b.created_at,
        "masked_pan": b.masked_pan,
        "payment_system": b.payment_system,
        "cardholder_name": b.cardholder_name,
        "category": b.category,
        "enabled": int(b.enabled),
        "confirmed": int(b.confirmed),
        "email": b.email,
        "phone": b.phone,
        "updated_at": b.updated_at,
        "vault_key_id": b.sealed.key_id,
        "vault_nonce": base64.b64encode(b.sealed.nonce).decode(),
        "vault_ciphertext": base64.b64encode(b.sealed.ciphertext).decode(),
        "pan_hash": b.sealed.pan_hash,
    }


def binding_from_row(row: Row) -> Binding:
    """Without its expiry: that is in the sealed card, which the service layer opens."""
    return Binding(
        id=row["id"],
        merchant_id=row["merchant_id"],
        client_id=row["client_id"],
        order_id=row["order_id"],
        created_at=row["created_at"],
        masked_pan=row["masked_pan"],
        payment_system=row["payment_system"],
        cardholder_name=row["cardholder_name"],
        category=row["category"],
        enabled=bool(row["enabled"]),
        confirmed=bool(row["confirmed"]),
        email=row["email"],
        phone=row["phone"],
        updated_at=row["updated_at"],
        sealed=SealedCard(
            key_id=row["vault_key_id"],
            nonce=base64.b64decode(row["vault_nonce"]),
            ciphertext=base64.b64decode(row["vault_ciphertext"]),
            pan_hash=row["pan_hash"],
        ),
    )


BINDINGS = Table(
    "bindings",
    tuple(binding_values(Binding("", "", "", "", "", 0, SealedCard("", b"", b"", "")))),
    ("id", "merchant_id", "client_id", "order_id", "created_at"),
)


class SqlBindings:
    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def add(self, binding: Binding) -> None:
        await self.db.execute(BINDINGS.insert_sql, *BINDINGS.insert_args(binding_values(binding)))

    async def save(self, binding: Binding) -> None:
        await self.db.execute(BINDINGS.update_sql, *BINDINGS.update_args(binding_values(binding)))

    async def delete(self, binding_id: str) -> None:
        await self.db.execute("DELETE FROM bindings WHERE id = $1", binding_id)

    async def lock_card(self, merchant_id: str, client_id: str, pan_hash: str) -> None:
        if self.dialect.advisory_lock:
            await self.db.execute(
                self.dialect.advisory_lock, f"{merchant_id}|{client_id}|{pan_hash}"
            )

    async def get(self, binding_id: str, *, for_update: bool = False) -> Binding | None:
        lock = self.dialect.for_update if for_update else ""
        row = await self.db.fetchone(
            f"SELECT {BINDINGS.select_list} FROM bindings WHERE id = $1{lock}", binding_id
        )
        return None if row is None else binding_from_row(row)

    async def for_client(self, merchant_id: str, client_id: str) -> list[Binding]:
        rows = await self.db.fetchall(
            f"SELECT {BINDINGS.select_list} FROM bindings"
            " WHERE merchant_id = $1 AND client_id = $2 AND confirmed = 1"
            " ORDER BY created_at, id",
            merchant_id,
            client_id,
        )
        return [binding_from_row(r) for r in rows]

    async def by_pan_hash(self, merchant_id: str, pan_hashes: Sequence[str]) -> list[Binding]:
        if not pan_hashes:
            return []
        marks = ", ".join(f"${i + 2}" for i in range(len(pan_hashes)))
        rows = await self.db.fetchall(
            f"SELECT {BINDINGS.select_list} FROM bindings"
            f" WHERE merchant_id = $1 AND confirmed = 1 AND pan_hash IN ({marks})"
            " ORDER BY created_at, id",
            merchant_id,
            *pan_hashes,
        )
        return [binding_from_row(r) for r in rows]

    async def pending_for_order(self, order_id: str) -> Binding | None:
        row = await self.db.fetchone(
            f"SELECT {BINDINGS.select_list} FROM bindings"
            " WHERE order_id = $1 AND confirmed = 0 ORDER BY created_at DESC, id DESC LIMIT 1",
            order_id,
        )
        return None if row is None else binding_from_row(row)

    async def not_under_key(self, key_id: str, limit: int) -> list[str]:
        """Ids of bindings sealed under another key than ``key_id`` (rows another
        transaction holds are passed over: the next batch finds them)."""
        rows = await self.db.fetchall(
            "SELECT id FROM bindings WHERE vault_key_id <> $1 ORDER BY id"
            f" LIMIT $2{self.dialect.skip_locked}",
            key_id,
            limit,
        )
        return [str(r["id"]) for r in rows]

    async def count_by_key(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT vault_key_id, COUNT(*) AS n FROM bindings GROUP BY vault_key_id"
        )
        return {str(r["vault_key_id"]): int(r["n"]) for r in rows}


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
        found = await self.get(name)
        assert found is not None
        return found

    async def get(self, name: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM gateway_secrets WHERE name = $1", name)
        return None if row is None else str(row["value"])


class SqlRepositories:
    """``services.ports.Repositories`` over one transaction of any ``Executor``."""

    def __init__(self, db: Executor, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect
        self.orders = SqlOrders(db, dialect)
        self.merchants = SqlMerchants(db)
        self.outbox = SqlOutbox(db, dialect)
        self.secrets = SqlSecrets(db)
        self.sandbox = SqlSandbox(db, dialect)
        self.bindings = SqlBindings(db, dialect)

    # the back office's repositories live in a module of their own, which builds on this
    # one (so it is imported on first use, not at the top)
    @cached_property
    def dashboard_users(self) -> SqlDashboardUsers:
        from .dashboard_sql import SqlDashboardUsers

        return SqlDashboardUsers(self.db, self.dialect)

    @cached_property
    def audit(self) -> SqlAuditTrail:
        from .dashboard_sql import SqlAuditTrail

        return SqlAuditTrail(self.db)

    @cached_property
    def order_search(self) -> SqlOrderSearch:
        from .dashboard_sql import SqlOrderSearch

        return SqlOrderSearch(self.db)
