"""The lifecycle use cases on SQLite and PostgreSQL, with a scripted acquirer where the
emulator cannot misbehave on demand (unknown answers, declines, slow calls)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace

import pytest

from ecomgate.acquirers.base import Capabilities, OperationRequest, OperationResult, Outcome
from ecomgate.domain import ids
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.operations import OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services import expiry, lifecycle
from ecomgate.services.context import Services
from ecomgate.services.lifecycle import RefundCommand
from ecomgate.services.uow import OrderRef

from ..support import make_merchant

CARD = CardSnapshot("456396**1999", "203012", "TEST CARDHOLDER", "VISA")


@dataclass
class ScriptedAcquirer:
    """Answers every operation with ``outcome``; ``gate`` holds calls until it is set."""

    outcome: Outcome = Outcome.APPROVED
    fail: bool = False
    gate: asyncio.Event | None = None
    calls: list[tuple[str, int]] = field(default_factory=list)
    name: str = "scripted"
    capabilities: Capabilities = field(default_factory=Capabilities)
    terminal_id: str = "T1"

    async def _answer(self, kind: str, request: OperationRequest) -> OperationResult:
        self.calls.append((kind, request.amount))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ConnectionError("processor unreachable")
        code = 0 if self.outcome is Outcome.APPROVED else 5
        return OperationResult(self.outcome, code, reference_number="123456789012")

    async def authorize(self, request: object) -> object:  # pragma: no cover - unused
        raise NotImplementedError

    async def complete_3ds(self, completion: object) -> object:  # pragma: no cover
        raise NotImplementedError

    async def deposit(self, request: OperationRequest) -> OperationResult:
        return await self._answer("deposit", request)

    async def reverse(self, request: OperationRequest) -> OperationResult:
        return await self._answer("reverse", request)

    async def refund(self, request: OperationRequest) -> OperationResult:
        return await self._answer("refund", request)


def with_acquirer(services: Services, acquirer: ScriptedAcquirer) -> Services:
    return replace(services, acquirer=acquirer)  # type: ignore[arg-type]


async def new_merchant(services: Services, *extra: str) -> Merchant:
    creds = await make_merchant(services, permissions=("card-payment-api", *extra))
    async with services.store.transaction() as tx:
        merchant = await tx.merchants.get_by_login(creds.login)
    assert merchant is not None
    return merchant


async def paid_order(
    services: Services,
    merchant: Merchant,
    *,
    two_phase: bool = False,
    amount: int = 2000,
    paid_at: int | None = None,
    pay: bool = True,
    **fields: object,
) -> Order:
    """An order paid through the domain and stored directly (no acquirer involved)."""
    now = paid_at if paid_at is not None else services.clock.now_ms()
    order = Order(
        id=ids.uuid7(now),
        merchant_id=merchant.id,
        order_number=uuid.uuid4().hex,
        amount=amount,
        currency="643",
        two_phase=two_phase,
        created_at=now,
        expires_at=now + 1_200_000,
        return_url="https://shop.example/ok",
        **fields,  # type: ignore[arg-type]
    )
    if pay:
        order.start_attempt(now, ids.uuid7(now), CARD)
        order.authorization_approved(
            now,
            deposit_operation_id=ids.uuid7(now),
            approval_code="A1B2C3",
            auth_ref_num="123456789012",
            terminal_id="T1",
        )
    async with services.store.transaction() as tx:
        await tx.orders.add(order)
    return order


async def load(services: Services, order_id: str) -> Order:
    async with services.store.transaction() as tx:
        order = await tx.orders.get(order_id)
    assert order is not None
    return order


def ref(order: Order) -> OrderRef:
    return OrderRef(order_id=order.id)


async def test_deposit_reverse_refund_with_the_emulator(services: Services) -> None:
    merchant = await new_merchant(services)
    hold = await paid_order(services, merchant, two_phase=True, amount=5000)
    await lifecycle.deposit(services, merchant, ref(hold), 3000)
    _, op = await lifecycle.refund(services, merchant, ref(hold), RefundCommand(amount=1000))
    assert op.state is OperationState.APPROVED and len(op.reference_number or "") == 12
    order = await load(services, hold.id)
    assert order.status is OrderStatus.REFUNDED
    t = order.totals
    assert (t.approved_amount, t.deposited_amount, t.refunded) == (5000, 2000, 1000)
    other = await paid_order(services, merchant, two_phase=True)
    await lifecycle.reverse(services, merchant, ref(other))
    assert (await load(services, other.id)).status is OrderStatus.REVERSED


async def test_an_unknown_refund_answer_stays_pending_and_keeps_its_money_reserved(
    services: Services,
) -> None:
    merchant = await new_merchant(services)
    order = await paid_order(services, merchant)
    unknown = with_acquirer(services, ScriptedAcquirer(outcome=Outcome.PENDING))
    with pytest.raises(GatewayError) as err:
        await lifecycle.refund(unknown, merchant, ref(order), RefundCommand(amount=1500))
    assert (err.value.error_code, err.value.key) == (7, "acquirer_pending")
    stored = await load(services, order.id)
    assert stored.status is OrderStatus.DEPOSITED  # never counted as success
    assert (stored.totals.deposited_amount, stored.totals.refundable) == (2000, 500)
    with pytest.raises(GatewayError) as err:
        await lifecycle.refund(services, merchant, ref(order), RefundCommand(amount=600))
    assert err.value.key == "refund_exceeds_deposit"
    await lifecycle.refund(services, merchant, ref(order), RefundCommand(amount=0))
    assert (await load(services, order.id)).totals.refunded == 500


async def test_an_acquirer_that_raises_leaves_the_deposit_pending_and_blocks_a_reverse(
    services: Services,
) -> None:
    merchant = await new_merchant(services)
    hold = await paid_order(services, merchant, two_phase=True)
    broken = with_acquirer(services, ScriptedAcquirer(fail=True))
    with pytest.raises(GatewayError) as err:
        await lifecycle.deposit(broken, merchant, ref(hold), 0)
    assert err.value.key == "acquirer_pending"
    stored = await load(services, hold.id)
    assert stored.status is OrderStatus.APPROVED
    assert [op.state for op in stored.operations if op.kind is OperationKind.DEPOSIT] == [
        OperationState.PENDING
    ]
    with pytest.raises(GatewayError) as err:
        await lifecycle.reverse(services, merchant, ref(hold))
    assert (err.value.error_code, err.value.key) == (7, "operation_in_progress")


async def test_a_declined_deposit_keeps_the_hold_for_another_try(services: Services) -> None:
    merchant = await new_merchant(services)
    hold = await paid_order(services, merchant, two_phase=True)
    declining = with_acquirer(services, ScriptedAcquirer(outcome=Outcome.DECLINED))
    with pytest.raises(lifecycle.AcquirerDeclined):
        await lifecycle.deposit(declining, merchant, ref(hold), 0)
    assert (await load(services, hold.id)).status is OrderStatus.APPROVED
    await lifecycle.deposit(services, merchant, ref(hold), 0)
    assert (await load(services, hold.id)).status is OrderStatus.DEPOSITED


async def test_no_lock_is_held_while_the_acquirer_answers(services: Services) -> None:
    merchant = await new_merchant(services)
    hold = await paid_order(services, merchant, two_phase=True)
    slow = ScriptedAcquirer(gate=asyncio.Event())
    task = asyncio.create_task(
        lifecycle.deposit(with_acquirer(services, slow), merchant, ref(hold), 0)
    )
    while not slow.calls:
        await asyncio.sleep(0.01)
    # the order row can be locked and changed by others meanwhile: the reservation decides
    async with asyncio.timeout(5), services.store.transaction() as tx:
        locked = await tx.orders.get(hold.id, for_update=True)
    assert locked is not None and locked.status is OrderStatus.APPROVED
    with pytest.raises(GatewayError) as err:
        await lifecycle.reverse(services, merchant, ref(hold))
    assert err.value.key == "operation_in_progress"
    slow.gate.set()  # type: ignore[union-attr]
    await task
    assert (await load(services, hold.id)).status is OrderStatus.DEPOSITED


async def test_a_replayed_external_refund_id_waits_for_the_first_answer(
    services: Services,
) -> None:
    merchant = await new_merchant(services)
    order = await paid_order(services, merchant)
    slow = ScriptedAcquirer(gate=asyncio.Event())
    svc = with_acquirer(services, slow)
    cmd = RefundCommand(amount=700, external_id="ext-1")
    first = asyncio.create_task(lifecycle.refund(svc, merchant, ref(order), cmd))
    while not slow.calls:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(lifecycle.refund(svc, merchant, ref(order), cmd))
    await asyncio.sleep(0.2)
    slow.gate.set()  # type: ignore[union-attr]
    (_, a), (_, b) = await asyncio.gather(first, second)
    assert a.id == b.id and a.state is OperationState.APPROVED
    assert slow.calls == [("refund", 700)]
    assert (await load(services, order.id)).totals.refunded == 700


async def test_a_replayed_refund_with_a_known_external_refund_id_never_refunds_twice(
    services: Services,
) -> None:
    """Spec §8 (BPC): the replay, whatever its amount, is the earlier refund; the acquirer
    is asked once."""
    merchant = await new_merchant(services)
    order = await paid_order(services, merchant)
    acquirer = ScriptedAcquirer()
    svc = with_acquirer(services, acquirer)
    _, first = await lifecycle.refund(
        svc, merchant, ref(order), RefundCommand(amount=700, external_id="ext-9")
    )
    for amount in (700, 1500, 0):
        cmd = RefundCommand(amount=amount, external_id="ext-9")
        _, again = await lifecycle.refund(svc, merchant, ref(order), cmd)
        assert (again.id, again.amount, again.state) == (first.id, 700, OperationState.APPROVED)
    assert acquirer.calls == [("refund", 700)]
    assert (await load(services, order.id)).totals.refunded == 700


async def test_reversing_yesterdays_one_stage_payment_is_refused(services: Services) -> None:
    merchant = await new_merchant(services, "reverse-deposited")
    yesterday = services.clock.now_ms() - 86_400_000 - 1
    order = await paid_order(services, merchant, paid_at=yesterday)
    with pytest.raises(GatewayError) as err:
        await lifecycle.reverse(services, merchant, ref(order))
    assert (err.value.error_code, err.value.key) == (7, "reverse_not_same_day")


async def test_every_refusal_for_the_order_state_is_error_code_7(services: Services) -> None:
    """Spec §3.6: what the order's state (or the processing) makes impossible is 7 whatever
    the merchant may do; only a missing permission is 5, and it is checked after."""

    async def refusal(work: object) -> tuple[int, str]:
        with pytest.raises(GatewayError) as err:
            await work  # type: ignore[misc]
        return err.value.error_code, err.value.key

    plain = await new_merchant(services)  # neither reverse-deposited nor partial-deposit
    yesterday = services.clock.now_ms() - 86_400_000 - 1
    old = await paid_order(services, plain, paid_at=yesterday)
    assert await refusal(lifecycle.reverse(services, plain, ref(old))) == (
        7,
        "reverse_not_same_day",
    )
    captured = await paid_order(services, plain, two_phase=True)
    await lifecycle.deposit(services, plain, ref(captured), 0)
    assert await refusal(lifecycle.reverse(services, plain, ref(captured))) == (
        7,
        "reverse_wrong_state",
    )
    assert await refusal(lifecycle.deposit(services, plain, ref(captured), 0)) == (
        7,
        "deposit_wrong_state",
    )

    acquirer = ScriptedAcquirer(
        capabilities=Capabilities(partial_deposit=False, reverse_deposited=False)
    )
    unable = with_acquirer(services, acquirer)
    hold = await paid_order(services, plain, two_phase=True, amount=5000)
    assert await refusal(lifecycle.deposit(unable, plain, ref(hold), 3000)) == (
        7,
        "partial_deposit_unsupported",
    )
    paid = await paid_order(services, plain, amount=5000)
    assert await refusal(lifecycle.reverse(unable, plain, ref(paid))) == (
        7,
        "reverse_deposited_unsupported",
    )
    assert acquirer.calls == []


async def test_decline_while_an_authorization_is_in_flight_is_refused(
    services: Services,
) -> None:
    merchant = await new_merchant(services)
    order = await paid_order(services, merchant, pay=False)
    now = services.clock.now_ms()
    order.start_attempt(now, ids.uuid7(now), CARD)
    async with services.store.transaction() as tx:
        await tx.orders.save(order)
    with pytest.raises(GatewayError) as err:
        await lifecycle.decline(services, merchant, ref(order))
    assert err.value.key == "payment_in_progress"


async def until(services: Services, order_id: str, status: OrderStatus) -> Order:
    """Sweep until the order reaches ``status`` (a gateway process may sweep it first)."""
    for _ in range(100):
        await expiry.sweep(services)
        order = await load(services, order_id)
        if order.status is status:
            return order
        await asyncio.sleep(0.05)
    raise AssertionError(f"order {order_id} stuck in {order.status}")


async def test_the_sweeper_expires_overdue_orders_with_an_event(services: Services) -> None:
    merchant = await new_merchant(services)
    past = services.clock.now_ms() - 2_000_000
    order = await paid_order(services, merchant, pay=False, paid_at=past)
    swept = await until(services, order.id, OrderStatus.DECLINED)
    assert swept.action_code == -2007
    async with services.store.transaction() as tx:
        rows = await tx.db.fetchall(  # type: ignore[attr-defined]
            "SELECT operation FROM outbox_events WHERE order_id = $1", order.id
        )
    assert [r["operation"] for r in rows] == ["declinedByTimeout"]


async def test_the_sweeper_auto_completes_and_auto_reverses_holds(services: Services) -> None:
    merchant = await new_merchant(services)
    due = services.clock.now_ms() - 1
    completing = await paid_order(services, merchant, two_phase=True, autocompletion_at=due)
    reversing = await paid_order(services, merchant, two_phase=True, auto_reverse_at=due)
    later = await paid_order(services, merchant, two_phase=True, autocompletion_at=due + 3_600_000)
    assert (await until(services, completing.id, OrderStatus.DEPOSITED)).totals.captured == 2000
    assert (await until(services, reversing.id, OrderStatus.REVERSED)).totals.reversed
    assert (await load(services, later.id)).status is OrderStatus.APPROVED


def test_bank_day_starts_at_local_midnight() -> None:
    # 2024-01-02 00:30 Moscow = 2024-01-01 21:30 UTC
    now = 1_704_144_600_000
    start = lifecycle.bank_day_start(now, "Europe/Moscow")
    assert start == 1_704_142_800_000  # 2024-01-01 21:00 UTC = 00:00 Moscow


def test_bank_day_follows_the_configured_zone_and_its_daylight_saving() -> None:
    # 2024-07-01 00:30 in Berlin (summer, UTC+2) = 2024-06-30 22:30 UTC
    summer = 1_719_786_600_000
    assert lifecycle.bank_day_start(summer, "Europe/Berlin") == 1_719_784_800_000
    # 2024-01-15 00:30 in Berlin (winter, UTC+1) = 2024-01-14 23:30 UTC
    winter = 1_705_275_000_000
    assert lifecycle.bank_day_start(winter, "Europe/Berlin") == 1_705_273_200_000
    # the same instant is still the previous bank day in New York
    assert lifecycle.bank_day_start(summer, "America/New_York") == 1_719_720_000_000


async def test_partial_reversals_of_a_hold_then_a_capture_of_the_rest(
    services: Services,
) -> None:
    """Spec §3.6 (BPC) on both engines: each partial reversal is its own ledger record; the
    hold shrinks by it, and the capture takes what is left."""
    merchant = await new_merchant(services)
    hold = await paid_order(services, merchant, two_phase=True, amount=5000)
    await lifecycle.reverse(services, merchant, ref(hold), 1000)
    await lifecycle.reverse(services, merchant, ref(hold), 500)
    order = await load(services, hold.id)
    assert order.status is OrderStatus.APPROVED
    reversals = [op for op in order.operations if op.kind is OperationKind.REVERSAL]
    assert [(op.amount, op.state) for op in reversals] == [
        (1000, OperationState.APPROVED),
        (500, OperationState.APPROVED),
    ]
    assert order.totals.approved_amount == 3500
    await lifecycle.deposit(services, merchant, ref(hold), 0)
    order = await load(services, hold.id)
    assert order.status is OrderStatus.DEPOSITED
    assert (order.totals.approved_amount, order.totals.deposited_amount) == (3500, 3500)


async def test_what_the_acquirer_cannot_do_is_refused_before_it_is_asked(
    services: Services,
) -> None:
    """``Capabilities``: a processor without partial captures/refunds or same-day reversal
    of a payment is never sent one; the shop is told the operation is impossible (7)."""
    acquirer = ScriptedAcquirer(
        capabilities=Capabilities(
            partial_deposit=False,
            partial_refund=False,
            reverse_deposited=False,
            partial_reversal=False,
        )
    )
    gateway = with_acquirer(services, acquirer)
    merchant = await new_merchant(services, "reverse-deposited")
    hold = await paid_order(services, merchant, two_phase=True, amount=5000)
    with pytest.raises(GatewayError) as partial:
        await lifecycle.deposit(gateway, merchant, ref(hold), 3000)
    assert (partial.value.error_code, partial.value.key) == (7, "partial_deposit_unsupported")
    with pytest.raises(GatewayError) as part_reverse:
        await lifecycle.reverse(gateway, merchant, ref(hold), 1000)
    assert (part_reverse.value.error_code, part_reverse.value.key) == (
        7,
        "partial_reverse_unsupported",
    )
    paid = await paid_order(services, merchant, amount=5000)
    with pytest.raises(GatewayError) as part_refund:
        await lifecycle.refund(gateway, merchant, ref(paid), RefundCommand(amount=1000))
    assert part_refund.value.key == "partial_refund_unsupported"
    with pytest.raises(GatewayError) as same_day:
        await lifecycle.reverse(gateway, merchant, ref(paid))
    assert (same_day.value.error_code, same_day.value.key) == (
        7,
        "reverse_deposited_unsupported",
    )
    assert acquirer.calls == []
    await lifecycle.refund(gateway, merchant, ref(paid), RefundCommand(amount=0))
    assert acquirer.calls == [("refund", 5000)]
