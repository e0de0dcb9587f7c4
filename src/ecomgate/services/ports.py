"""What the services need from the outside world, as Protocols.

Storage implements ``Store``/``Transaction`` (SQLite and PostgreSQL, ``ecomgate.storage``);
the acquirer port lives in ``ecomgate.acquirers.base``; the clock is injectable so tests and
the sandbox can move time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from ecomgate.domain.errors import GatewayError
from ecomgate.domain.events import OrderEvent
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


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


class Transaction(Protocol):
    """One database transaction.  Every use case runs in exactly one (or a few short ones
    around an acquirer call); ``for_update`` locks the order row until it ends."""

    # merchants
    async def insert_merchant(self, merchant: Merchant) -> None: ...
    async def update_merchant(self, merchant: Merchant) -> None: ...
    async def get_merchant(self, merchant_id: str) -> Merchant | None: ...
    async def get_merchant_by_login(self, login: str) -> Merchant | None: ...
    async def get_merchant_by_token_hash(self, token_hash: str) -> Merchant | None: ...
    async def list_merchants(self) -> list[Merchant]: ...

    # orders
    async def insert_order(self, order: Order) -> None:
        """Raises ``DuplicateOrderNumber``."""

    async def get_order(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    async def get_order_by_number(
        self, merchant_id: str, order_number: str, *, for_update: bool = False
    ) -> Order | None: ...
    async def save_order(self, order: Order) -> None:
        """Write the order's fields and every ledger record (new ones inserted, known ones
        updated)."""

    async def due_orders(self, now: int, limit: int) -> list[str]:
        """Ids of orders whose lifetime or auto-completion/-reversal time has come, claimed
        so that concurrent sweepers never pick the same row (SKIP LOCKED)."""

    # outbox
    async def add_events(self, events: Sequence[OrderEvent]) -> None: ...

    # secrets shared by every gateway process (e.g. the emulator's token key)
    async def get_or_create_secret(self, name: str, value: str) -> str: ...


class Store(Protocol):
    """Raises ``DatabaseUnavailable`` when the database cannot be reached."""

    engine: str  # "sqlite" | "postgresql"

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...
