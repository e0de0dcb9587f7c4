"""No order stays frozen: an acquirer that never answers, or a connector that raises, leaves
the operation PENDING, and the reconciler settles it as the acquirer's status inquiry says
(or, past the deadline, declines it) — on both engines, with the clock moved, not waited."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    AuthorizationResult,
    Capabilities,
    OperationRequest,
    OperationResult,
    Outcome,
    SyncRequest,
    SyncResult,
)
from ecomgate.domain import codes
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.operations import OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot
from ecomgate.services import expiry, lifecycle, payment, reconcile
from ecomgate.services.context import Services
from ecomgate.services.lifecycle import RefundCommand
from ecomgate.services.payment import CardForm, Next
from ecomgate.services.register import RegisterCommand, register
from ecomgate.services.uow import OrderRef

from .test_lifecycle import load, new_merchant, paid_order

CARD = CardForm("4563960122001999", "2030", "12", "347", "TEST CARDHOLDER")
TIMEOUT_MS = 200
AFTER_MS = 60_000
DEADLINE_MS = 900_000


@dataclass
class MovableClock:
    now: int

    def now_ms(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


@dataclass
class SilentAcquirer:
    """Never answers the first call of each kind (or raises ``error``); its status inquiry
    answers ``sync_answer`` (None: never answers that either)."""

    sync_answer: SyncResult | None = None
    error: BaseException | None = None
    name: str = "silent"
    capabilities: Capabilities = field(default_factory=Capabilities)
    terminal_id: str = "T1"
    syncs: list[SyncRequest] = field(default_factory=list)
    seen: list[Any] = field(default_factory=list)

    async def _hang(self, request: Any) -> Any:
        self.seen.append(request)
        if self.error is not None:
            raise self.error
        await asyncio.Event().wait()  # the processor never answers

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        return await self._hang(request)  # type: ignore[no-any-return]

    async def complete_3ds(self, completion: object) -> AuthorizationResult:
        return await self._hang(completion)  # type: ignore[no-any-return]

    async def deposit(self, request: OperationRequest) -> OperationResult:
        return await self._hang(request)  # type: ignore[no-any-return]

    async def reverse(self, request: OperationRequest) -> OperationResult:
        return await self._hang(request)  # type: ignore[no-any-return]

    async def refund(self, request: OperationRequest) -> OperationResult:
        return await self._hang(request)  # type: ignore[no-any-return]

    async def sync(self, request: SyncRequest) -> SyncResult:
        self.syncs.append(request)
        if self.sync_answer is None:
            await asyncio.Event().wait()
        assert self.sync_answer is not None
        return self.sync_answer


APPROVED = SyncResult(
    Outcome.APPROVED, 0, approval_code="S1Y2N3", reference_number="612345678901", eci="07"
)


def silent(services: Services, acquirer: SilentAcquirer) -> tuple[Services, MovableClock]:
    clock = MovableClock(services.clock.now_ms())
    policy = replace(
        services.policy,
        acquirer_timeout_ms=TIMEOUT_MS,
        reconcile_after_ms=AFTER_MS,
        reconcile_deadline_ms=DEADLINE_MS,
    )
    return replace(services, acquirer=acquirer, clock=clock, policy=policy), clock  # type: ignore[arg-type]


async def new_order(services: Services, merchant: Merchant, *, two_phase: bool = False) -> str:
    order = await register(
        services,
        merchant,
        RegisterCommand(two_phase=two_phase, amount=2000, return_url="https://s.example/ok"),
    )
    return order.id


async def events_of(services: Services, order_id: str) -> list[tuple[str, int]]:
    async with services.store.transaction() as tx:
        rows = await tx.db.fetchall(  # type: ignore[attr-defined]
            "SELECT operation, status FROM outbox_events WHERE order_id = $1 ORDER BY stream_seq",
            order_id,
        )
    return [(r["operation"], r["status"]) for r in rows]


async def pay_unanswered(services: Services, merchant: Merchant) -> str:
    """A payment whose authorization is never answered: it returns within the timeout."""
    order_id = await new_order(services, merchant)
    async with asyncio.timeout(TIMEOUT_MS / 1000 + 5):  # bounded: the acquirer never answers
        result = await payment.pay(services, order_id, CARD)
    assert result.next is Next.PROCESSING
    order = result.order
    assert order.status is OrderStatus.CREATED  # spec §2: still 0 while processing asks
    assert order.action_code == codes.PROCESSING_TIMEOUT
    assert order.payment_in_progress
    return order_id


async def test_an_authorization_never_answered_is_paid_when_the_acquirer_says_approved(
    services: Services,
) -> None:
    acquirer = SilentAcquirer(sync_answer=APPROVED)
    gateway, clock = silent(services, acquirer)
    merchant = await new_merchant(gateway)
    order_id = await pay_unanswered(gateway, merchant)

    await expiry.sweep(gateway)
    assert (await load(gateway, order_id)).payment_in_progress  # too young to ask about
    clock.advance(AFTER_MS)
    assert (await expiry.sweep(gateway)).reconciled >= 1

    order = await load(gateway, order_id)
    assert order.status is OrderStatus.DEPOSITED
    assert order.approval_code == "S1Y2N3"
    assert order.auth_ref_num == "612345678901"
    assert await events_of(gateway, order_id) == [("deposited", 1)]
    (inquiry,) = [r for r in acquirer.syncs if r.order_id == order_id]
    assert inquiry.operation is OperationKind.AUTHORIZATION
    assert inquiry.operation_id == acquirer.seen[0].operation_id  # the idempotency key
    assert inquiry.masked_pan == "456396**1999"


async def test_an_authorization_never_answered_is_declined_when_the_acquirer_says_declined(
    services: Services,
) -> None:
    gateway, clock = silent(services, SilentAcquirer(sync_answer=SyncResult(Outcome.DECLINED, 5)))
    merchant = await new_merchant(gateway)
    order_id = await pay_unanswered(gateway, merchant)
    clock.advance(AFTER_MS)
    await expiry.sweep(gateway)
    order = await load(gateway, order_id)
    assert (order.status, order.action_code) == (OrderStatus.DECLINED, 5)
    assert not order.payment_in_progress
    assert await events_of(gateway, order_id) == [("declinedCardpresent", 0), ("deposited", 0)]


async def test_a_request_the_acquirer_never_received_is_declined_with_151018(
    services: Services,
) -> None:
    answer = SyncResult(Outcome.DECLINED, 0, found=False)
    gateway, clock = silent(services, SilentAcquirer(sync_answer=answer))
    merchant = await new_merchant(gateway)
    order_id = await pay_unanswered(gateway, merchant)
    clock.advance(AFTER_MS)
    await expiry.sweep(gateway)
    order = await load(gateway, order_id)
    assert (order.status, order.action_code) == (
        OrderStatus.DECLINED,
        codes.NOT_RECEIVED_BY_ACQUIRER,
    )


async def test_an_acquirer_silent_past_the_deadline_declines_and_the_buyer_may_retry(
    services: Services,
) -> None:
    gateway, clock = silent(services, SilentAcquirer(sync_answer=None))
    merchant = await new_merchant(gateway)
    gateway_merchant = replace(merchant, settings=replace(merchant.settings, max_attempts=2))
    order_id = await new_order(gateway, gateway_merchant)
    async with gateway.uow.transaction() as repos:
        await repos.merchants.update(gateway_merchant)
    await payment.pay(gateway, order_id, CARD)

    passes = 0
    while (await load(gateway, order_id)).payment_in_progress:
        passes += 1
        assert passes <= 12, "the reconciler never gave up"
        clock.advance(AFTER_MS * 4)
        await expiry.sweep(gateway)  # every status inquiry times out too
    order = await load(gateway, order_id)
    # one attempt of two used: the order is payable again, with the reason shown
    assert (order.status, order.action_code) == (OrderStatus.CREATED, codes.PROCESSING_TIMEOUT)
    auth = order.operations[0]
    assert auth.state is OperationState.DECLINED
    assert auth.sync_attempts >= 2
    assert clock.now - (auth.sent_at or 0) >= DEADLINE_MS


async def test_an_unpaid_order_whose_lifetime_ended_expires_once_nothing_authorizes_it(
    services: Services,
) -> None:
    gateway, clock = silent(services, SilentAcquirer(sync_answer=None))
    merchant = await new_merchant(gateway)
    merchant = replace(merchant, settings=replace(merchant.settings, max_attempts=3))
    async with gateway.uow.transaction() as repos:
        await repos.merchants.update(merchant)
    order_id = await new_order(gateway, merchant)  # lifetime: 1200 s
    await payment.pay(gateway, order_id, CARD)
    clock.advance(1_300_000)  # past the lifetime and past the deadline
    await expiry.sweep(gateway)
    await expiry.sweep(gateway)
    order = await load(gateway, order_id)
    assert order.status is OrderStatus.DECLINED
    assert not order.payment_in_progress


async def test_a_connector_bug_leaves_the_payment_pending_logged_and_the_reconciler_settles_it(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    acquirer = SilentAcquirer(sync_answer=APPROVED, error=ZeroDivisionError("bug in connector"))
    gateway, clock = silent(services, acquirer)
    merchant = await new_merchant(gateway)
    order_id = await new_order(gateway, merchant)
    with caplog.at_level(logging.ERROR, logger="ecomgate.processing"):
        result = await payment.pay(gateway, order_id, CARD)
    assert result.next is Next.PROCESSING
    bug = [r for r in caplog.records if r.exc_info is not None]
    assert bug and isinstance(bug[0].exc_info[1], ZeroDivisionError)  # type: ignore[index]
    assert "4563960122001999" not in caplog.text
    stored = await load(gateway, order_id)
    assert stored.operations[0].state is OperationState.PENDING
    clock.advance(AFTER_MS)
    await expiry.sweep(gateway)
    assert (await load(gateway, order_id)).status is OrderStatus.DEPOSITED


async def test_a_refund_never_answered_is_refunded_when_the_acquirer_says_so(
    services: Services,
) -> None:
    acquirer = SilentAcquirer(sync_answer=SyncResult(Outcome.APPROVED, 0, "AP0001", "600000000001"))
    gateway, clock = silent(services, acquirer)
    merchant = await new_merchant(gateway)
    order = await paid_order(gateway, merchant, amount=5000)
    with pytest.raises(GatewayError) as refused:
        await lifecycle.refund(gateway, merchant, OrderRef(order.id), RefundCommand(amount=2000))
    assert refused.value.key == "acquirer_pending"
    assert (await load(gateway, order.id)).totals.refundable == 3000  # reserved meanwhile
    clock.advance(AFTER_MS)
    await expiry.sweep(gateway)
    refunded = await load(gateway, order.id)
    assert refunded.status is OrderStatus.REFUNDED
    assert refunded.totals.refunded == 2000
    assert ("refunded", 1) in await events_of(gateway, order.id)
    (inquiry,) = [r for r in acquirer.syncs if r.order_id == order.id]
    assert inquiry.operation is OperationKind.REFUND


async def test_a_deposit_never_answered_past_the_deadline_is_declined_and_the_hold_stays(
    services: Services,
) -> None:
    gateway, clock = silent(services, SilentAcquirer(sync_answer=None))
    merchant = await new_merchant(gateway)
    hold = await paid_order(gateway, merchant, two_phase=True, amount=5000)
    with pytest.raises(GatewayError):
        await lifecycle.deposit(gateway, merchant, OrderRef(hold.id), 0)
    with pytest.raises(GatewayError) as busy:  # a second one waits for the first
        await lifecycle.deposit(gateway, merchant, OrderRef(hold.id), 0)
    assert busy.value.key == "operation_in_progress"
    clock.advance(DEADLINE_MS)
    await expiry.sweep(gateway)
    order = await load(gateway, hold.id)
    assert order.status is OrderStatus.APPROVED
    deposit = next(op for op in order.operations if op.kind is OperationKind.DEPOSIT)
    assert (deposit.state, deposit.action_code) == (
        OperationState.DECLINED,
        codes.PROCESSING_TIMEOUT,
    )


async def test_the_reconciler_never_races_a_call_still_within_its_timeout(
    services: Services,
) -> None:
    acquirer = SilentAcquirer(sync_answer=APPROVED)
    gateway, clock = silent(services, acquirer)
    gateway = replace(gateway, policy=replace(gateway.policy, reconcile_after_ms=0))
    merchant = await new_merchant(gateway)
    order_id = await pay_unanswered(gateway, merchant)

    def asked() -> int:
        return len([r for r in acquirer.syncs if r.order_id == order_id])

    await expiry.sweep(gateway)
    assert asked() == 0  # younger than the acquirer timeout
    clock.advance(TIMEOUT_MS)
    await expiry.sweep(gateway)
    assert asked() == 0  # and its margin: the call starts a moment after it was stamped
    clock.advance(reconcile.SEND_MARGIN_MS)
    await expiry.sweep(gateway)
    assert asked() == 1


async def test_the_emulator_sync_answers_truthfully_from_the_gateways_record(
    services: Services,
) -> None:
    """A gateway that lost the emulator's answer (killed between the two units of work)
    learns it from the emulator's status inquiry: the test card decides, as it did."""
    clock = MovableClock(services.clock.now_ms())
    gateway = replace(services, clock=clock)
    merchant = await new_merchant(gateway)
    outcomes = {}
    for pan, cvc in (("4563960122001999", "347"), ("4444444411111111", "123")):
        order_id = await new_order(gateway, merchant)
        async with gateway.uow.order(OrderRef(order_id)) as scope:  # what pay() reserves
            card = payment.read_card(CardForm(pan, "2030", "12", cvc), clock.now)
            scope.order.start_attempt(
                clock.now,
                f"auth-{order_id}",
                CardSnapshot(card.masked_pan, "203012", "", "VISA"),
            )
        outcomes[pan] = order_id
    clock.advance(gateway.policy.reconcile_after_ms)
    await expiry.sweep(gateway)
    paid = await load(gateway, outcomes["4563960122001999"])
    declined = await load(gateway, outcomes["4444444411111111"])
    assert paid.status is OrderStatus.DEPOSITED
    assert (declined.status, declined.action_code) == (OrderStatus.DECLINED, 5)


