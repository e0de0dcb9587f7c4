"""3-D Secure 2 over HTTP without a browser (spec §3.9), on both engines: paymentorder.do
answers with the 3DS method step, the method page is posted as a hidden frame would post
it, ``3ds/continue.do`` ends it frictionless or with a challenge, the challenge page's form
is submitted with a one-time code, its CRes is posted back to the gateway, and
``finish3dsVer2Payment.do`` reports the result.  Each card ends as test-cards.csv says,
with ``cardAuthInfo.secureAuthInfo`` filled.

In-process, like the rest of ``tests/web``, on both engines (the order's 3-D Secure step
and result live on the ledger, migration 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services import merchants
from ecomgate.services.context import Services
from ecomgate.testing.buyer import parse_form

from ..api.paying import approved_authorizations, card, expire_now, ledger, pay, through_acs
from ..support import Api, assert_error, make_merchant
from .conftest import PUBLIC_URL

RETURN_URL = "https://shop.example/ok"
FAIL_URL = "https://shop.example/fail"
FRICTIONLESS = "4111111111111111"
CHALLENGE = "5555555555555599"
ATTEMPT = "4000001111111118"
NEGATIVE = "5168494895055780"


@pytest.fixture
def app_services(services: Services) -> Services:
    return services


@pytest.fixture
def browser(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The buyer's browser (and the shop's server): never follows a redirect by itself."""
    return http


@pytest.fixture
def shop(api: Api) -> Api:
    return api


async def start(shop: Api, method: str = "register", language: str = "en") -> str:
    body = await shop.call(
        method, amount=2000, returnUrl=RETURN_URL, failUrl=FAIL_URL, language=language
    )
    return str(body["orderId"])


async def method_step(browser: httpx.AsyncClient, answer: dict[str, Any]) -> None:
    """What the hidden frame does: POST threeDSMethodData to threeDSMethodURL."""
    response = await browser.post(
        answer["threeDSMethodURL"], data={"threeDSMethodData": answer["threeDSMethodDataPacked"]}
    )
    assert response.status_code == 200


async def to_continue(shop: Api, browser: httpx.AsyncClient, order_id: str, pan: str) -> Any:
    """paymentorder.do, the method step, 3ds/continue.do: the answer of the last."""
    answer = await pay(shop, order_id, pan)
    assert answer["errorCode"] == "0" and answer["is3DSVer2"] is True, answer
    await method_step(browser, answer)
    continued = await shop.call("3ds/continue", mdOrder=order_id)
    assert continued["errorCode"] == "0", continued
    assert continued["is3DSVer2"] is True
    assert (
        continued.get("threeDSServerTransId", answer["threeDSServerTransId"])
        == (answer["threeDSServerTransId"])
    )
    return answer, continued


@dataclass(frozen=True)
class CResReturn:
    notification_url: str
    fields: dict[str, str]
    challenge_page: str


async def through_challenge(
    browser: httpx.AsyncClient, challenge: dict[str, Any], code: str
) -> CResReturn:
    """POST creq to acsUrl, submit the one-time code as the page builds its form, read the
    auto-submitting form that carries the CRes back to the gateway."""
    page = await browser.post(challenge["acsUrl"], data={"creq": challenge["packedCReq"]})
    assert page.status_code == 200, page.text
    form = parse_form(page.text, challenge["acsUrl"])
    assert {"creq", "otp"} <= set(form.fields)
    submitted = await browser.post(form.action, data={**form.fields, "otp": code})
    assert submitted.status_code == 200, submitted.text
    back = parse_form(submitted.text, form.action)
    assert set(back.fields) == {"cres"}
    return CResReturn(back.action, back.fields, page.text)


async def status_of(shop: Api, order_id: str) -> dict[str, Any]:
    return await shop.status(order_id)


