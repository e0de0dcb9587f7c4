"""Time-driven changes: unpaid orders expire (spec §2.4), holds auto-complete or auto-reverse
at ``autocompletionDate``/``autoReverseDate`` (spec §3.2), and operations whose acquirer
answer never came are reconciled (``reconcile.py``).

Readers already expire an overdue order the moment they look (the unit of work does it);
the sweeper makes the same changes when nobody looks, so ``declinedByTimeout`` and the
other callbacks go out on time.  Several gateway processes may sweep at once: ``due``
claims rows with SKIP LOCKED (PostgreSQL; SQLite has one writer anyway), and every change
is re-checked under the order's row lock, so two sweepers never repeat one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ecomgate.domain import ids
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.operations import Operation, OperationKind
from ecomgate.domain.order import Order

from .context import Services
from .lifecycle import send
from .ports import DatabaseUnavailable
from .reconcile import reconcile
from .uow import OrderRef

log = logging.getLogger("ecomgate.sweeper")

#: orders (and pending operations) looked at per batch
BATCH = 100


@dataclass(frozen=True)
class SweepReport:
    expired: int = 0
    deposited: int = 0
    reversed: int = 0
    #: pending operations settled by the reconciler
    reconciled: int = 0

    @property
    def total(self) -> int:
        return self.expired + self.deposited + self.reversed + self.reconciled


async def sweep(services: Services, *, limit: int = BATCH, reconciling: bool = True) -> SweepReport:
    """One pass: expire what is overdue, start due auto-completions/-reversals, and (unless
    ``reconciling`` is off: the running sweeper reconciles in a loop of its own) reconcile
    operations whose answer never came."""
    now = services.clock.now_ms()
    async with services.uow.transaction() as repos:
        due = await repos.orders.due(now, limit)
    expired = deposited = reversed_ = 0
    for order_id in due:
        async with services.uow.order(OrderRef(order_id=order_id)) as scope:
            order = scope.order
            kind = order.due_hold_action(now)
            op: Operation | None = None
            if kind is not None:
                # the PENDING record takes the order off the queue before the acquirer is
                # asked, so no other sweeper repeats it; stamped now, sent right after
                sent_at = services.clock.now_ms()
                op = order.reserve(kind, ids.uuid7(sent_at), order.totals.approved_amount, sent_at)
        if scope.expired_on_load:
            expired += 1
        if op is not None:
            # sent at once, not after the other holds: the reconciler counts from sent_at
            await send(services, order, op, scope.owner)
            if op.kind is OperationKind.DEPOSIT:
                deposited += 1
            else:
                reversed_ += 1
    reconciled = await reconcile(services, limit=limit) if reconciling else 0
    return SweepReport(expired, deposited, reversed_, reconciled)


async def _every(interval: float, one_pass: Callable[[], Awaitable[int]]) -> None:
    """``one_pass`` every ``interval`` seconds until cancelled (a full batch is followed at
    once by the next); a failed pass is logged, not fatal."""
    while True:
        try:
            while await one_pass() >= BATCH:
                pass
        except asyncio.CancelledError:
            raise
        except DatabaseUnavailable as exc:
            # an outage is reported by /health; one line per pass is enough here
            log.warning("sweep skipped: %s", exc)
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(interval)


async def run_sweeper(services: Services, interval: float) -> None:
    """Expiry and holds in one loop, the reconciler in another: status inquiries to a slow
    acquirer never hold up ``declinedByTimeout`` or an auto-completion."""

    async def expiry_pass() -> int:
        return (await sweep(services, reconciling=False)).total

    async def reconcile_pass() -> int:
        return await reconcile(services, limit=BATCH)

    async with asyncio.TaskGroup() as group:
        group.create_task(_every(interval, expiry_pass))
        group.create_task(_every(interval, reconcile_pass))


async def expire_now(services: Services, merchant: Merchant, order_id: str) -> Order:
    """Sandbox control: end the order's lifetime now and expire it (status 6 / -2007).
    Refused with errorCode 7, nothing changed, while the acquirer is authorizing it."""
    async with services.uow.order(OrderRef(order_id=order_id), merchant=merchant) as scope:
        if not scope.expired_on_load:  # overdue and not swept yet: expired just now
            scope.order.end_lifetime(services.clock.now_ms())
    return scope.order
