"""What the services need from the outside world, as Protocols.

- ``Store`` opens a transaction over per-aggregate repositories (``Repositories``: orders,
  merchants, outbox, secrets, bindings; the outbox also keeps each callback's delivery log;
  the back office's users, audit trail and order search), implemented for SQLite and PostgreSQL in
  ``ecomgate.storage``.  Orders and their events are reached only through the unit of work
  (``uow.py``); the authenticator reads merchants with a transaction of its own.
- ``Links`` builds every URL the gateway hands out; the web layer implements it, so no
  service or connector formats a URL.
- ``Clock`` is injectable so that tests and the sandbox can move time.
- The acquirer port lives in ``ecomgate.acquirers.base``; only ``processing.py`` calls it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from ecomgate.domain.bindings import Binding
from ecomgate.domain.chaos import Chaos
from ecomgate.domain.dashboard_users import DashboardUser
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.events import Event
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class Links(Protocol):
    """Every URL the gateway hands out (implemented by ``web/links.py``)."""

    def form_url(self, order: Order, page: str) -> str:
        """The hosted payment page of ``order`` (spec §3.1 ``formUrl``)."""

    def three_ds2_return_url(self, language: str, order_id: str) -> str:
        """Where the 3-D Secure 2 ACS posts the buyer back with the CRes (finish3dsVer2.do,
        naming the order, as a CRes names only its transaction)."""

    def term_url(self, language: str) -> str:
        """Where an ACS posts the cardholder back (``finish3ds.do``, spec §3.9)."""

    def return_url(self, order: Order, *, success: bool) -> str:
        """The shop's returnUrl (or failUrl) with ``orderId`` and ``lang`` (spec §2.6)."""

    @property
    def acs_base(self) -> str:
        """Base URL under which a connector serves pages of its own (the emulator's ACS)."""


@dataclass(frozen=True)
class PendingOperation:
    """An operation sent to the acquirer whose answer is not recorded (the reconciler's)."""

    order_id: str
    operation_id: str


class DuplicateOrderNumber(Exception):
    """The merchant already has an order with this ``orderNumber``."""


class DuplicateLogin(Exception):
    """A merchant with this login exists already."""


