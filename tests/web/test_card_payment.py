"""Paying an order with a card over HTTP (in-process): paymentorder.do and processform.do (spec §3.9),
the emulator's test cards (§6, §7), payment attempts (§2.5), return URLs (§2.6), one
payment per order, and the hosted page at formUrl."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services.context import Services

from ..api.paying import (
    FUTURE_YEAR,
    NAME,
    PAST_YEAR,
    approved_authorizations,
    card,
    expire_now,
    ledger,
    pay,
    stored_order,
)
from ..support import Api, ShiftableClock, assert_error, make_merchant

RETURN_URL = "https://shop.example/ok"
FAIL_URL = "https://shop.example/fail?from=gateway"


async def register(api: Api, method: str = "register", **params: Any) -> str:
    params.setdefault("amount", 2000)
    params.setdefault("returnUrl", RETURN_URL)
    params.setdefault("failUrl", FAIL_URL)
    params.setdefault("language", "en")
    body = await api.call(method, **params)
    assert "orderId" in body, body
    return str(body["orderId"])


@pytest.fixture
async def retrying_api(http: httpx.AsyncClient, services: Services) -> Api:
    """A merchant whose orders allow three payment attempts."""
    settings = MerchantSettings(language="en", max_attempts=3)
    return Api(http, await make_merchant(services, settings=settings))


# --- the test-card table -----------------------------------------------------------------

APPROVED_CARDS = [
    # pan, cvc, paymentSystem, eci
    ("4563960122001999", "347", "VISA", "07"),
    ("639002000000000003", "123", "MAESTRO", "00"),
    ("4444555511113333", "123", "VISA", "07"),
    ("4242424242424242", "123", "VISA", "07"),  # not in the table, Luhn-valid: approved
    ("5105105105105100", "123", "MASTERCARD", "00"),
    ("2200000000000004", "123", "MIR", "07"),
]

DECLINED_CARDS = [
    # pan, cvc, actionCode, whether the issuer answered (an RRN) or it ended before that
    ("4444444444446666", "123", -20010, True),
    ("4444444444444422", "123", 904, True),
    ("4444444411111111", "123", 5, True),
    ("4444444499999999", "123", 151017, False),  # 3-D Secure stage failed
    # 4000 0011 1111 1118 and 5168 4948 9505 5780 speak 3-D Secure 2: test_three_ds2.py
    ("4000001111111126", "123", 5, True),
    ("4444555511113333", "999", 71015, True),  # the right card with a wrong CVC
    ("4111111111111112", "123", 71015, False),  # not Luhn-valid
]


def masked(pan: str) -> str:
    return f"{pan[:6]}**{pan[-4:]}"


@pytest.mark.parametrize(("pan", "cvc", "system", "eci"), APPROVED_CARDS)
async def test_an_approved_card_pays_a_one_stage_order_in_full(
    api: Api, pan: str, cvc: str, system: str, eci: str
) -> None:
    order_id = await register(api, amount=2000)
    answer = await pay(api, order_id, pan, cvc, ip="203.0.113.7")
    assert answer["errorCode"] == "0"
    assert answer["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    assert "actionCode" not in answer and "displayErrorMessage" not in answer

    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["actionCode"] == 0
    assert status["paymentAmountInfo"] == {
        "paymentState": "DEPOSITED",
        "approvedAmount": 2000,
        "depositedAmount": 2000,
        "refundedAmount": 0,
        "feeAmount": 0,
        "totalAmount": 2000,
    }
    info = status["cardAuthInfo"]
    assert info["maskedPan"] == info["pan"] == masked(pan)
    assert info["expiration"] == f"{FUTURE_YEAR}12"
    assert info["cardholderName"] == NAME
    assert re.fullmatch(r"[A-Z0-9]{6}", info["approvalCode"])
    assert info["paymentSystem"] == system
    assert info["secureAuthInfo"] == {"eci": eci}
    assert re.fullmatch(r"\d{12}", status["authRefNum"])
    assert re.fullmatch(r"EMU\d{5}", status["terminalId"])
    assert status["authDateTime"] >= status["date"]
    assert status["depositedDate"] == status["authDateTime"]
    assert status["ip"] == "203.0.113.7"


async def test_an_approved_card_only_holds_a_two_stage_order(api: Api) -> None:
    order_id = await register(api, "registerPreAuth", amount=1500)
    answer = await pay(api, order_id, "4563960122001999", "347")
    assert answer["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert status["orderStatus"] == 1
    assert status["actionCode"] == 0
    assert status["paymentAmountInfo"]["paymentState"] == "APPROVED"
    assert status["paymentAmountInfo"]["approvedAmount"] == 1500
    assert status["paymentAmountInfo"]["depositedAmount"] == 0
    assert "depositedDate" not in status


@pytest.mark.parametrize(("pan", "cvc", "code", "rrn"), DECLINED_CARDS)
async def test_a_declining_card_declines_the_order_with_its_action_code(
    api: Api, pan: str, cvc: str, code: int, rrn: bool
) -> None:
    order_id = await register(api)
    answer = await pay(api, order_id, pan, cvc)
    assert answer["errorCode"] == "0"
    assert answer["actionCode"] == code
    assert answer["displayErrorMessage"]
    # one attempt per order by default: the buyer goes to failUrl (which has a query)
    assert answer["redirect"] == f"{FAIL_URL}&orderId={order_id}&lang=en"

    status = await api.status(order_id)
    assert status["orderStatus"] == 6
    assert status["actionCode"] == code
    assert status["actionCodeDescription"]
    assert status["paymentAmountInfo"]["paymentState"] == "DECLINED"
    assert status["paymentAmountInfo"]["approvedAmount"] == 0
    assert status["cardAuthInfo"]["maskedPan"] == masked(pan)
    assert "approvalCode" not in status["cardAuthInfo"]
    assert "authDateTime" not in status
    assert re.fullmatch(r"EMU\d{5}", status["terminalId"])
    if rrn:
        assert re.fullmatch(r"\d{12}", status["authRefNum"])
    else:
        assert "authRefNum" not in status


async def test_a_two_stage_order_is_declined_like_a_one_stage_one(api: Api) -> None:
    order_id = await register(api, "registerPreAuth")
    answer = await pay(api, order_id, "4444444444446666")
    assert answer["actionCode"] == -20010
    assert (await api.status(order_id))["orderStatus"] == 6


async def test_a_decline_without_fail_url_returns_to_return_url(api: Api) -> None:
    order_id = await register(api, failUrl="", returnUrl="https://shop.example/back?cart=7")
    answer = await pay(api, order_id, "4444444411111111")
    assert answer["redirect"] == f"https://shop.example/back?cart=7&orderId={order_id}&lang=en"


async def test_the_redirect_carries_the_order_language(api: Api) -> None:
    order_id = await register(api, language="ru")
    answer = await pay(api, order_id, "4563960122001999", "347")
    assert answer["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=ru"


async def test_an_expiry_sent_as_yyyymm_is_read_too(api: Api) -> None:
    order_id = await register(api)
    fields = {"YYYY": "", "MM": "", "$EXPIRY": f"{FUTURE_YEAR}11"}
    answer = await pay(api, order_id, "4563960122001999", "347", **fields)
    assert answer["errorCode"] == "0"
    assert (await api.status(order_id))["cardAuthInfo"]["expiration"] == f"{FUTURE_YEAR}11"


# --- card-side validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"YYYY": PAST_YEAR}, "1", "expiry"),
        ({"MM": "13"}, "1", "expiry"),
        ({"YYYY": "20x6"}, "1", "expiry"),
        ({"$PAN": "41111111111"}, "5", "pan"),
        ({"$PAN": "41111111111111111111"}, "5", "pan"),
        ({"$PAN": "4111-1111-1111-111a"}, "5", "pan"),
        ({"$CVC": "12"}, "5", "cvc"),
        ({"$CVC": "12a"}, "5", "cvc"),
        ({"TEXT": "ИВАН ПЕТРОВ"}, "5", "cardholder"),
    ],
)
async def test_bad_card_data_is_refused_without_using_the_attempt(
    api: Api, fields: dict[str, str], code: str, field: str
) -> None:
    order_id = await register(api)
    answer = await pay(api, order_id, "4563960122001999", "347", **fields)
    assert answer["errorCode"] == code
    assert answer["field"] == field
    assert answer["errorMessage"]
    assert "redirect" not in answer

    status = await api.status(order_id)
    assert status["orderStatus"] == 0
    assert status["actionCode"] == -100
    assert "cardAuthInfo" not in status
    # the one attempt is still there
    assert (await pay(api, order_id, "4563960122001999", "347"))["redirect"]
    assert (await api.status(order_id))["orderStatus"] == 2


async def test_a_pan_typed_with_spaces_is_accepted(api: Api) -> None:
    order_id = await register(api)
    answer = await pay(api, order_id, "4563 9601 2200 1999", "347")
    assert answer["errorCode"] == "0" and "redirect" in answer
    assert (await api.status(order_id))["orderStatus"] == 2


# --- attempts (spec §2.5) ----------------------------------------------------------------


async def test_a_decline_with_attempts_left_keeps_the_order_payable(retrying_api: Api) -> None:
    api = retrying_api
    order_id = await register(api)
    answer = await pay(api, order_id, "4444444444446666")
    assert answer["errorCode"] == "0"
    assert answer["actionCode"] == -20010
    assert (
        answer["displayErrorMessage"]
        == "Operation declined. Contact the bank that issued the card."
    )
    assert answer["attemptsLeft"] == 2
    assert "redirect" not in answer

    status = await api.status(order_id)
    assert status["orderStatus"] == 0
    assert status["actionCode"] == -20010

    answer = await pay(api, order_id, "4563960122001999", "347")
    assert answer["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["actionCode"] == 0
    assert status["cardAuthInfo"]["maskedPan"] == "456396**1999"


async def test_the_last_declined_attempt_declines_the_order(
    retrying_api: Api, services: Services
) -> None:
    api = retrying_api
    order_id = await register(api)
    first = await pay(api, order_id, "4444444411111111")
    second = await pay(api, order_id, "4444444444444422")
    assert (first["attemptsLeft"], second["attemptsLeft"]) == (2, 1)
    third = await pay(api, order_id, "4444555511113333", "999")
    assert third["actionCode"] == 71015
    assert third["redirect"] == f"{FAIL_URL}&orderId={order_id}&lang=en"

    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, 71015)

    extra = await pay(api, order_id, "4563960122001999", "347")
    assert_error(extra, "7", "attempts_exhausted")
    assert extra["actionCode"] == -2013
    assert await api.status(order_id) == status
    assert len(await ledger(services, order_id)) == 3


async def test_a_payment_attempt_after_the_attempts_are_used_up_gets_action_code_2013(
    api: Api, http: httpx.AsyncClient, services: Services
) -> None:
    """Spec §2.5: the one attempt of the default merchant is used up by a decline; a further
    attempt, over paymentorder.do or the page's processform.do, is refused with actionCode
    -2013 and changes nothing.  Not after an expiry or decline.do: those are not attempts."""
    order_id = await register(api)
    first = await pay(api, order_id, "4444555511113333", "999")
    assert first["actionCode"] == 71015
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, 71015)

    extra = await pay(api, order_id, "4563960122001999", "347")
    assert_error(extra, "7", "attempts_exhausted")
    assert extra["actionCode"] == -2013
    form = {"MDORDER": order_id, **card("4563960122001999", "347"), "language": "ru"}
    page = (await http.post("/payment/rest/processform.do", data=form)).json()
    assert_error(page, "7", "attempts_exhausted", "ru")
    assert page["actionCode"] == -2013
    assert await api.status(order_id) == status
    assert len(await ledger(services, order_id)) == 1

    cancelled = await register(api)
    assert (await api.call("decline", orderId=cancelled))["errorCode"] == "0"
    refused = await pay(api, cancelled, "4563960122001999", "347")
    assert_error(refused, "7", "order_not_payable", status=6)
    assert "actionCode" not in refused


async def test_a_paid_order_cannot_be_paid_again(api: Api, services: Services) -> None:
    order_id = await register(api)
    await pay(api, order_id, "4563960122001999", "347")
    again = await pay(api, order_id, "4242424242424242")
    assert_error(again, "7", "order_not_payable")
    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["cardAuthInfo"]["maskedPan"] == "456396**1999"
    assert len(approved_authorizations(await ledger(services, order_id))) == 1


async def test_an_expired_order_cannot_be_paid_and_is_declined_by_the_try(
    api: Api, services: Services, clock: ShiftableClock
) -> None:
    order_id = await register(api, sessionTimeoutSecs=1)
    clock.advance(2)  # the lifetime is over; nobody has looked at the order since
    answer = await pay(api, order_id, "4563960122001999", "347")
    assert_error(answer, "7", "order_expired")
    stored = await stored_order(services, order_id)
    assert (stored.status, stored.action_code) == (6, -2007)
    assert stored.operations == []
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2007)


async def test_an_unknown_order_is_error_6(api: Api) -> None:
    answer = await pay(api, "01920000-0000-7000-8000-000000000000", "4563960122001999", "347")
    assert_error(answer, "6", "order_not_found")


async def test_another_merchants_order_is_unknown_to_paymentorder(
    api: Api, http: httpx.AsyncClient, services: Services
) -> None:
    order_id = await register(api)
    other = Api(http, await make_merchant(services))
    try:
        answer = await pay(other, order_id, "4563960122001999", "347")
    finally:
        await other.aclose()
    assert_error(answer, "6", "order_not_found")
    assert (await api.status(order_id))["orderStatus"] == 0


# --- exactly one payment per order -------------------------------------------------------


async def test_ten_concurrent_payments_of_one_order_authorise_it_once(
    api: Api, services: Services
) -> None:
    order_id = await register(api)
    answers = await asyncio.gather(
        *(pay(api, order_id, "4563960122001999", "347") for _ in range(10))
    )
    paid = [a for a in answers if a["errorCode"] == "0"]
    refused = [a for a in answers if a["errorCode"] != "0"]
    assert len(paid) == 1, answers
    assert paid[0]["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    assert {a["errorCode"] for a in refused} == {"7"}
    # refused for the order's state, not by a failure of the gateway
    assert {a["errorMessage"] for a in refused} <= {
        "A payment of this order is already in progress",
        "The order cannot be paid in its current state",
    }

    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["paymentAmountInfo"]["depositedAmount"] == 2000
    operations = await ledger(services, order_id)
    assert len(approved_authorizations(operations)) == 1
    assert len(operations) == 2  # the authorization and its deposit, nothing else


# --- processform.do and permissions ------------------------------------------------------


async def test_processform_pays_like_paymentorder_without_credentials(
    api: Api, http: httpx.AsyncClient
) -> None:
    order_id = await register(api)
    page = Api(http)  # the buyer's browser: no merchant credentials
    try:
        answer = await page.call(
            "processform", MDORDER=order_id, language="en", **card("4563960122001999", "347")
        )
    finally:
        await page.aclose()
    assert answer["errorCode"] == "0"
    assert answer["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    assert answer["info"]
    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["ip"] == "127.0.0.1"  # the buyer's address as the gateway saw it


async def test_processform_declines_and_validates_like_paymentorder(
    api: Api, http: httpx.AsyncClient
) -> None:
    declined_id, untouched_id = await register(api), await register(api)
    page = Api(http)
    try:
        declined = await page.call("processform", MDORDER=declined_id, **card("4444444444446666"))
        refused = await page.call(
            "processform", MDORDER=untouched_id, **card("4444555511113333", year=PAST_YEAR)
        )
    finally:
        await page.aclose()
    assert declined["actionCode"] == -20010
    assert declined["redirect"] == f"{FAIL_URL}&orderId={declined_id}&lang=en"
    assert (refused["errorCode"], refused["field"]) == ("1", "expiry")
    assert (await api.status(declined_id))["orderStatus"] == 6
    assert (await api.status(untouched_id))["actionCode"] == -100


async def test_paymentorder_needs_the_card_payment_api_permission(
    api: Api, http: httpx.AsyncClient, services: Services
) -> None:
    plain = Api(http, await make_merchant(services, permissions=()))
    try:
        order_id = await register(plain)
        answer = await pay(plain, order_id, "4563960122001999", "347")
        # refused in the merchant's language (en), like every refusal once it is known
        method = "/payment/rest/paymentorder.do"
        assert_error(answer, "5", "operation_forbidden", "en", method=method)
        assert (await plain.status(order_id))["orderStatus"] == 0
    finally:
        await plain.aclose()


async def test_paymentorder_without_credentials_is_access_denied(
    api: Api, http: httpx.AsyncClient
) -> None:
    order_id = await register(api)
    anonymous = Api(http)
    try:
        answer = await pay(anonymous, order_id, "4563960122001999", "347")
    finally:
        await anonymous.aclose()
    assert_error(answer, "5", "access_denied", "ru")
    assert (await api.status(order_id))["orderStatus"] == 0


# --- the hosted page at formUrl ----------------------------------------------------------


async def page(api: Api, url: str) -> tuple[int, str]:
    response = await api.http.get(url)
    assert response.headers["content-type"].startswith("text/html")
    return response.status_code, response.text


async def test_the_page_of_a_new_order_is_the_card_form(api: Api) -> None:
    body = await api.register(amount=123456, language="en", returnUrl=RETURN_URL)
    code, html = await page(api, body["formUrl"])
    assert code == 200
    assert "<form" in html
    assert 'autocomplete="cc-number"' in html
    assert "1,234.56" in html
    assert "/payment/rest/processform.do" in html


async def test_the_mobile_page_is_the_card_form_too(api: Api) -> None:
    body = await api.register(pageView="MOBILE", language="ru", amount=2000)
    assert "/mobile_payment_ru.html?" in body["formUrl"]
    code, html = await page(api, body["formUrl"])
    assert code == 200
    assert 'autocomplete="cc-number"' in html
    assert "20,00" in html


@pytest.mark.parametrize(
    ("pan", "cvc", "kind"),
    [("4563960122001999", "347", "paid"), ("4444444444446666", "123", "declined")],
)
async def test_the_page_of_a_decided_order_shows_the_result(
    api: Api, pan: str, cvc: str, kind: str
) -> None:
    body = await api.register(language="en", returnUrl=RETURN_URL)
    await pay(api, body["orderId"], pan, cvc)
    code, html = await page(api, body["formUrl"])
    assert code == 200
    assert f"result-{kind}" in html
    assert 'autocomplete="cc-number"' not in html


async def test_the_page_after_a_retryable_decline_shows_the_form_with_the_reason(
    retrying_api: Api,
) -> None:
    body = await retrying_api.register(language="en", returnUrl=RETURN_URL)
    await pay(retrying_api, body["orderId"], "4444444444446666")
    code, html = await page(retrying_api, body["formUrl"])
    assert code == 200
    assert 'autocomplete="cc-number"' in html
    assert "Contact the bank that issued the card" in html


async def test_the_page_of_an_expired_order_says_it_expired(api: Api) -> None:
    body = await api.register(language="en", returnUrl=RETURN_URL)
    await expire_now(api, body["orderId"])
    code, html = await page(api, body["formUrl"])
    assert code == 200
    assert "result-expired" in html
    status = await api.status(body["orderId"])
    assert (status["orderStatus"], status["actionCode"]) == (6, -2007)


@pytest.mark.parametrize(
    "query", ["mdOrder=01920000-0000-7000-8000-000000000000", "mdOrder=nonsense", ""]
)
async def test_the_page_of_an_unknown_order_is_404(api: Api, query: str) -> None:
    code, html = await page(api, f"/payment/merchants/ecom/payment_en.html?{query}")
    assert code == 404
    assert "result-not_found" in html


async def test_no_page_or_answer_ever_shows_a_full_pan(api: Api) -> None:
    assert api.credentials is not None
    auth = api.credentials.auth
    bodies: list[str] = []
    for pan, cvc in (("4563960122001999", "347"), ("4444444444446666", "123")):
        registered = await api.register(language="en", returnUrl=RETURN_URL)
        order_id = registered["orderId"]
        answer = await api.http.post(
            "/payment/rest/paymentorder.do",
            data={**auth, "MDORDER": order_id, **card(pan, cvc)},
        )
        status = await api.http.post(
            "/payment/rest/getOrderStatusExtended.do",
            data={**auth, "orderId": order_id},
        )
        legacy = await api.http.post(
            "/payment/rest/getOrderStatus.do",
            data={**auth, "orderId": order_id},
        )
        form_page = await api.http.get(registered["formUrl"])
        bodies += [answer.text, status.text, legacy.text, form_page.text]
        assert all(pan not in body for body in bodies), bodies
        assert masked(pan) in status.text


async def test_the_receipt_email_typed_on_the_page_is_kept_in_payer_data(api: Api) -> None:
    order_id = await register(api)
    answer = await api.call(
        "processform",
        MDORDER=order_id,
        email="buyer@example.com",
        **card("4563960122001999", "347"),
    )
    assert answer["errorCode"] == "0" and "redirect" in answer, answer
    status = await api.status(order_id)
    assert status["payerData"] == {"email": "buyer@example.com"}


async def test_the_authorization_is_stored_once_on_its_ledger_row_with_the_connectors_ref(
    api: Api, services: Services
) -> None:
    order_id = await register(api)
    await pay(api, order_id, "4563960122001999", "347")
    order = await stored_order(services, order_id)
    auth = approved_authorizations(order.operations)[0]
    # the authorization's fields live on its ledger row, with the connector's reference
    assert auth.connector_ref == f"EMU-{auth.id}"
    assert order.approval_code == auth.approval_code and len(order.approval_code) == 6


async def test_declines_from_processform_and_paymentorder_carry_error_type_name_and_processing_error_type(
    api: Api, retrying_api: Api, http: httpx.AsyncClient
) -> None:
    """Spec §3.9: a declined payment's answer has ``error`` (the decline text),
    ``errorTypeName`` and ``processingErrorType``: wrong card data is DATA_INPUT_ERROR /
    CLIENT_ERROR; an issuer's limit decline (attempts left) ISSUER_DECLINE / ISSUER_ERROR.
    An approved payment carries none of them."""
    order_id = await register(api)
    final = await pay(api, order_id, "4444555511113333", "999")
    assert final["actionCode"] == 71015 and "redirect" in final
    assert final["error"] == final["displayErrorMessage"]
    assert (final["errorTypeName"], final["processingErrorType"]) == (
        "DATA_INPUT_ERROR",
        "CLIENT_ERROR",
    )

    retry_id = await register(retrying_api)
    form = {"MDORDER": retry_id, **card("4444444444446666"), "language": "en"}
    page = (await http.post("/payment/rest/processform.do", data=form)).json()
    assert page["errorCode"] == "0" and page["actionCode"] == -20010 and page["attemptsLeft"] == 2
    assert page["error"] == "Operation declined. Contact the bank that issued the card."
    assert (page["errorTypeName"], page["processingErrorType"]) == (
        "ISSUER_DECLINE",
        "ISSUER_ERROR",
    )

    approved = await pay(api, await register(api), "4563960122001999", "347")
    assert not {"error", "errorTypeName", "processingErrorType"} & set(approved)


@pytest.mark.parametrize(("default", "shown"), [("ru", "ru"), ("en", "en"), ("hy", "en")])
async def test_the_payment_page_in_a_language_without_strings_falls_back_to_the_merchant_default(
    http: httpx.AsyncClient, services: Services, default: str, shown: str
) -> None:
    """Spec §7: a page asked for in a language it has no strings for (de) is shown in the
    merchant's default language, as the API messages are; a default it cannot show either
    means en.  A language it has strings for is always honoured."""
    from ecomgate.web.payment_page import i18n

    merchant = await make_merchant(services, settings=MerchantSettings(language=default))
    api = Api(http, merchant)
    try:
        body = await api.register(amount=2000, language="de", returnUrl=RETURN_URL)
        assert "/payment_de.html?" in body["formUrl"]
        code, html = await page(api, body["formUrl"])
        assert code == 200
        assert f'<html lang="{shown}">' in html
        assert i18n.strings(shown)["card_number"] in html
        code, html = await page(api, body["formUrl"].replace("payment_de", "payment_ru"))
        assert '<html lang="ru">' in html
    finally:
        await api.aclose()
