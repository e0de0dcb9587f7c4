"""deposit.do, reverse.do, refund.do, decline.do and the sandbox expiry over HTTP, in-process
(spec §2.3, §3.5-§3.8); the same operations on both storage engines: tests/services."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from ecomgate.domain import ids
from ecomgate.domain.merchant import MerchantSettings
from ecomgate.domain.order import CardSnapshot
from ecomgate.services import expiry
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.services.uow import OrderRef

from ..api.paying import stored_order
from ..support import Api, MerchantCredentials, ShiftableClock, assert_error, make_merchant

APPROVE_PAN, APPROVE_CVC = "4563960122001999", "347"
FUTURE_YEAR = str(datetime.now(UTC).year + 3)
OK = {"errorCode": "0", "errorMessage": "Success"}


async def paid(api: Api, *, amount: int = 2000, two_phase: bool = False, **params: Any) -> str:
    """A registered order paid with an approving test card (paymentorder.do)."""
    method = "registerPreAuth" if two_phase else "register"
    body = await api.call(method, amount=amount, returnUrl="https://shop.example/ok", **params)
    order_id: str = body["orderId"]
    answer = await api.call(
        "paymentorder",
        MDORDER=order_id,
        **{"$PAN": APPROVE_PAN, "$CVC": APPROVE_CVC},
        YYYY=FUTURE_YEAR,
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert answer["errorCode"] == "0" and "redirect" in answer, answer
    return order_id


def amounts(status: dict[str, Any]) -> tuple[int, int, int]:
    info = status["paymentAmountInfo"]
    return info["approvedAmount"], info["depositedAmount"], info["refundedAmount"]


# -- the happy paths -------------------------------------------------------------------------
async def test_hold_partial_deposit_two_partial_refunds_and_the_rest(api: Api) -> None:
    before = int(time.time() * 1000)
    order_id = await paid(api, amount=5000, two_phase=True)
    status = await api.status(order_id)
    assert status["orderStatus"] == 1
    assert amounts(status) == (5000, 0, 0)
    assert "depositedDate" not in status

    assert await api.call("deposit", orderId=order_id, amount=4000) == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["paymentAmountInfo"]["paymentState"] == "DEPOSITED"
    assert amounts(status) == (5000, 4000, 0)
    assert before <= status["depositedDate"] <= int(time.time() * 1000)

    assert await api.call("refund", orderId=order_id, amount=1000) == OK
    assert await api.call("refund", orderId=order_id, amount=500, externalRefundId="r-2") == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 4
    assert status["paymentAmountInfo"]["paymentState"] == "REFUNDED"
    assert amounts(status) == (5000, 2500, 1500)

    assert await api.call("refund", orderId=order_id, amount=0) == OK
    status = await api.status(order_id)
    assert amounts(status) == (5000, 0, 4000)
    refunds = status["refunds"]
    assert [r["amount"] for r in refunds] == [1000, 500, 2500]
    assert [r["externalRefundId"] for r in refunds] == ["", "r-2", ""]
    assert all(r["actionCode"] == 0 and len(r["referenceNumber"]) == 12 for r in refunds)
    assert status["refundedDate"] == refunds[-1]["date"] >= status["depositedDate"]

    nothing = await api.call("refund", orderId=order_id, amount=0)
    assert_error(nothing, "7", "nothing_to_refund")


async def test_full_deposit_with_amount_0_or_the_held_amount(api: Api) -> None:
    a = await paid(api, two_phase=True)
    b = await paid(api, two_phase=True)
    assert await api.call("deposit", orderId=a, amount=0) == OK
    assert await api.call("deposit", orderId=b, amount=2000) == OK
    for order_id in (a, b):
        assert amounts(await api.status(order_id)) == (2000, 2000, 0)


async def test_hold_then_reverse(api: Api) -> None:
    order_id = await paid(api, two_phase=True)
    assert await api.call("reverse", orderId=order_id) == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 3
    assert status["paymentAmountInfo"]["paymentState"] == "REVERSED"
    assert amounts(status) == (0, 0, 0)
    assert status["reversedDate"] >= status["authDateTime"]
    again = await api.call("reverse", orderId=order_id)
    assert_error(again, "7", "already_reversed")
    deposit = await api.call("deposit", orderId=order_id, amount=0)
    assert_error(deposit, "7", "deposit_wrong_state")


async def test_partial_reversal_of_a_hold_leaves_the_rest_held_to_capture(api: Api) -> None:
    """Spec §3.6 (BPC): reverse.do with ``amount`` below the hold cancels that much; the
    order stays 1 and the rest can still be captured, or reversed."""
    order_id = await paid(api, amount=5000, two_phase=True)
    assert await api.call("reverse", orderId=order_id, amount=1500) == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 1
    assert amounts(status) == (3500, 0, 0)
    assert "reversedDate" in status
    over = await api.call("deposit", orderId=order_id, amount=4000)
    assert_error(over, "5", "deposit_exceeds_hold", held=3500)
    assert await api.call("deposit", orderId=order_id, amount=0) == OK
    assert amounts(await api.status(order_id)) == (3500, 3500, 0)


async def test_partial_reversals_down_to_nothing_end_reversed(api: Api) -> None:
    order_id = await paid(api, amount=3000, two_phase=True)
    assert await api.call("reverse", orderId=order_id, amount=1000) == OK
    assert await api.call("reverse", orderId=order_id, amount=2000) == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 3
    assert amounts(status) == (0, 0, 0)
    assert_error(await api.call("reverse", orderId=order_id), "7", "already_reversed")


async def test_a_partial_reversal_above_the_hold_is_refused(api: Api) -> None:
    order_id = await paid(api, amount=2000, two_phase=True)
    assert await api.call("reverse", orderId=order_id, amount=1500) == OK
    over = await api.call("reverse", orderId=order_id, amount=600)
    assert_error(over, "5", "reverse_exceeds_hold", held=500)
    assert amounts(await api.status(order_id)) == (500, 0, 0)


async def test_a_paid_one_stage_order_is_reversed_in_full_only(api: Api) -> None:
    order_id = await paid(api, amount=2000)
    partial = await api.call("reverse", orderId=order_id, amount=500)
    assert_error(partial, "5", "partial_reverse_of_payment", full=2000)
    assert (await api.status(order_id))["orderStatus"] == 2
    assert await api.call("reverse", orderId=order_id, amount=2000) == OK
    assert (await api.status(order_id))["orderStatus"] == 3


async def test_register_then_expire_through_the_sandbox(
    api: Api, merchant: MerchantCredentials
) -> None:
    order_id = (await api.register(sessionTimeoutSecs=3600))["orderId"]
    response = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=merchant.auth)
    body = response.json()
    assert body["errorCode"] == "0"
    assert (body["orderStatus"], body["actionCode"]) == (6, -2007)
    status = await api.status(order_id)
    assert status["orderStatus"] == 6
    assert status["actionCode"] == -2007
    assert status["paymentAmountInfo"]["paymentState"] == "DECLINED"
    again = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=merchant.auth)
    assert_error(again.json(), "7", "order_not_payable")


async def test_the_sandbox_refuses_to_expire_an_order_the_acquirer_is_authorizing(
    api: Api, services: Services
) -> None:
    """Only the acquirer's answer may decide an order it holds the card of: the control
    answers errorCode 7 and changes nothing (no new expiry, no event)."""
    order_id = (await api.register(sessionTimeoutSecs=3600))["orderId"]
    now = services.clock.now_ms()
    async with services.uow.order(OrderRef(order_id)) as scope:  # what pay() reserves
        scope.order.start_attempt(now, ids.uuid7(now), CardSnapshot("456396**1999", "", "", ""))
    before = await stored_order(services, order_id)
    response = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=api.credentials.auth)
    assert_error(response.json(), "7", "payment_in_progress")
    after = await stored_order(services, order_id)
    assert (after.status, after.expires_at, after.action_code) == (
        before.status,
        before.expires_at,
        before.action_code,
    )


async def test_the_sandbox_expires_only_the_callers_orders(api: Api, services: Services) -> None:
    order_id = (await api.register())["orderId"]
    other = await make_merchant(services)
    foreign = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=other.auth)
    assert_error(foreign.json(), "6", "order_not_found")
    anonymous = await api.http.post(f"/sandbox/orders/{order_id}/expire")
    assert anonymous.json()["errorCode"] == "5"
    assert anonymous.json()["errorMessage"] == "Доступ запрещён"  # no language, no merchant: ru
    assert (await api.status(order_id))["orderStatus"] == 0


async def test_a_sweep_expires_an_order_nobody_looks_at(
    api: Api, services: Services, clock: ShiftableClock
) -> None:
    """One pass of the sweeper, run here at a moved clock (the app's own sweeper is off;
    the running one is tested against a real server in tests/api/test_serve.py)."""
    order_id = (await api.register(sessionTimeoutSecs=1))["orderId"]
    clock.advance(2)
    report = await expiry.sweep(services)
    assert report.expired >= 1
    order = await stored_order(services, order_id)  # as stored: no reader expired it
    assert (order.status, order.action_code) == (6, -2007)


async def test_decline_an_unpaid_order(api: Api) -> None:
    order_id = (await api.register(orderNumber="D-1"))["orderId"]
    assert await api.call("decline", orderId=order_id, orderNumber="D-1") == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 6
    assert status["paymentAmountInfo"]["paymentState"] == "DECLINED"
    assert_error(await api.call("decline", orderNumber="D-1"), "7", "order_not_declinable")


async def test_decline_by_order_number_alone(api: Api) -> None:
    order_id = (await api.register(orderNumber="D-2"))["orderId"]
    assert await api.call("decline", orderNumber="D-2") == OK
    assert (await api.status(order_id))["orderStatus"] == 6


async def test_deposit_and_refund_by_order_number(api: Api) -> None:
    order_id = await paid(api, two_phase=True, orderNumber="N-1")
    assert await api.call("deposit", orderNumber="N-1", amount=0) == OK
    assert await api.call("refund", orderNumber="N-1", amount=500) == OK
    assert amounts(await api.status(order_id)) == (2000, 1500, 500)


async def test_reverse_of_a_paid_one_stage_order_is_allowed_the_same_bank_day_by_default(
    api: Api, services: Services
) -> None:
    """Spec §7, §8: reverse.do of a paid one-stage order on its bank day needs no
    permission; a merchant whose ``reverse_deposited`` setting is false is refused (5)."""
    order_id = await paid(api)
    assert await api.call("reverse", orderId=order_id) == OK
    status = await api.status(order_id)
    assert status["orderStatus"] == 3
    assert amounts(status) == (0, 0, 0)
    refund = await api.call("refund", orderId=order_id, amount=0)
    assert_error(refund, "7", "refund_wrong_state")

    strict = await make_merchant(
        services, settings=MerchantSettings(language="en", reverse_deposited=False)
    )
    client = Api(api.http, strict)
    try:
        own = await paid(client)
        forbidden = await client.call("reverse", orderId=own)
        assert_error(forbidden, "5", "reverse_deposited_forbidden")
        assert (await client.status(own))["orderStatus"] == 2
        hold = await paid(client, two_phase=True)  # a hold is reversed as always
        assert await client.call("reverse", orderId=hold) == OK
    finally:
        await client.aclose()


# -- errors ----------------------------------------------------------------------------------
async def test_deposit_errors(api: Api) -> None:
    created = (await api.register())["orderId"]
    assert_error(await api.call("deposit", orderId=created, amount=0), "7", "deposit_wrong_state")
    one_stage = await paid(api)
    assert_error(await api.call("deposit", orderId=one_stage, amount=0), "7", "deposit_wrong_state")
    hold = await paid(api, two_phase=True)
    over = await api.call("deposit", orderId=hold, amount=2001)
    assert_error(over, "5", "deposit_exceeds_hold", held=2000)
    below_unit = await api.call("deposit", orderId=hold, amount=99)
    assert_error(below_unit, "5", "amount_below_unit", unit=100)
    fraction = await api.call("deposit", orderId=hold, amount="19.99")
    assert_error(fraction, "5", "not_amount", name="amount")
    missing = await api.call("deposit", orderId=hold)
    assert_error(missing, "4", "missing_parameter", name="amount")
    currency = await api.call("deposit", orderId=hold, amount=0, currency="840")
    assert_error(currency, "5", "currency_mismatch", currency="643")
    unknown = await api.call("deposit", orderId="01491d0b-c848-7dd6-a20d-e96900a7d8c0", amount=0)
    assert_error(unknown, "6", "order_not_found")
    no_id = await api.call("deposit", amount=0)
    assert_error(no_id, "5", "order_id_required")
    assert amounts(await api.status(hold)) == (2000, 0, 0)


async def test_foreign_orders_are_not_found(api: Api, services: Services) -> None:
    hold = await paid(api, two_phase=True)
    other = Api(api.http, await make_merchant(services))
    try:
        for method in ("deposit", "reverse", "refund", "decline"):
            body = await other.call(method, orderId=hold, amount=0)
            assert_error(body, "6", "order_not_found")
    finally:
        await other.aclose()


async def test_refund_errors(api: Api) -> None:
    order_id = await paid(api)
    missing = await api.call("refund", orderId=order_id)
    assert_error(missing, "4", "missing_parameter", name="amount")
    too_much = await api.call("refund", orderId=order_id, amount=2001)
    assert_error(too_much, "7", "refund_exceeds_deposit", amount=2001, deposited=2000)
    hold = await paid(api, two_phase=True)
    assert_error(await api.call("refund", orderId=hold, amount=100), "7", "refund_wrong_state")
    created = (await api.register())["orderId"]
    assert_error(await api.call("refund", orderId=created, amount=100), "7", "refund_wrong_state")
    assert amounts(await api.status(order_id)) == (2000, 2000, 0)


async def test_a_replayed_refund_with_a_known_external_refund_id_answers_the_earlier_refund(
    api: Api,
) -> None:
    """Spec §3.7, §8 (BPC): a known externalRefundId answers success with the earlier
    refund, whatever amount the replay carries (the same, another, 0), and never refunds
    twice; a new id is a new refund."""
    order_id = await paid(api)
    assert await api.call("refund", orderId=order_id, amount=700, externalRefundId="X1") == OK
    for amount in (700, 800, 0):
        replay = await api.call("refund", orderId=order_id, amount=amount, externalRefundId="X1")
        assert replay == OK
    status = await api.status(order_id)
    assert amounts(status) == (2000, 1300, 700)
    assert [r["amount"] for r in status["refunds"]] == [700]
    assert await api.call("refund", orderId=order_id, amount=300, externalRefundId="X2") == OK
    assert amounts(await api.status(order_id)) == (2000, 1000, 1000)


async def test_expected_deposited_amount_guards_a_replayed_refund(api: Api) -> None:
    order_id = await paid(api)
    first = await api.call("refund", orderId=order_id, amount=500, expectedDepositedAmount=2000)
    assert first == OK
    replay = await api.call("refund", orderId=order_id, amount=500, expectedDepositedAmount=2000)
    assert_error(replay, "7", "expected_deposited_mismatch", deposited=1500, expected=2000)
    assert amounts(await api.status(order_id)) == (2000, 1500, 500)


async def test_decline_errors(api: Api) -> None:
    a = (await api.register(orderNumber="E-A"))["orderId"]
    await api.register(orderNumber="E-B")
    mismatch = await api.call("decline", orderId=a, orderNumber="E-B")
    assert_error(mismatch, "5", "order_ids_mismatch")
    assert_error(await api.call("decline"), "5", "order_id_required")
    assert_error(await api.call("decline", orderNumber="nope"), "6", "order_not_found")
    paid_order = await paid(api)
    assert_error(await api.call("decline", orderId=paid_order), "7", "order_not_declinable")
    assert (await api.status(a))["orderStatus"] == 0


async def test_missing_permissions_are_error_5(api: Api, services: Services) -> None:
    creds = await make_merchant(services)
    await merchant_service.update_merchant(
        services,
        creds.login,
        revoke=("deposit", "partial-deposit", "reverse", "refund"),
    )
    client = Api(api.http, creds)
    try:
        hold = await paid(client, two_phase=True)
        for method in ("deposit", "reverse", "refund"):
            body = await client.call(method, orderId=hold, amount=0)
            assert_error(body, "5", "operation_forbidden", method=method)
        assert amounts(await client.status(hold)) == (2000, 0, 0)
    finally:
        await client.aclose()


async def test_partial_deposit_needs_its_permission(api: Api, services: Services) -> None:
    creds = await make_merchant(services)
    await merchant_service.update_merchant(services, creds.login, revoke=("partial-deposit",))
    client = Api(api.http, creds)
    try:
        hold = await paid(client, two_phase=True)
        partial = await client.call("deposit", orderId=hold, amount=1000)
        assert_error(partial, "5", "partial_deposit_forbidden", held=2000)
        assert await client.call("deposit", orderId=hold, amount=2000) == OK
    finally:
        await client.aclose()


# -- concurrency -----------------------------------------------------------------------------
async def test_fifty_parallel_refunds_never_exceed_the_deposit(api: Api) -> None:
    """20.00 deposited, 50 concurrent refunds of 1.00: exactly 20 succeed."""
    order_id = await paid(api, amount=2000)
    answers = await asyncio.gather(
        *(api.call("refund", orderId=order_id, amount=100) for _ in range(50))
    )
    codes = [a["errorCode"] for a in answers]
    assert codes.count("0") == 20, codes
    assert set(codes) == {"0", "7"}
    status = await api.status(order_id)
    assert amounts(status) == (2000, 0, 2000)
    assert sum(r["amount"] for r in status["refunds"]) == 2000
    assert len(status["refunds"]) == 20


async def test_a_deposit_racing_a_reverse_has_exactly_one_winner(api: Api) -> None:
    for _ in range(5):
        hold = await paid(api, two_phase=True)
        deposit, reverse = await asyncio.gather(
            api.call("deposit", orderId=hold, amount=0), api.call("reverse", orderId=hold)
        )
        codes = sorted([deposit["errorCode"], reverse["errorCode"]])
        assert codes == ["0", "7"], (deposit, reverse)
        status = await api.status(hold)
        if deposit["errorCode"] == "0":
            assert (status["orderStatus"], amounts(status)) == (2, (2000, 2000, 0))
        else:
            assert (status["orderStatus"], amounts(status)) == (3, (0, 0, 0))


async def test_the_sandbox_expires_an_overdue_order_nobody_has_looked_at_yet(
    api: Api, clock: ShiftableClock
) -> None:
    order_id = (await api.register(sessionTimeoutSecs=1))["orderId"]
    clock.advance(2)  # overdue; no reader and no sweeper has expired it yet
    response = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=api.credentials.auth)
    body = response.json()
    assert body["errorCode"] == "0", body
    assert (body["orderStatus"], body["actionCode"]) == (6, -2007)