class DatabaseUnavailable(GatewayError):
    """The database cannot be reached (refused, lost, timed out): the API answers
    errorCode 7 ``database_unavailable`` and /health 503.

    A ``Store`` raises it instead of driver errors.  Raised from a unit's body or its
    COMMIT, the unit's outcome is unknown to the caller (it may have committed); the store
    never retries such a unit itself, only the acquisition of a connection before anything
    was sent."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(7, "database_unavailable")
        self.detail = detail


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None:
        """Raises ``DuplicateOrderNumber``."""

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """``for_update`` locks the order row until the transaction ends."""

    async def get_by_number(
        self, merchant_id: str, order_number: str, *, for_update: bool = False
    ) -> Order | None: ...

    async def order_id_of_three_ds_trans(self, trans_id: str) -> str | None:
        """The order whose authorization carries this 3-D Secure 2 threeDSServerTransId."""

    async def save(self, order: Order) -> None:
        """Write the order's fields and every ledger record (new ones inserted, known ones
        updated)."""

    async def due(self, now: int, limit: int) -> list[str]:
        """Ids of orders whose lifetime or auto-completion/-reversal time has come.  SKIP
        LOCKED passes over rows another transaction holds; a sweeper re-checks every order
        under its row lock, so two sweepers that pick the same one never repeat a change."""

    async def awaiting_acquirer(
        self, now: int, sent_before: int, limit: int
    ) -> list[PendingOperation]:
        """PENDING operations handed to the acquirer before ``sent_before`` and not asked
        about since (``next_sync_at`` past ``now``), oldest first."""


class MerchantRepository(Protocol):
    async def add(self, merchant: Merchant) -> None:
        """Raises ``DuplicateLogin``."""

    async def update(self, merchant: Merchant) -> None: ...
    async def get(self, merchant_id: str) -> Merchant | None: ...
    async def get_by_login(self, login: str) -> Merchant | None: ...
    async def get_by_token_hash(self, token_hash: str) -> Merchant | None: ...
    async def list(self) -> list[Merchant]: ...


@dataclass(frozen=True)
class OutboxEntry:
    """An event as the outbox keeps it, with its delivery state (notifications/)."""

    id: str
    merchant_id: str
    #: the order id, or ``binding:<bindingId>``: events of one stream are sent in order
    stream: str
    stream_seq: int
    order_id: str | None
    binding_id: str | None
    operation: str
    status: int
    created_at: int
    #: the event's own callback parameters (``operationRefundedAmount``, ``bindingId``...)
    params: dict[str, str]
    #: the order's facts when the event happened (``amount``, ``maskedPan``...)
    facts: dict[str, str]
    #: the order's ``dynamicCallbackUrl`` ("" = the merchant's static URL)
    dynamic_url: str
    #: pending -> delivered | failed (retries used up) | skipped (nothing to send)
    state: str
    attempts: int
    next_try_at: int | None
    delivered_at: int | None
    last_error: str | None
    #: when it reached delivered, failed or skipped
    settled_at: int | None = None


@dataclass(frozen=True)
class CallbackAttempt:
    """One HTTP request of a callback, as its delivery log shows it."""

    id: str
    event_id: str
    #: the n-th request for this event, whoever made it (set when it is logged)
    attempt: int
    started_at: int
    #: dispatcher | resend | listen
    origin: str
    method: str
    url: str
    http_status: int | None
    latency_ms: int
    error: str | None


@dataclass(frozen=True)
class AttemptOutcome:
    """What an attempt leaves the event in: its new state and, if pending, the next try."""

    state: str
    #: when it happened (the retention of a settled event counts from here)
    at: int
    next_try_at: int | None = None
    delivered_at: int | None = None
    last_error: str | None = None
    #: False: a log line only (resend, listen), the attempts counter stays
    counts: bool = True


@dataclass(frozen=True)
class OutboxQuery:
    merchant_id: str | None = None
    order_id: str | None = None
    failed_only: bool = False
    limit: int = 50


class Outbox(Protocol):
    async def add(
        self,
        events: Sequence[Event],
        *,
        merchant_id: str | None = None,
        facts: Mapping[str, str] | None = None,
        dynamic_url: str = "",
    ) -> None:
        """Written in the transaction of the change they report (design convention 7).
        ``merchant_id``/``facts``/``dynamic_url`` describe the order of order events."""

    async def claim(self, now: int, lease_until: int, token: str, limit: int) -> list[OutboxEntry]:
        """Due pending events, each the oldest undelivered one of its stream, leased to
        ``token`` until ``lease_until`` (other dispatchers skip them meanwhile)."""

    async def lease(
        self, event_id: str, now: int, lease_until: int, token: str
    ) -> OutboxEntry | None:
        """One event, whatever its state, unless another sender holds it right now."""

    async def finish(
        self,
        entry: OutboxEntry,
        token: str,
        attempt: CallbackAttempt | None,
        outcome: AttemptOutcome,
    ) -> bool:
        """Log the attempt (None: nothing was sent) and, if ``token`` still holds the
        lease, apply ``outcome`` and release it; False when the lease had passed on."""

    async def log_attempt(self, attempt: CallbackAttempt) -> None:
        """A log line only (``ecomgate listen``); numbered after the event's others."""

    async def get(self, event_id: str) -> OutboxEntry | None: ...
    async def attempts(self, event_id: str) -> list[CallbackAttempt]: ...
    async def find(self, query: OutboxQuery) -> list[OutboxEntry]:
        """Newest first."""

    async def since(self, merchant_id: str, written_from: int, limit: int) -> list[OutboxEntry]:
        """A merchant's events written at or after ``written_from`` (the time their id was
        made, which no sandbox clock moves), oldest first."""

    async def earlier_pending(self, entry: OutboxEntry) -> bool:
        """Whether an earlier event of the entry's stream is still to be delivered."""

    async def release(self, event_id: str, token: str) -> None:
        """Give a lease back unused (a dispatcher stopping)."""

    async def prune(self, settled_before: int, now: int, limit: int) -> int:
        """Delete events settled before ``settled_before`` (delivered, failed, skipped),
        with their logs; never one somebody holds a lease on."""


class SandboxRepository(Protocol):
    """The sandbox's per-merchant state (sandbox mode only)."""

    async def chaos(self, merchant_id: str, *, for_update: bool = False) -> Chaos:
        """``for_update``: the merchant's sandbox row is made if missing, then locked."""

    async def chaos_of_order(self, order_id: str) -> tuple[str, Chaos] | None:
        """The merchant of the order and its chaos (None: no such order)."""

    async def set_chaos(self, merchant_id: str, chaos: Chaos) -> None: ...
    async def clock_offset_ms(self, merchant_id: str) -> int: ...
    async def shift_time(self, merchant_id: str, ms: int) -> None:
        """Move every time of the merchant's orders, ledger and callbacks ``ms`` into the
        past: for the merchant, ``ms`` have passed (its clock advanced)."""

    async def reset(self, merchant_id: str) -> int:
        """Delete the merchant's orders, ledger, callbacks and stored cards; the orders
        deleted."""


class Secrets(Protocol):
    async def get_or_create(self, name: str, value: str) -> str:
        """A secret shared by every gateway process (e.g. the emulator's token key)."""

    async def get(self, name: str) -> str | None: ...


