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


async def sweep(services: Services, *, limit: int = BATCH) -> SweepReport:
    """One pass: expire what is overdue, start due auto-completions/-reversals, reconcile
    operations whose answer never came."""
    now = services.clock.now_ms()
    async with services.uow.transaction() as repos:
        due = await repos.orders.due(now, limit)
    holds: list[tuple[Order, Operation, Merchant]] = []
    expired = 0
    for order_id in due:
        async with services.uow.order(OrderRef(order_id=order_id)) as scope:
            order = scope.order
            kind = order.due_hold_action(now)
            if kind is not None:
                # the PENDING record takes the order off the queue before the acquirer is
                # asked, so no other sweeper repeats it
                op = order.reserve(kind, ids.uuid7(now), order.totals.approved_amount, now)
                holds.append((order, op, scope.owner))
        if scope.expired_on_load:
            expired += 1
    deposited = reversed_ = 0
    for order, op, owner in holds:
        await send(services, order, op, owner)
        if op.kind is OperationKind.DEPOSIT:
            deposited += 1
        else:
            reversed_ += 1
    reconciled = await reconcile(services, limit=limit)
    return SweepReport(expired, deposited, reversed_, reconciled)


async def run_sweeper(services: Services, interval: float) -> None:
    """Sweep every ``interval`` seconds until cancelled; a failed pass is logged, not fatal."""
    while True:
        try:
            while True:  # drain a backlog without waiting between full batches
                report = await sweep(services)
                if report.total < BATCH:
                    break
        except asyncio.CancelledError:
            raise
        except DatabaseUnavailable as exc:
            # an outage is reported by /health; one line per pass is enough here
            log.warning("sweep skipped: %s", exc)
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(interval)


async def expire_now(services: Services, merchant: Merchant, order_id: str) -> Order:
    """Sandbox control: end the order's lifetime now and expire it (status 6 / -2007).
    Refused with errorCode 7, nothing changed, while the acquirer is authorizing it."""
    async with services.uow.order(OrderRef(order_id=order_id), merchant=merchant) as scope:
        scope.order.end_lifetime(services.clock.now_ms())
    return scope.order
