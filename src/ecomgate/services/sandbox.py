"""The sandbox's use cases (sandbox mode only): merchants made by a test suite, one
merchant's data reset, its clock moved, its chaos set.

**A clock per merchant.**  Advancing a merchant's clock by N seconds moves every time of
its orders, ledger and callbacks N seconds into the past.  For that merchant N seconds
have passed: its unpaid orders are past their lifetime, its holds due for
auto-completion, its callback retries and unknown answers due for another look.  Nobody
else's time moves, and only one thing reads the merchant's offset: the expiry of its
stored cards, whose expiry month cannot move (``bindings.cards_now``).  A sweep runs at once, so what became due has happened when the call returns (the callbacks
it causes go out with the dispatcher's next pass).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from ecomgate.domain.chaos import CALLBACK_MODES, Chaos
from ecomgate.domain.errors import GatewayError, InvalidParameter
from ecomgate.domain.merchant import Merchant, Permission

from . import expiry
from . import merchants as merchant_service
from .context import Services
from .ports import Store

#: what a merchant made for a test suite may do unless it asks otherwise: everything a
#: shop's tests need (server-to-server payment to pay without a browser, holds completed or
#: reversed at a date)
SANDBOX_PERMISSIONS = (
    Permission.CARD_PAYMENT_API.value,
    Permission.AUTO_COMPLETION.value,
    Permission.AUTO_REVERSE.value,
    Permission.FEE_INPUT.value,
)
#: the furthest one call may move a clock (ten years)
MAX_ADVANCE_SECONDS = 10 * 366 * 86_400


async def create_merchant(
    services: Services,
    *,
    login: str,
    permissions: Iterable[str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Merchant, str]:
    """A new merchant and its password (made here, returned once)."""
    password = secrets.token_urlsafe(18)
    # paymentorder.do stays: it is how a test suite pays without a browser
    chosen = SANDBOX_PERMISSIONS if permissions is None else (*permissions, "card-payment-api")
    merchant = await merchant_service.create_merchant(
        services, login=login, password=password, permissions=chosen
    )
    if settings:
        merchant = await merchant_service.update_merchant(services, login, settings=dict(settings))
    return merchant, password


async def reset(services: Services, merchant: Merchant) -> int:
    """Delete the merchant's orders, ledger, callbacks and stored cards, its clock and its
    chaos; the merchant and its settings stay.  How many orders were deleted."""
    async with services.uow.transaction() as repos:
        return await repos.sandbox.reset(merchant.id)


async def advance_clock(services: Services, merchant: Merchant, seconds: int) -> int:
    """The merchant's clock moves ``seconds`` forward; its total offset in seconds."""
    if not 0 < seconds <= MAX_ADVANCE_SECONDS:
        raise InvalidParameter("seconds")
    async with services.uow.transaction() as repos:
        await repos.sandbox.shift_time(merchant.id, seconds * 1000)
        offset = await repos.sandbox.clock_offset_ms(merchant.id)
    await expiry.sweep(services)
    return offset // 1000


async def clock_offset(services: Services, merchant: Merchant) -> int:
    async with services.uow.transaction() as repos:
        return await repos.sandbox.clock_offset_ms(merchant.id) // 1000


async def chaos(services: Services, merchant: Merchant) -> Chaos:
    async with services.uow.transaction() as repos:
        return await repos.sandbox.chaos(merchant.id)


async def set_chaos(services: Services, merchant: Merchant, changes: Mapping[str, Any]) -> Chaos:
    """Change some of the merchant's chaos (the others stay as they are)."""
    async with services.uow.transaction() as repos:
        current = await repos.sandbox.chaos(merchant.id, for_update=True)
        updated = _checked(current, changes)
        await repos.sandbox.set_chaos(merchant.id, updated)
    return updated


async def clear_chaos(services: Services, merchant: Merchant) -> Chaos:
    async with services.uow.transaction() as repos:
        await repos.sandbox.set_chaos(merchant.id, Chaos())
    return Chaos()


def _checked(current: Chaos, changes: Mapping[str, Any]) -> Chaos:
    values = current.__dict__ | dict(changes)
    if values["callbacks"] not in CALLBACK_MODES:
        raise GatewayError(5, "bad_chaos_callbacks")
    for name in ("acquirer_latency_ms", "callback_delay_ms", "action_code_count"):
        if not 0 <= int(values[name]) <= 3_600_000:
            raise InvalidParameter(name)
    if values["action_code"] is not None and not values["action_code_count"]:
        values["action_code_count"] = 1  # "decline the next one"
    return Chaos(**values)


class StoreChaos:
    """``acquirers.chaos.ChaosSource`` over the store: the chaos of an order's merchant."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def for_order(self, order_id: str) -> Chaos:
        async with self.store.transaction() as repos:
            found = await repos.sandbox.chaos_of_order(order_id)
        return Chaos() if found is None else found[1]

    async def take_decline(self, order_id: str) -> int | None:
        async with self.store.transaction() as repos:
            found = await repos.sandbox.chaos_of_order(order_id)
            if found is None:
                return None
            merchant_id = found[0]
            current = await repos.sandbox.chaos(merchant_id, for_update=True)
            code, left = current.decline_next()
            if code is not None:
                await repos.sandbox.set_chaos(merchant_id, left)
        return code