class BindingRepository(Protocol):
    """Stored cards.  Rows hold the vault's sealed record, never the card in clear; a
    binding comes back without its expiry (the service layer opens the sealed card)."""

    async def add(self, binding: Binding) -> None: ...
    async def save(self, binding: Binding) -> None: ...
    async def delete(self, binding_id: str) -> None: ...
    async def get(self, binding_id: str, *, for_update: bool = False) -> Binding | None:
        """``for_update`` locks the row until the transaction ends."""

    async def for_client(self, merchant_id: str, client_id: str) -> list[Binding]:
        """The merchant's confirmed bindings of one ``clientId``, oldest first."""

    async def by_pan_hash(self, merchant_id: str, pan_hashes: Sequence[str]) -> list[Binding]:
        """The merchant's confirmed bindings whose PAN lookup hash is one of these."""

    async def pending_for_order(self, order_id: str) -> Binding | None:
        """The unconfirmed binding the payment of ``order_id`` is storing, if any."""

    async def lock_card(self, merchant_id: str, client_id: str, pan_hash: str) -> None:
        """Until the transaction ends, no other one confirms a binding of this card for
        this client (PostgreSQL: an advisory lock; SQLite has one writer anyway)."""

    async def not_under_key(self, key_id: str, limit: int) -> list[str]:
        """Ids of bindings sealed under another vault key (key rotation's next batch)."""

    async def count_by_key(self) -> dict[str, int]: ...


class DuplicateEmail(Exception):
    """A back-office user with this email exists already."""


@dataclass(frozen=True)
class DashboardSession:
    """A signed-in browser: the cookie carries a token, the row its SHA-256 (``id``)."""

    id: str
    user_id: str
    csrf_token: str
    created_at: int
    expires_at: int
    ip: str
    #: an operator's choice of merchant: read-only, or ``acting`` as it (audited)
    merchant_id: str | None = None
    acting: bool = False


class DashboardUserRepository(Protocol):
    """The back office's people and their sessions."""

    async def add(self, user: DashboardUser) -> None:
        """Raises ``DuplicateEmail``."""

    async def update(self, user: DashboardUser) -> None: ...
    async def get(self, user_id: str) -> DashboardUser | None: ...
    async def get_by_email(self, email: str, *, for_update: bool = False) -> DashboardUser | None:
        """``for_update`` locks the row (counting failed sign-ins of racing requests)."""

    async def for_merchant(self, merchant_id: str) -> list[DashboardUser]: ...
    async def add_session(self, session: DashboardSession) -> None: ...
    async def session(self, session_id: str) -> DashboardSession | None: ...
    async def update_session(self, session: DashboardSession) -> None: ...
    async def delete_session(self, session_id: str) -> None: ...
    async def delete_sessions_of(self, user_id: str) -> None: ...
    async def prune_sessions(self, now: int) -> None:
        """Delete the sessions that have expired."""


@dataclass(frozen=True)
class AuditEntry:
    """One action taken in the dashboard or the CLI: who, what, when, from where."""

    id: str
    at: int
    actor: str
    #: dashboard | cli
    channel: str
    source: str
    merchant_id: str | None
    action: str
    target: str
    details: dict[str, str]


class AuditTrail(Protocol):
    """Append-only: entries are added and read, never changed or deleted."""

    async def append(self, entry: AuditEntry) -> None: ...
    async def recent(
        self, *, merchant_id: str | None = None, before_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; ``before_id``: the next page after the one that ended there."""


@dataclass(frozen=True)
class OrderFilter:
    """What the back office's order list may be narrowed by (all optional)."""

    status: int | None = None
    created_from: int | None = None
    #: exclusive
    created_to: int | None = None
    order_number: str | None = None
    order_id: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    pan_last4: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class OrderCursor:
    """Keyset position: the list continues with orders older than this one."""

    created_at: int
    order_id: str


@dataclass(frozen=True)
class DayFigures:
    """One day (UTC) of a merchant's orders in one currency."""

    day_start: int
    currency: str
    #: orders approved or paid (statuses 1, 2, 4) and the sum of their amounts
    paid_orders: int
    turnover: int
    #: orders whose payment was declined (status 6 after at least one attempt)
    declined_orders: int


class OrderSearch(Protocol):
    """The back office's reads over one merchant's orders; never another merchant's."""

    async def page(
        self, merchant_id: str, where: OrderFilter, after: OrderCursor | None, limit: int
    ) -> list[Order]:
        """Newest first (created_at, id), with their ledgers."""

    async def daily(self, merchant_id: str, created_from: int, created_to: int) -> list[DayFigures]:
        """Per UTC day and currency, days without orders left out."""

    async def bindings(self, merchant_id: str, order_id: str, binding_id: str) -> list[Binding]:
        """The merchant's bindings created by the order or named by it (paid with)."""


class Repositories(Protocol):
    """One database transaction over every repository."""

    @property
    def orders(self) -> OrderRepository: ...
    @property
    def merchants(self) -> MerchantRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def secrets(self) -> Secrets: ...
    @property
    def sandbox(self) -> SandboxRepository: ...
    @property
    def bindings(self) -> BindingRepository: ...
    @property
    def dashboard_users(self) -> DashboardUserRepository: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def order_search(self) -> OrderSearch: ...


class Store(Protocol):
    """Raises ``DatabaseUnavailable`` when the database cannot be reached."""

    engine: str  # "sqlite" | "postgresql"

    def transaction(self) -> AbstractAsyncContextManager[Repositories]: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...
