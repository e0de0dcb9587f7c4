"""Reading an order (getOrderStatusExtended.do, getOrderStatus.do, the payment page).

An unpaid order past its lifetime is expired the moment anyone looks (spec §2.4, applied by
the unit of work), so a reader never sees a stale "still payable" order even if the
sweeper has not run yet.
"""

from __future__ import annotations

from ecomgate.domain.errors import OrderNotFound
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order

from .context import Services
from .uow import OrderRef


async def find_order(services: Services, merchant: Merchant, ref: OrderRef) -> Order:
    """The merchant's order by id (wins) or number.  A foreign order is "not found"."""
    return await services.uow.read(ref, merchant=merchant)


async def order_for_page(services: Services, order_id: str) -> tuple[Order, Merchant] | None:
    """Any order by id with its merchant, for the payment page (which has no merchant
    credentials: the order id is the key)."""
    try:
        order = await services.uow.read(OrderRef(order_id=order_id))
    except OrderNotFound:
        return None
    return order, await services.uow.owner(order)
