"""The back office's use cases on SQLite and PostgreSQL: signing in (lockout with
backoff, sessions that end at once), the order search (every filter, keyset pages, no
other merchant's orders ever), the export, the figures per day and the audit trail."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from ecomgate.domain import ids
from ecomgate.domain.dashboard_users import FIRST_LOCK_MS, FREE_ATTEMPTS, lock_after_failure
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.services import audit, dashboard_users, merchants, order_search
from ecomgate.services.context import Services
from ecomgate.services.dashboard_users import SignInRefused
from ecomgate.services.merchants import MerchantError
from ecomgate.services.order_search import DAY_MS
from ecomgate.services.ports import OrderCursor, OrderFilter
from ecomgate.services.uow import OrderRef

from ..support import ShiftableClock, make_merchant

PASSWORD = "correct-horse"


def card(last4: str) -> CardSnapshot:
    return CardSnapshot(f"444455**{last4}", "203012", "TEST CARDHOLDER", "VISA")


async def merchant_of(services: Services) -> Merchant:
    credentials = await make_merchant(services)
    return await merchants.get_merchant(services, credentials.login)


async def stored_order(
    services: Services,
    merchant: Merchant,
    *,
    created_at: int,
    amount: int = 2000,
    last4: str | None = "3333",
    client_id: str = "",
    declined: bool = False,
) -> Order:
    """An order paid (or declined) through the domain and stored directly."""
    now = created_at
    order = Order(
        id=ids.uuid7(now),
        merchant_id=merchant.id,
        order_number=uuid.uuid4().hex,
        amount=amount,
        currency="643",
        two_phase=False,
        created_at=now,
        expires_at=now + 1_200_000,
        return_url="https://shop.example/ok",
        client_id=client_id,
    )
    if last4 is not None:
        order.start_attempt(now, ids.uuid7(now), card(last4))
        if declined:
            order.authorization_declined(now, action_code=-20010, max_attempts=1)
        else:
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


# -- signing in --------------------------------------------------------------------------
async def test_the_lock_grows_after_the_free_attempts_and_stops_at_an_hour() -> None:
    assert lock_after_failure(FREE_ATTEMPTS - 1, 0) is None
    assert lock_after_failure(FREE_ATTEMPTS, 0) == FIRST_LOCK_MS
    assert lock_after_failure(FREE_ATTEMPTS + 1, 0) == 2 * FIRST_LOCK_MS
    assert lock_after_failure(FREE_ATTEMPTS + 40, 0) == 3_600_000


async def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(
    services: Services,
) -> None:
    clock = ShiftableClock()
    timed = replace(services, clock=clock)
    merchant = await merchant_of(timed)
    email = f"{uuid.uuid4().hex[:8]}@shop.test"
    await dashboard_users.add_merchant_user(timed, merchant.login, email=email, password=PASSWORD)

    for _ in range(FREE_ATTEMPTS):
        with pytest.raises(SignInRefused) as refused:
            await dashboard_users.sign_in(timed, email, "wrong-password", ip="192.0.2.1")
        assert refused.value.key == "sign_in_failed"
    with pytest.raises(SignInRefused) as locked:
        await dashboard_users.sign_in(timed, email, PASSWORD, ip="192.0.2.1")
    assert locked.value.key == "sign_in_locked"
    assert locked.value.params == {"seconds": FIRST_LOCK_MS // 1000}

    clock.advance(FIRST_LOCK_MS / 1000)
    signed = await dashboard_users.sign_in(timed, email, PASSWORD, ip="192.0.2.1")
    assert signed.user.failed_logins == 0
    # the count starts again from zero: one more mistake does not lock
    with pytest.raises(SignInRefused) as again:
        await dashboard_users.sign_in(timed, email, "wrong-password", ip="192.0.2.1")
    assert again.value.key == "sign_in_failed"


async def test_an_unknown_email_is_refused_like_a_wrong_password(services: Services) -> None:
    with pytest.raises(SignInRefused) as refused:
        await dashboard_users.sign_in(services, "nobody@shop.test", PASSWORD, ip="192.0.2.1")
    assert refused.value.key == "sign_in_failed"


async def test_signing_out_and_disabling_end_sessions_at_once(services: Services) -> None:
    merchant = await merchant_of(services)
    email = f"{uuid.uuid4().hex[:8]}@shop.test"
    await dashboard_users.add_merchant_user(
        services, merchant.login, email=email, password=PASSWORD, role="manager"
    )
    first = await dashboard_users.sign_in(services, email, PASSWORD, ip="192.0.2.1")
    second = await dashboard_users.sign_in(services, email, PASSWORD, ip="192.0.2.2")
    who = await dashboard_users.visitor(services, first.token)
    assert who is not None and who.may_act and who.merchant is not None
    assert who.merchant.id == merchant.id

    await dashboard_users.sign_out(services, first.token)
    assert await dashboard_users.visitor(services, first.token) is None
    assert await dashboard_users.visitor(services, second.token) is not None

    await dashboard_users.set_disabled(services, email, disabled=True)
    assert await dashboard_users.visitor(services, second.token) is None
    with pytest.raises(SignInRefused):
        await dashboard_users.sign_in(services, email, PASSWORD, ip="192.0.2.1")


async def test_a_session_ends_after_its_lifetime(services: Services) -> None:
    clock = ShiftableClock()
    timed = replace(services, clock=clock)
    merchant = await merchant_of(timed)
    email = f"{uuid.uuid4().hex[:8]}@shop.test"
    await dashboard_users.add_merchant_user(timed, merchant.login, email=email, password=PASSWORD)
    signed = await dashboard_users.sign_in(timed, email, PASSWORD, ip="192.0.2.1")
    who = await dashboard_users.visitor(timed, signed.token)
    assert who is not None and not who.may_act  # a viewer by default
    clock.advance(dashboard_users.SESSION_MS / 1000)
    assert await dashboard_users.visitor(timed, signed.token) is None


async def test_users_are_checked_when_added(services: Services) -> None:
    merchant = await merchant_of(services)
    with pytest.raises(MerchantError) as bad_role:
        await dashboard_users.add_merchant_user(
            services, merchant.login, email="a@shop.test", password=PASSWORD, role="owner"
        )
    assert bad_role.value.key == "bad_role"
    with pytest.raises(MerchantError) as short:
        await dashboard_users.add_operator(services, email="op@gw.test", password="short")
    assert short.value.key == "short_dashboard_password"
    email = f"{uuid.uuid4().hex[:8]}@shop.test"
    await dashboard_users.add_operator(services, email=email, password=PASSWORD)
    with pytest.raises(MerchantError) as twice:
        await dashboard_users.add_operator(services, email=email.upper(), password=PASSWORD)
    assert twice.value.key == "duplicate_email"


async def test_an_operator_chooses_a_merchant_to_view_or_act_as(services: Services) -> None:
    merchant = await merchant_of(services)
    email = f"{uuid.uuid4().hex[:8]}@gw.test"
    await dashboard_users.add_operator(services, email=email, password=PASSWORD)
    signed = await dashboard_users.sign_in(services, email, PASSWORD, ip="192.0.2.1")
    who = await dashboard_users.visitor(services, signed.token)
    assert who is not None and who.merchant is None and not who.may_act

    await dashboard_users.choose_merchant(services, who, merchant, acting=False)
    viewing = await dashboard_users.visitor(services, signed.token)
    assert viewing is not None and viewing.merchant is not None and not viewing.may_act

    await dashboard_users.choose_merchant(services, viewing, merchant, acting=True)
    acting = await dashboard_users.visitor(services, signed.token)
    assert acting is not None and acting.may_act


# -- the order search --------------------------------------------------------------------
async def test_every_filter_finds_its_orders_and_none_of_another_merchant(
    services: Services,
) -> None:
    mine, theirs = await merchant_of(services), await merchant_of(services)
    now = services.clock.now_ms()
    yesterday = now - DAY_MS
    a = await stored_order(services, mine, created_at=yesterday, amount=1500, last4="1111")
    b = await stored_order(services, mine, created_at=now, amount=9900, client_id="client-7")
    unpaid = await stored_order(services, mine, created_at=now, last4=None)
    foreign = await stored_order(services, theirs, created_at=yesterday, last4="1111")

    async def found(**where: object) -> list[str]:
        page = await order_search.find_orders(services, mine, OrderFilter(**where))  # type: ignore[arg-type]
        return [o.id for o in page.orders]

    # newest first; b and unpaid share a millisecond, so their ids decide
    assert await found() == [*sorted([b.id, unpaid.id], reverse=True), a.id]
    assert await found(pan_last4="1111") == [a.id]
    assert await found(status=0) == [unpaid.id]
    assert await found(
        created_from=yesterday - yesterday % DAY_MS, created_to=now - now % DAY_MS
    ) == [a.id]
    assert await found(amount_min=2000, amount_max=9900) == sorted([b.id, unpaid.id], reverse=True)
    assert await found(client_id="client-7") == [b.id]
    assert await found(order_number=a.order_number) == [a.id]
    assert await found(order_id=a.id) == [a.id]
    # another merchant's order, however it is named, is not there
    assert await found(order_id=foreign.id) == []
    assert await found(order_number=foreign.order_number) == []


async def test_keyset_pages_cover_every_order_once_newest_first(services: Services) -> None:
    merchant = await merchant_of(services)
    start = services.clock.now_ms() - DAY_MS
    made = [await stored_order(services, merchant, created_at=start + i) for i in range(23)]
    # two orders in the same millisecond: the id breaks the tie
    made.append(await stored_order(services, merchant, created_at=start + 22))
    seen: list[str] = []
    after: OrderCursor | None = None
    while True:
        page = await order_search.find_orders(services, merchant, OrderFilter(), after, limit=5)
        seen += [o.id for o in page.orders]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    expected = [o.id for o in sorted(made, key=lambda o: (o.created_at, o.id), reverse=True)]
    assert seen == expected


async def test_the_export_streams_every_filtered_order_in_batches(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_search, "EXPORT_BATCH", 3)  # several batches out of a few orders
    mine, theirs = await merchant_of(services), await merchant_of(services)
    now = services.clock.now_ms()
    made = [await stored_order(services, mine, created_at=now - i, last4="4242") for i in range(7)]
    await stored_order(services, theirs, created_at=now, last4="4242")
    exported = [
        o.id
        async for o in order_search.export_orders(services, mine, OrderFilter(pan_last4="4242"))
    ]
    assert exported == [o.id for o in made]


async def test_the_figures_per_day_count_paid_and_declined_orders(services: Services) -> None:
    merchant = await merchant_of(services)
    today = order_search.day_floor(services.clock.now_ms())
    yesterday = today - DAY_MS
    await stored_order(services, merchant, created_at=yesterday + 1, amount=1000)
    await stored_order(services, merchant, created_at=yesterday + 2, amount=3000)
    await stored_order(services, merchant, created_at=yesterday + 3, declined=True)
    await stored_order(services, merchant, created_at=yesterday + 4, last4=None)  # no attempt
    await stored_order(services, merchant, created_at=today, amount=500)

    figures = await order_search.daily_figures(services, merchant, yesterday - DAY_MS, 3)
    assert [d.day_start for d in figures.days] == [yesterday - DAY_MS, yesterday, today]
    before, day, last = figures.days
    assert (before.paid_orders, before.turnover, before.declined_orders) == (0, 0, 0)
    assert (day.paid_orders, day.turnover, day.declined_orders) == (2, 4000, 1)
    assert day.average_ticket == 2000
    assert day.decline_rate == pytest.approx(1 / 3)
    assert (last.paid_orders, last.turnover) == (1, 500)
    assert figures.total.turnover == 4500


async def test_the_card_last_four_are_kept_when_a_payment_stores_its_card(
    services: Services,
) -> None:
    merchant = await merchant_of(services)
    order = await stored_order(services, merchant, created_at=services.clock.now_ms(), last4=None)
    async with services.uow.order(OrderRef(order_id=order.id), merchant=merchant) as scope:
        scope.order.start_attempt(
            services.clock.now_ms(), ids.uuid7(order.created_at), card("9876")
        )
    page = await order_search.find_orders(services, merchant, OrderFilter(pan_last4="9876"))
    assert [o.id for o in page.orders] == [order.id]


# -- the audit trail ---------------------------------------------------------------------
async def test_the_audit_trail_reads_newest_first_per_merchant(services: Services) -> None:
    merchant = await merchant_of(services)
    actor = audit.Actor("bob@shop.test", "dashboard", "192.0.2.7")
    first = await audit.record(
        services, actor, "refund", "order-1", merchant_id=merchant.id, details={"amount": "5.00"}
    )
    second = await audit.record(
        services, actor, "sign_out", "bob@shop.test", merchant_id=merchant.id
    )
    await audit.record(services, actor, "other", "x")  # no merchant
    entries = await audit.recent(services, merchant_id=merchant.id)
    assert [e.id for e in entries] == [second.id, first.id]
    assert entries[1].details == {"amount": "5.00"}
    assert (entries[1].actor, entries[1].channel, entries[1].source) == (
        "bob@shop.test",
        "dashboard",
        "192.0.2.7",
    )
    older = await audit.recent(services, merchant_id=merchant.id, before_id=second.id)
    assert [e.id for e in older] == [first.id]
