"""Callback delivery on SQLite and PostgreSQL: two dispatchers over one database deliver
every event exactly once and each order's events in order; a lease that ran out passes to
another dispatcher; finished events are pruned after their retention.

Each test has a database of its own: the session's is shared with gateway processes of
``tests/api`` whose dispatchers would otherwise take part in the delivery."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import dataclass, replace

import pytest

from ecomgate import storage
from ecomgate.domain import ids
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order
from ecomgate.notifications.destinations import DestinationPolicy
from ecomgate.notifications.dispatcher import DeliveryConfig, Dispatcher
from ecomgate.services import expiry, lifecycle
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.services.lifecycle import RefundCommand
from ecomgate.services.ports import AttemptOutcome, OutboxQuery
from ecomgate.services.uow import OrderRef
from ecomgate.testing.receiver import CallbackReceiver

from ..support import ShiftableClock, make_merchant, services_on
from .test_lifecycle import CARD

LOCAL = DeliveryConfig(destinations=DestinationPolicy(https_only=False, allow_private=True))


@pytest.fixture
def receiver(callback_receiver: CallbackReceiver) -> CallbackReceiver:
    return callback_receiver


@dataclass
class Timed:
    """The services on the test's own database, with a clock the test moves."""

    services: Services
    clock: ShiftableClock


@pytest.fixture
def timed(own_services: Services) -> Timed:
    clock = ShiftableClock()
    return Timed(replace(own_services, clock=clock), clock)


async def shop(services: Services, receiver: CallbackReceiver, **settings: str) -> Merchant:
    creds = await make_merchant(services)
    return await merchant_service.update_merchant(
        services, creds.login, settings={"callback_url": receiver.url, **settings}
    )


def new_order(
    services: Services, merchant: Merchant, *, two_phase: bool, lifetime_ms: int = 1_200_000
) -> Order:
    now = services.clock.now_ms()
    return Order(
        id=ids.uuid7(now),
        merchant_id=merchant.id,
        order_number=uuid.uuid4().hex,
        amount=3000,
        currency="643",
        two_phase=two_phase,
        created_at=now,
        expires_at=now + lifetime_ms,
        return_url="https://shop.example/ok",
    )


async def held_order(services: Services, merchant: Merchant) -> Order:
    """A two-phase order whose hold was approved, written with its ``approved`` event."""
    order = new_order(services, merchant, two_phase=True)
    now = services.clock.now_ms()
    order.start_attempt(now, ids.uuid7(now), CARD)
    order.authorization_approved(
        now,
        deposit_operation_id=ids.uuid7(now),
        approval_code="A1B2C3",
        auth_ref_num="1",
        terminal_id="T1",
    )
    await services.uow.add_order(order)
    return order


async def unpaid_order(services: Services, merchant: Merchant, *, lifetime_ms: int) -> Order:
    order = new_order(services, merchant, two_phase=False, lifetime_ms=lifetime_ms)
    await services.uow.add_order(order)
    return order


async def test_two_dispatchers_deliver_every_event_once_and_in_order(
    own_services: Services, own_database_url: str, receiver: CallbackReceiver
) -> None:
    services = own_services
    merchant = await shop(services, receiver)
    orders = [await held_order(services, merchant) for _ in range(12)]
    for order in orders:  # approved, then deposited: two events per order
        await lifecycle.deposit(services, merchant, OrderRef(order_id=order.id), 0)

    other_store = await storage.open_store(own_database_url)  # a second "host": its own pool
    try:
        first = Dispatcher(services, LOCAL)
        second = Dispatcher(services_on(other_store), LOCAL)
        async with first, second:
            await asyncio.gather(first.drain(), second.drain(), first.drain(), second.drain())
            # what one left due when the other finished is delivered by the next passes
            while await first.drain() + await second.drain():
                pass
    finally:
        await other_store.close()

    got = [(r.params["mdOrder"], r.params["operation"]) for r in receiver.received]
    assert sorted(got) == sorted(
        (o.id, operation) for o in orders for operation in ("approved", "deposited")
    )
    assert len(set(got)) == len(got)  # nothing twice
    for order in orders:
        assert [op for oid, op in got if oid == order.id] == ["approved", "deposited"]


