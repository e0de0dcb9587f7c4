"""The order lifetime, applied wherever an order is looked at (spec §2.4)."""

from __future__ import annotations

from ecomgate.domain.order import Order

from .ports import Transaction


async def expire_if_overdue(tx: Transaction, order: Order, now: int) -> bool:
    """Expire an overdue unpaid order on the spot, with its ``declinedByTimeout`` event in
    the same transaction; True if it just happened.  ``order`` must be row-locked by ``tx``."""
    events = order.expire(now)
    if events:
        await tx.save_order(order)
        await tx.add_events(events)
    return bool(events)