class LateAcquirer(SilentAcquirer):
    """Answers the authorization only when ``release`` is set: after the reconciler."""

    def __init__(self, sync_answer: SyncResult) -> None:
        super().__init__(sync_answer=sync_answer)
        self.release = asyncio.Event()
        self.entered = asyncio.Event()

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        self.entered.set()
        await self.release.wait()
        return AuthorizationResult(Outcome.APPROVED, 0, "L1A2T3", "699999999999", "T9")


async def test_a_late_answer_contradicting_the_reconciler_keeps_its_record_and_is_logged(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    acquirer = LateAcquirer(SyncResult(Outcome.DECLINED, 0, found=False))
    gateway, clock = silent(services, acquirer)
    # the real-time bound stays generous: this test moves the clock, not the wall
    gateway = replace(gateway, policy=replace(gateway.policy, acquirer_timeout_ms=10_000))
    merchant = await new_merchant(gateway)
    order_id = await new_order(gateway, merchant)
    paying = asyncio.ensure_future(payment.pay(gateway, order_id, CARD))
    await acquirer.entered.wait()
    clock.advance(AFTER_MS)
    await expiry.sweep(gateway)  # the processor says it never got it: declined, 151018
    with caplog.at_level(logging.ERROR, logger="ecomgate.payment"):
        acquirer.release.set()
        result = await paying
    order = await load(gateway, order_id)
    assert (order.status, order.action_code) == (
        OrderStatus.DECLINED,
        codes.NOT_RECEIVED_BY_ACQUIRER,
    )
    assert result.order.status is OrderStatus.DECLINED
    assert "contradicts the reconciled declined" in caplog.text
    assert order_id in caplog.text
