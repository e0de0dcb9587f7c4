"""The clock never overrules an acquirer that is authorizing: a card charged while the
order's lifetime ran out still leaves the order paid, on both engines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from ecomgate.acquirers.base import AuthorizationRequest, AuthorizationResult
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.merchant import Merchant
from ecomgate.services import expiry, payment
from ecomgate.services.context import Services
from ecomgate.services.payment import CardForm
from ecomgate.services.register import RegisterCommand, register
from ecomgate.services.uow import OrderRef

from ..support import make_merchant

CARD = CardForm("4563960122001999", "2030", "12", "347", "TEST CARDHOLDER")


@dataclass
class MovableClock:
    now: int

    def now_ms(self) -> int:
        return self.now


class GatedAcquirer:
    """The emulator, but ``authorize`` waits for ``gate`` before answering."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.name = "gated"

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.authorize(request)  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, item: str) -> object:
        return getattr(self.inner, item)


async def _merchant(services: Services) -> Merchant:
    creds = await make_merchant(services)
    async with services.store.transaction() as tx:
        found = await tx.merchants.get_by_login(creds.login)
    assert found is not None
    return found


async def test_an_order_that_expires_while_the_acquirer_authorizes_ends_paid(
    services: Services,
) -> None:
    clock = MovableClock(services.clock.now_ms())
    acquirer = GatedAcquirer(services.acquirer)
    # the reconciler would ask the acquirer only after 10 minutes: this test is about expiry
    policy = replace(services.policy, reconcile_after_ms=600_000)
    gated = replace(services, clock=clock, acquirer=acquirer, policy=policy)  # type: ignore[arg-type]
    merchant = await _merchant(services)
    order = await register(
        gated,
        merchant,
        RegisterCommand(two_phase=False, amount=2000, return_url="https://s.example/ok",
                        session_timeout_secs=60),
    )  # fmt: skip
    paying = asyncio.ensure_future(payment.pay(gated, order.id, CARD))
    await acquirer.entered.wait()

    clock.now += 61_000  # the lifetime ends while the acquirer holds the card
    await expiry.sweep(gated)
    looked = await gated.uow.read(OrderRef(order_id=order.id))
    assert looked.status is OrderStatus.CREATED

    acquirer.gate.set()
    result = await paying
    assert result.order.status is OrderStatus.DEPOSITED
    final = await gated.uow.read(OrderRef(order_id=order.id))
    assert final.status is OrderStatus.DEPOSITED
    assert final.totals.deposited_amount == 2000
