"""Time-driven changes: unpaid orders expire (spec §2.4), holds auto-complete or auto-reverse
at ``autocompletionDate``/``autoReverseDate`` (spec §3.2).

Readers already expire an overdue order the moment they look (``lifetime.expire_if_overdue``);
the sweeper makes the same changes when nobody looks, so ``declinedByTimeout`` and the other
callbacks go out on time.  Several gateway processes may sweep at once: ``due_orders``
claims rows with SKIP LOCKED (PostgreSQL; SQLite has one writer anyway).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ecomgate.domain import ids
from ecomgate.domain.errors import OrderNotFound, WrongState
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.operations import Operation, OperationKind
from ecomgate.domain.order import PAYABLE, Order

from .context import Services
from .lifecycle import OrderRef, call_acquirer, locked_order, record
from .lifetime import expire_if_overdue
from .ports import DatabaseUnavailable

log = logging.getLogger("ecomgate.sweeper")


@dataclass(frozen=True)
class SweepReport:
    expired: int = 0
    deposited: int = 0
    reversed: int = 0


async def sweep(services: Services, *, limit: int = 100) -> SweepReport:
    """One pass: expire what is overdue, start due auto-completions/-reversals."""
    now = services.clock.now_ms()
    holds: list[tuple[Order, Operation]] = []
    expired = 0
    async with services.store.transaction() as tx:
        for order_id in await tx.due_orders(now, limit):
            order = await tx.get_order(order_id, for_update=True)
            if order is None:  # pragma: no cover - orders are never deleted
                continue
            if await expire_if_overdue(tx, order, now):
                expired += 1
                continue
            kind = order.due_hold_action(now)
            if kind is None:
                continue
            # reserve in the claiming transaction: the PENDING record takes the order off
            # the queue before the acquirer is asked, so no other sweeper repeats it
            op = order.reserve(kind, ids.uuid7(now), order.totals.approved_amount, now)
            await tx.save_order(order)
            holds.append((order, op))
    deposited = reversed_ = 0
    for order, op in holds:
        result = await call_acquirer(services, order, op)
        await record(services, order.id, op.id, result)
        if op.kind is OperationKind.DEPOSIT:
            deposited += 1
        else:
            reversed_ += 1
    return SweepReport(expired, deposited, reversed_)


async def run_sweeper(services: Services, interval: float) -> None:
    """Sweep every ``interval`` seconds until cancelled; a failed pass is logged, not fatal."""
    while True:
        try:
            while True:  # drain a backlog without waiting between full batches
                report = await sweep(services)
                if report.expired + report.deposited + report.reversed < 100:
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
    """Sandbox control: end the order's lifetime now and expire it (status 6 / -2007)."""
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await locked_order(tx, merchant, OrderRef(order_id=order_id))
        if order.status not in PAYABLE:
            raise WrongState("order_not_payable", status=int(order.status))
        order.expires_at = min(order.expires_at, now)
        events = order.expire(now)
        await tx.save_order(order)
        await tx.add_events(events)
    if not events:  # pragma: no cover - a payable order past its lifetime always expires
        raise OrderNotFound()
    return order
