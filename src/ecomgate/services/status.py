"""Reading an order (getOrderStatusExtended.do, getOrderStatus.do, the payment page).

An unpaid order past its lifetime is expired the moment anyone looks (spec §2.4), so a
reader never sees a stale "still payable" order even if the sweeper has not run yet.
"""

from __future__ import annotations

from ecomgate.domain.errors import OrderNotFound
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order

from .context import Services
from .lifetime import expire_if_overdue


async def _as_of_now(services: Services, order: Order) -> Order:
    now = services.clock.now_ms()
    if not order.is_overdue(now):
        return order
    async with services.store.transaction() as tx:
        locked = await tx.get_order(order.id, for_update=True)
        if locked is None:  # pragma: no cover - orders are never deleted
            raise OrderNotFound()
        await expire_if_overdue(tx, locked, now)
    return locked


async def find_order(
    services: Services,
    merchant: Merchant,
    *,
    order_id: str | None = None,
    order_number: str | None = None,
) -> Order:
    """The merchant's order by id (wins) or number.  A foreign order is "not found"."""
    async with services.store.transaction() as tx:
        if order_id is not None:
            order = await tx.get_order(order_id)
        elif order_number is not None:
            order = await tx.get_order_by_number(merchant.id, order_number)
        else:  # pragma: no cover - the adapter checks this first
            order = None
    if order is None or order.merchant_id != merchant.id:
        raise OrderNotFound()
    return await _as_of_now(services, order)


async def get_order(services: Services, order_id: str) -> Order | None:
    """Any order by id, for the payment page (which has no merchant credentials)."""
    async with services.store.transaction() as tx:
        order = await tx.get_order(order_id)
    if order is None:
        return None
    return await _as_of_now(services, order)


async def get_merchant(services: Services, merchant_id: str) -> Merchant | None:
    async with services.store.transaction() as tx:
        return await tx.get_merchant(merchant_id)
