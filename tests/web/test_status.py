"""getOrderStatusExtended.do and getOrderStatus.do for a fresh order (spec §3.3, §3.4)."""

from __future__ import annotations

import re
import time

from ..support import Api, assert_error


async def test_a_fresh_order_shows_status_0_and_action_code_minus_100(api: Api) -> None:
    before = int(time.time() * 1000)
    body = await api.register(orderNumber="S-1", amount=2000, description="my_first_order")
    status = await api.status(body["orderId"])
    assert status["errorCode"] == "0"
    assert status["errorMessage"] == "Success"
    assert status["orderStatus"] == 0
    assert status["actionCode"] == -100
    assert status["actionCodeDescription"] == ""
    assert status["amount"] == 2000
    assert status["currency"] == "643"
    assert status["orderNumber"] == "S-1"
    assert status["orderDescription"] == "my_first_order"
    assert before - 5000 <= status["date"] <= before + 60_000
    assert status["attributes"] == [{"name": "mdOrder", "value": body["orderId"]}]
    assert status["paymentAmountInfo"] == {
        "paymentState": "CREATED",
        "approvedAmount": 0,
        "depositedAmount": 0,
        "refundedAmount": 0,
        "feeAmount": 0,
        "totalAmount": 2000,
    }
    assert "cardAuthInfo" not in status
    assert status["bankInfo"]["bankCountryCode"] == "UNKNOWN"


async def test_terminal_id_is_present_from_registration_and_stays_after_payment(
    api: Api,
) -> None:
    """Spec §3.3: ``terminalId`` (the processing terminal) is there from registration on;
    the payment's authorization is answered on the same terminal."""
    order_id = (await api.register(amount=2000))["orderId"]
    before = (await api.status(order_id))["terminalId"]
    assert re.fullmatch(r"EMU\d{5}", before)
    answer = await api.call(
        "paymentorder",
        MDORDER=order_id,
        **{"$PAN": "4563960122001999", "$CVC": "347"},
        YYYY="2035",
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert answer["errorCode"] == "0", answer
    assert (await api.status(order_id))["terminalId"] == before


async def test_status_by_order_number(api: Api) -> None:
    body = await api.register(orderNumber="BY-NUMBER")
    status = await api.call("getOrderStatusExtended", orderNumber="BY-NUMBER")
    assert status["attributes"][0]["value"] == body["orderId"]


async def test_order_id_wins_over_order_number(api: Api) -> None:
    a = await api.register(orderNumber="A")
    await api.register(orderNumber="B")
    status = await api.call("getOrderStatusExtended", orderId=a["orderId"], orderNumber="B")
    assert status["orderNumber"] == "A"


async def test_order_id_is_accepted_upper_case_and_without_hyphens(api: Api) -> None:
    body = await api.register(orderNumber="CASE")
    upper = await api.status(body["orderId"].upper())
    bare = await api.status(body["orderId"].replace("-", ""))
    assert upper["orderNumber"] == bare["orderNumber"] == "CASE"


async def test_no_id_at_all_is_error_1(api: Api) -> None:
    status = await api.call("getOrderStatusExtended")
    assert_error(status, "1", "no_order_id")


async def test_unknown_order_is_error_6(api: Api) -> None:
    status = await api.status("01491d0b-c848-7dd6-a20d-e96900a7d8c0")
    assert_error(status, "6", "order_not_found")
    assert "orderStatus" not in status


async def test_an_order_number_sent_as_order_id_gets_a_helpful_6(api: Api) -> None:
    status = await api.status("my-order-42")
    assert_error(status, "6", "order_id_not_uuid")


async def test_legacy_status_keeps_capitalised_keys(api: Api) -> None:
    body = await api.register(orderNumber="LEGACY", amount=150000)
    status = await api.call("getOrderStatus", orderId=body["orderId"])
    assert status["OrderStatus"] == 0
    assert status["ErrorCode"] == "0"
    assert status["OrderNumber"] == "LEGACY"
    assert status["Amount"] == 150000
    assert status["currency"] == "643"


async def test_legacy_status_errors_use_capitalised_keys(api: Api) -> None:
    status = await api.call("getOrderStatus", orderId="01491d0b-c848-7dd6-a20d-e96900a7d8c0")
    assert set(status) == {"ErrorCode", "ErrorMessage"}
    assert_error(status, "6", "order_not_found")


async def test_russian_success_message(api: Api) -> None:
    body = await api.register()
    status = await api.status(body["orderId"], language="ru")
    assert status["errorMessage"] == "Успешно"
