"""What the services need from the outside world, as Protocols.

- ``Store`` opens a transaction over per-aggregate repositories (``Repositories``: orders,
  merchants, outbox, secrets), implemented for SQLite and PostgreSQL in
  ``ecomgate.storage``.  Orders and their events are reached only through the unit of work
  (``uow.py``); the authenticator reads merchants with a transaction of its own.
- ``Links`` builds every URL the gateway hands out; the web layer implements it, so no
  service or connector formats a URL.
- ``Clock`` is injectable so that tests and the sandbox can move time.
- The acquirer port lives in ``ecomgate.acquirers.base``; only ``processing.py`` calls it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

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


class Outbox(Protocol):
    async def add(self, events: Sequence[Event]) -> None:
        """Written in the transaction of the change they report (design convention 7)."""


class Secrets(Protocol):
    async def get_or_create(self, name: str, value: str) -> str:
        """A secret shared by every gateway process (e.g. the emulator's token key)."""


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


class Store(Protocol):
    """Raises ``DatabaseUnavailable`` when the database cannot be reached."""

    engine: str  # "sqlite" | "postgresql"

    def transaction(self) -> AbstractAsyncContextManager[Repositories]: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...