def secure_auth(status: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = status["cardAuthInfo"]["secureAuthInfo"]
    return info


async def test_a_3ds2_frictionless_card_is_paid_after_the_method_step(
    shop: Api, browser: httpx.AsyncClient, app_services: Services
) -> None:
    order_id = await start(shop)
    answer = await pay(shop, order_id, FRICTIONLESS)
    assert answer["errorCode"] == "0"
    assert answer["is3DSVer2"] is True
    assert answer["threeDSMethodURL"] == f"{PUBLIC_URL}/acs/emulator/3ds2/method"
    assert len(answer["threeDSServerTransId"]) == 36
    assert not {"acsUrl", "paReq", "redirect"} & set(answer)
    assert (await status_of(shop, order_id))["orderStatus"] == 5

    await method_step(browser, answer)
    continued = await shop.call("3ds/continue", mdOrder=order_id)
    assert continued["errorCode"] == "0", continued
    assert continued["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"

    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(status)
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("05", "2.2.0")
    three_ds = secure["threeDSInfo"]
    assert three_ds["threeDSServerTransId"] == answer["threeDSServerTransId"]
    assert (three_ds["transStatus"], len(three_ds["cavv"])) == ("Y", 28)
    assert len(three_ds["dsTransId"]) == 36
    assert len(approved_authorizations(await ledger(app_services, order_id))) == 1


async def test_the_api_sequence_through_a_3ds2_challenge_with_the_right_code(
    shop: Api, browser: httpx.AsyncClient, app_services: Services
) -> None:
    """paymentorder.do -> method -> 3ds/continue.do -> challenge -> finish3dsVer2Payment.do"""
    order_id = await start(shop)
    answer, challenge = await to_continue(shop, browser, order_id, CHALLENGE)
    assert challenge["acsUrl"] == f"{PUBLIC_URL}/acs/emulator/3ds2/challenge"
    assert challenge["packedCReq"]
    assert "redirect" not in challenge
    assert (await status_of(shop, order_id))["orderStatus"] == 5

    back = await through_challenge(browser, challenge, "123456")
    # an issuer's page: merchant, amount with currency, masked card, never the card number
    page = back.challenge_page
    merchant = shop.credentials.login if shop.credentials else ""
    assert f"Shop {merchant}" in page and "20.00 RUB" in page and "5555 55** **** 5599" in page
    assert CHALLENGE not in page and "One-time code" in page
    assert back.notification_url == (
        f"{PUBLIC_URL}/payment/rest/finish3dsVer2.do?lang=en&mdOrder={order_id}"
    )
    returned = await browser.post(back.notification_url, data=back.fields)
    assert returned.status_code == 303
    assert returned.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"

    finished = await shop.call(
        "finish3dsVer2Payment", threeDSServerTransId=answer["threeDSServerTransId"]
    )
    assert finished["errorCode"] == "0", finished
    assert finished["is3DSVer2"] is True
    assert finished["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"

    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(status)
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("02", "2.2.0")
    assert secure["threeDSInfo"]["transStatus"] == "Y"
    assert secure["threeDSInfo"]["threeDSServerTransId"] == answer["threeDSServerTransId"]
    assert len(approved_authorizations(await ledger(app_services, order_id))) == 1


async def test_finish3dsver2payment_with_the_cres_finishes_a_challenge_itself(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    """A shop's server that took the ACS's CRes itself hands it over (EcomGate's ``cres``)."""
    order_id = await start(shop, method="registerPreAuth")
    answer, challenge = await to_continue(shop, browser, order_id, CHALLENGE)
    back = await through_challenge(browser, challenge, "123456")
    finished = await shop.call(
        "finish3dsVer2Payment",
        threeDSServerTransId=answer["threeDSServerTransId"],
        threeDSVer2MdOrder=order_id,
        cres=back.fields["cres"],
    )
    assert finished["errorCode"] == "0", finished
    assert finished["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (1, 0)  # pre-auth: held
    # the ACS's own post of the same CRes comes too late to authorise again
    again = await browser.post(back.notification_url, data=back.fields)
    assert again.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"


async def test_a_3ds2_challenge_with_a_wrong_code_declines_to_the_fail_url(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    answer, challenge = await to_continue(shop, browser, order_id, CHALLENGE)
    back = await through_challenge(browser, challenge, "000000")
    returned = await browser.post(back.notification_url, data=back.fields)
    assert returned.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2006)
    secure = secure_auth(status)
    assert secure["threeDSProtocolVersion"] == "2.2.0"
    assert secure["threeDSInfo"]["transStatus"] == "N"
    assert "cavv" not in secure["threeDSInfo"]
    finished = await shop.call(
        "finish3dsVer2Payment", threeDSServerTransId=answer["threeDSServerTransId"]
    )
    assert finished["redirect"] == f"{FAIL_URL}?orderId={order_id}&lang=en"


async def test_a_3ds2_attempt_is_approved_with_the_attempt_eci(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    _, continued = await to_continue(shop, browser, order_id, ATTEMPT)
    assert continued["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(status)
    assert (secure["eci"], secure["threeDSInfo"]["transStatus"]) == ("06", "A")
    assert len(secure["threeDSInfo"]["cavv"]) == 28


async def test_a_negative_frictionless_result_declines_with_341016(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    _, continued = await to_continue(shop, browser, order_id, NEGATIVE)
    assert continued["redirect"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    assert continued["actionCode"] == 341016
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, 341016)
    secure = secure_auth(status)
    assert (secure["eci"], secure["threeDSInfo"]["transStatus"]) == ("00", "N")


async def test_the_3ds1_setting_sends_a_card_enrolled_in_both_to_the_password_page(
    app_services: Services, browser: httpx.AsyncClient
) -> None:
    settings = MerchantSettings(language="en", three_ds_protocol="3ds1")
    shop = Api(browser, await make_merchant(app_services, settings=settings))
    order_id = await start(shop)
    answer = await pay(shop, order_id, CHALLENGE)
    assert answer["is3DSVer2"] is False and answer["paReq"], answer
    back = await through_acs(browser, order_id, answer, "12345678")
    returned = await browser.post(back.term_url, data=back.fields)
    assert returned.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(status)
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("02", "1.0.2")
    assert set(secure["threeDSInfo"]) == {"cavv", "xid", "transStatus"}


async def test_the_protocol_setting_is_checked(app_services: Services) -> None:
    login = (await make_merchant(app_services)).login
    updated = await merchants.update_merchant(
        app_services, login, settings={"three_ds_protocol": "3DS1"}
    )
    assert updated.settings.three_ds_protocol == "3ds1"
    with pytest.raises(merchants.MerchantError) as refused:
        await merchants.update_merchant(app_services, login, settings={"three_ds_protocol": "3ds3"})
    assert refused.value.key == "bad_three_ds_protocol"


async def test_the_hosted_page_gets_the_same_3ds2_answer_from_processform(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    page = Api(browser)  # the page's own call: no merchant credentials
    answer = await page.call("processform", MDORDER=order_id, **card(FRICTIONLESS))
    assert answer["is3DSVer2"] is True and answer["threeDSMethodURL"], answer


async def test_the_challenge_page_speaks_the_orders_language(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop, language="ru")
    _, challenge = await to_continue(shop, browser, order_id, CHALLENGE)
    page = await browser.post(challenge["acsUrl"], data={"creq": challenge["packedCReq"]})
    assert 'lang="ru"' in page.text and "Одноразовый код" in page.text
    assert "20,00" in page.text or "20.00" in page.text


# --- what is refused ----------------------------------------------------------------------


async def test_finish3dsver2payment_on_an_order_never_in_3ds2_is_errorcode_7(
    shop: Api,
) -> None:
    order_id = await start(shop)
    paid = await pay(shop, order_id, "4563960122001999", "347")  # no 3-D Secure
    assert paid["redirect"], paid
    body = await shop.call(
        "finish3dsVer2Payment",
        threeDSServerTransId="00000000-0000-4000-8000-000000000000",
        threeDSVer2MdOrder=order_id,
    )
    assert_error(body, "7", "order_not_in_3ds2")
    assert body["is3DSVer2"] is False


async def test_finish3dsver2payment_before_the_challenge_is_errorcode_7(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    answer = await pay(shop, order_id, CHALLENGE)  # still at the method step
    trans_id = answer["threeDSServerTransId"]
    body = await shop.call("finish3dsVer2Payment", threeDSServerTransId=trans_id)
    assert_error(body, "7", "three_ds2_challenge_not_awaited")
    await method_step(browser, answer)
    await shop.call("3ds/continue", mdOrder=order_id)
    # at the challenge, but the buyer has not answered it
    body = await shop.call("finish3dsVer2Payment", threeDSServerTransId=trans_id)
    assert_error(body, "7", "three_ds2_challenge_open")
    assert (await status_of(shop, order_id))["orderStatus"] == 5


async def test_finish3dsver2payment_needs_a_known_transaction_of_the_callers_order(
    shop: Api, app_services: Services, browser: httpx.AsyncClient
) -> None:
    body = await shop.call("finish3dsVer2Payment")
    assert_error(body, "4", "missing_parameter", name="threeDSServerTransId")
    body = await shop.call(
        "finish3dsVer2Payment", threeDSServerTransId="00000000-0000-4000-8000-000000000000"
    )
    assert_error(body, "6", "order_not_found")
    order_id = await start(shop)
    answer = await pay(shop, order_id, CHALLENGE)
    other = Api(browser, await make_merchant(app_services))
    body = await other.call(
        "finish3dsVer2Payment", threeDSServerTransId=answer["threeDSServerTransId"]
    )
    assert_error(body, "6", "order_not_found")


async def test_continue_is_refused_where_no_method_step_is_awaited(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    body = await shop.call("3ds/continue", mdOrder=order_id, language="en")
    assert_error(body, "7", "order_not_in_3ds2")
    await to_continue(shop, browser, order_id, CHALLENGE)
    again = await shop.call("3ds/continue", mdOrder=order_id, language="en")  # at the challenge
    assert_error(again, "7", "three_ds2_method_not_awaited")
    missing = await shop.call("3ds/continue", language="ru")
    assert_error(missing, "4", "missing_parameter", language="ru", name="mdOrder")


async def test_a_replayed_continue_after_a_frictionless_payment_never_authorises_twice(
    shop: Api, browser: httpx.AsyncClient, app_services: Services
) -> None:
    order_id = await start(shop)
    await to_continue(shop, browser, order_id, FRICTIONLESS)
    again = await shop.call("3ds/continue", mdOrder=order_id)
    assert again["redirect"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    assert len(approved_authorizations(await ledger(app_services, order_id))) == 1


async def test_a_pares_cannot_finish_a_3ds2_order_nor_a_cres_a_3ds1_one(
    shop: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(shop)
    await pay(shop, order_id, CHALLENGE)
    response = await browser.post(
        f"{PUBLIC_URL}/payment/rest/finish3ds.do", data={"MD": order_id, "PaRes": "x.y"}
    )
    assert response.status_code == 404
    response = await browser.post(
        f"{PUBLIC_URL}/payment/rest/finish3dsVer2.do?mdOrder={order_id}", data={"cres": ""}
    )
    assert response.status_code == 404
    assert (await status_of(shop, order_id))["orderStatus"] == 5


async def test_an_order_that_expires_during_3ds2_is_not_paid_by_a_late_step(
    shop: Api, browser: httpx.AsyncClient, app_services: Services
) -> None:
    """The lifetime ends at the method step: continue.do sends the buyer to the failUrl
    instead of authorising; the same for a CRes that comes after the end."""
    order_id = await start(shop)
    await pay(shop, order_id, FRICTIONLESS)
    await expire_now(shop, order_id)
    late = await shop.call("3ds/continue", mdOrder=order_id)
    assert late["redirect"] == f"{FAIL_URL}?orderId={order_id}&lang=en", late
    status = await status_of(shop, order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2007)
    assert approved_authorizations(await ledger(app_services, order_id)) == []

    order_id = await start(shop)
    _, challenge = await to_continue(shop, browser, order_id, CHALLENGE)
    back = await through_challenge(browser, challenge, "123456")
    await expire_now(shop, order_id)
    returned = await browser.post(back.notification_url, data=back.fields)
    assert returned.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    assert (await status_of(shop, order_id))["orderStatus"] == 6
    assert approved_authorizations(await ledger(app_services, order_id)) == []