async def test_a_lease_that_ran_out_passes_to_another_dispatcher(
    timed: Timed, receiver: CallbackReceiver
) -> None:
    moved, clock = timed.services, timed.clock
    merchant = await shop(moved, receiver)
    order = await held_order(moved, merchant)
    stalled = Dispatcher(moved, LOCAL)
    token, [claimed] = await stalled.claim(10)  # ... and its process dies before sending
    assert claimed.order_id == order.id

    async with Dispatcher(moved, LOCAL) as rescuer:
        assert await rescuer.drain() == 0  # leased: nobody else sends it meanwhile
        clock.advance(LOCAL.lease_ms / 1000)
        assert await rescuer.drain() == 1
    assert [r.params["operation"] for r in receiver.received] == ["approved"]
    # the stalled dispatcher coming back cannot overwrite what the rescuer wrote
    async with moved.uow.transaction() as repos:
        kept = await repos.outbox.finish(
            claimed, token, None, AttemptOutcome("failed", clock.now_ms())
        )
        [event] = await repos.outbox.find(OutboxQuery(order_id=order.id))
    assert not kept
    assert event.state == "delivered"


async def test_finished_events_are_pruned_after_their_retention(
    timed: Timed, receiver: CallbackReceiver
) -> None:
    moved, clock = timed.services, timed.clock
    merchant = await shop(moved, receiver)
    delivered = await held_order(moved, merchant)
    async with Dispatcher(moved, LOCAL) as dispatcher:
        await dispatcher.drain()
        clock.advance(20 * 86_400)
        # twenty days later: one more is delivered, another one waits (pending)
        recent = await held_order(moved, merchant)
        await dispatcher.drain()
        waiting = await held_order(moved, merchant)
        clock.advance(11 * 86_400)  # the first is 31 days old, the second 11
        assert await dispatcher.prune() == 1
    async with moved.uow.transaction() as repos:
        assert await repos.outbox.find(OutboxQuery(order_id=delivered.id)) == []
        assert [e.state for e in await repos.outbox.find(OutboxQuery(order_id=recent.id))] == [
            "delivered"
        ]
        [pending] = await repos.outbox.find(OutboxQuery(order_id=waiting.id))
    assert pending.state == "pending"


async def test_an_event_held_by_a_sender_is_never_pruned(
    timed: Timed, receiver: CallbackReceiver
) -> None:
    moved, clock = timed.services, timed.clock
    merchant = await shop(moved, receiver)
    order = await held_order(moved, merchant)
    async with Dispatcher(moved, LOCAL) as dispatcher:
        await dispatcher.drain()
        clock.advance(31 * 86_400)
        async with moved.uow.transaction() as repos:  # a resend has just taken it
            [event] = await repos.outbox.find(OutboxQuery(order_id=order.id))
            now = clock.now_ms()
            assert await repos.outbox.lease(event.id, now, now + 60_000, "resend") is not None
        assert await dispatcher.prune() == 0


async def test_every_operation_reaches_the_shop_signed_through_an_outage(
    timed: Timed, receiver: CallbackReceiver
) -> None:
    moved, clock = timed.services, timed.clock
    merchant = await shop(moved, receiver, callback_secret="s3cret", callback_params="all")
    captured = await held_order(moved, merchant)
    await lifecycle.deposit(moved, merchant, OrderRef(order_id=captured.id), 0)
    await lifecycle.refund(
        moved, merchant, OrderRef(order_id=captured.id), RefundCommand(amount=500)
    )
    reversed_ = await held_order(moved, merchant)
    await lifecycle.reverse(moved, merchant, OrderRef(order_id=reversed_.id))
    unpaid = await unpaid_order(moved, merchant, lifetime_ms=60_000)
    clock.advance(61)
    await expiry.sweep(moved)

    receiver.answer(500, 500)  # the shop is down for the first two requests
    async with Dispatcher(moved, LOCAL) as dispatcher:
        for _ in range(3):
            await dispatcher.drain()
            clock.advance(30)
    got = await receiver.wait_for(6)
    assert sorted((r.params["mdOrder"], r.params["operation"]) for r in got) == sorted(
        [
            (captured.id, "approved"),
            (captured.id, "deposited"),
            (captured.id, "refunded"),
            (reversed_.id, "approved"),
            (reversed_.id, "reversed"),
            (unpaid.id, "declinedByTimeout"),
        ]
    )
    for callback in got:
        params = callback.params
        names = sorted(k for k in params if k not in ("checksum", "sign_alias"))
        text = "".join(f"{name};{params[name]};" for name in names)
        expected = hmac.new(b"s3cret", text.encode(), hashlib.sha256).hexdigest().upper()
        assert params["checksum"] == expected
    assert [r.answered for r in receiver.received].count(500) == 2
