"""3-D Secure 1 over HTTP without a browser (spec §3.9): paymentorder.do sends the buyer to
the emulated ACS, the ACS page's forms are submitted as a browser would submit them, and
finish3ds.do (the TermUrl) authorises the order and redirects to the shop.  In-process:
the gateway's own ACS pages are served by the same app.

The merchant's ``three_ds_protocol`` is ``3ds1``, so the cards enrolled in both versions
(4111 1111 1111 1111, 5555 5555 5555 5599) speak 3-D Secure 1 here; 3-D Secure 2 is
``test_three_ds2.py``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ecomgate.acquirers.emulator import tokens
from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services.context import Services

from ..api.paying import (
    AcsReturn,
    approved_authorizations,
    expire_now,
    ledger,
    pay,
    through_acs,
)
from ..support import Api, MerchantCredentials, assert_error, make_merchant

RETURN_URL = "https://shop.example/ok"
FAIL_URL = "https://shop.example/fail"
PASSWORD = "12345678"


@pytest.fixture
async def merchant(services: Services) -> MerchantCredentials:
    """A fresh merchant whose emulated issuers speak 3-D Secure 1."""
    return await make_merchant(
        services, settings=MerchantSettings(language="en", three_ds_protocol="3ds1")
    )


@pytest.fixture
def browser(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The buyer's browser, except that it never follows a redirect by itself."""
    return http


async def start(api: Api, pan: str = "4111111111111111", method: str = "register") -> str:
    body = await api.call(
        method, amount=2000, returnUrl=RETURN_URL, failUrl=FAIL_URL, language="en"
    )
    return str(body["orderId"])


async def to_acs(api: Api, order_id: str, pan: str = "4111111111111111") -> dict[str, Any]:
    answer = await pay(api, order_id, pan)
    assert answer["errorCode"] == "0", answer
    return answer


async def finish(browser: httpx.AsyncClient, back: AcsReturn) -> httpx.Response:
    """The auto-submitting form's POST of PaRes and MD to termUrl (finish3ds.do)."""
    return await browser.post(back.term_url, data=back.fields, follow_redirects=False)


async def test_an_enrolled_card_is_sent_to_the_acs_and_the_order_waits_in_status_5(
    api: Api,
) -> None:
    order_id = await start(api)
    answer = await to_acs(api, order_id)
    assert answer["acsUrl"] == f"{api.base_url}/acs/emulator/challenge"
    assert answer["paReq"]
    assert answer["termUrl"] == f"{api.base_url}/payment/rest/finish3ds.do?lang=en"
    assert answer["is3DSVer2"] is False
    assert "redirect" not in answer
    status = await api.status(order_id)
    assert status["orderStatus"] == 5
    assert status["paymentAmountInfo"]["paymentState"] == "CREATED"
    assert status["cardAuthInfo"]["maskedPan"] == "411111**1111"


@pytest.mark.parametrize(
    ("pan", "eci"),
    [
        ("4111111111111111", "05"),
        ("5555555555555599", "02"),
        ("5000001111111115", "02"),
        ("4012001038166662", "05"),
    ],
)
async def test_the_right_acs_password_pays_the_order_and_returns_to_the_shop(
    api: Api, browser: httpx.AsyncClient, services: Services, pan: str, eci: str
) -> None:
    order_id = await start(api)
    answer = await to_acs(api, order_id, pan)
    back = await through_acs(browser, order_id, answer, PASSWORD)
    assert back.term_url == answer["termUrl"]
    assert back.fields["MD"] == order_id

    response = await finish(browser, back)
    assert response.status_code == 303
    assert response.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"

    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    assert status["paymentAmountInfo"]["depositedAmount"] == 2000
    secure = status["cardAuthInfo"]["secureAuthInfo"]
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == (eci, "1.0.2")
    three_ds = secure["threeDSInfo"]
    assert (len(three_ds["cavv"]), len(three_ds["xid"]), three_ds["transStatus"]) == (28, 28, "Y")
    assert len(status["cardAuthInfo"]["approvalCode"]) == 6
    assert len(status["authRefNum"]) == 12
    assert len(approved_authorizations(await ledger(services, order_id))) == 1
    for body in back.pages:
        assert pan not in body
        assert order_id in body


async def test_3ds_on_a_two_stage_order_only_holds_the_amount(
    api: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(api, method="registerPreAuth")
    back = await through_acs(browser, order_id, await to_acs(api, order_id), PASSWORD)
    response = await finish(browser, back)
    assert response.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert status["orderStatus"] == 1
    assert status["paymentAmountInfo"]["approvedAmount"] == 2000
    assert status["paymentAmountInfo"]["depositedAmount"] == 0
    assert status["cardAuthInfo"]["secureAuthInfo"]["eci"] == "05"


async def test_a_wrong_acs_password_declines_with_2006(
    api: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), "00000000")
    response = await finish(browser, back)
    assert response.status_code == 303
    assert response.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2006)
    assert "approvalCode" not in status["cardAuthInfo"]


async def test_a_card_whose_issuer_cannot_finish_3ds_declines_with_2011(
    api: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(api)
    answer = await to_acs(api, order_id, "5555555555555557")
    back = await through_acs(browser, order_id, answer, PASSWORD)
    response = await finish(browser, back)
    assert response.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2011)


async def test_a_replayed_acs_return_never_authorises_twice(
    api: Api, browser: httpx.AsyncClient, services: Services
) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), PASSWORD)
    first = await finish(browser, back)
    paid = await api.status(order_id)
    again = await finish(browser, back)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await api.status(order_id) == paid
    assert len(approved_authorizations(await ledger(services, order_id))) == 1


async def test_a_replayed_return_of_a_declined_order_goes_to_fail_url_again(
    api: Api, browser: httpx.AsyncClient
) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), "wrong")
    await finish(browser, back)
    again = await finish(browser, back)
    assert again.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    assert (await api.status(order_id))["actionCode"] == -2006


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda back: "not-a-token", id="garbage"),
        pytest.param(
            lambda back: tokens.sign(
                b"someone-else",
                tokens.PARES,
                {**tokens_claims(back), "st": "Y", "ac": 0},
            ),
            id="signed-with-another-secret",
        ),
    ],
)
async def test_a_forged_pares_is_declined(api: Api, browser: httpx.AsyncClient, forge: Any) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), "wrong")
    forged = AcsReturn(back.term_url, {**back.fields, "PaRes": forge(back)}, back.pages)
    response = await finish(browser, forged)
    assert response.status_code == 303
    assert response.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2006)


def tokens_claims(back: AcsReturn) -> dict[str, Any]:
    """The claims of a real PaRes, read without its signature (the forger can do that)."""
    import base64
    import json

    payload = back.fields["PaRes"].partition(".")[0]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def test_the_pares_of_one_order_cannot_pay_another(
    api: Api, browser: httpx.AsyncClient
) -> None:
    paid_id, other_id = await start(api), await start(api)
    back = await through_acs(browser, paid_id, await to_acs(api, paid_id), PASSWORD)
    await to_acs(api, other_id)
    response = await finish(browser, AcsReturn(back.term_url, {**back.fields, "MD": other_id}, ()))
    assert response.headers["location"] == f"{FAIL_URL}?orderId={other_id}&lang=en"
    assert (await api.status(other_id))["orderStatus"] == 6
    assert (await api.status(paid_id))["orderStatus"] == 5


async def test_a_return_for_an_unknown_order_is_a_404_page(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/payment/rest/finish3ds.do?lang=en", data={"PaRes": "x", "MD": "nonsense"}
    )
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_an_order_that_expires_at_the_acs_is_not_paid_by_the_return(
    api: Api, browser: httpx.AsyncClient, services: Services
) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), PASSWORD)
    await expire_now(api, order_id)
    response = await finish(browser, back)
    assert response.status_code == 303
    assert response.headers["location"] == f"{FAIL_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, -2007)
    assert approved_authorizations(await ledger(services, order_id)) == []


async def test_an_order_at_the_acs_cannot_be_paid_again_meanwhile(api: Api) -> None:
    registered = await api.register(language="en", returnUrl=RETURN_URL)
    order_id = registered["orderId"]
    await to_acs(api, order_id)
    page = await api.http.get(registered["formUrl"])
    assert "result-processing" in page.text
    assert 'autocomplete="cc-number"' not in page.text
    answer = await pay(api, order_id, "4563960122001999", "347")
    assert_error(answer, "7", "payment_in_progress")
    assert (await api.status(order_id))["orderStatus"] == 5


async def test_two_concurrent_acs_returns_authorise_the_order_once(
    api: Api, browser: httpx.AsyncClient, services: Services
) -> None:
    order_id = await start(api)
    back = await through_acs(browser, order_id, await to_acs(api, order_id), PASSWORD)
    responses = await asyncio.gather(finish(browser, back), finish(browser, back))
    assert [r.status_code for r in responses] == [303, 303]
    paid = f"{RETURN_URL}?orderId={order_id}&lang=en"
    # the loser of the race is sent to the shop, or to the page that shows the payment is
    # still being processed; never to failUrl
    for response in responses:
        location = response.headers["location"]
        assert location == paid or "/payment/merchants/" in location, location
    assert paid in [r.headers["location"] for r in responses]
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    assert len(approved_authorizations(await ledger(services, order_id))) == 1


async def test_a_failed_3ds_with_attempts_left_returns_to_the_card_form(
    services: Services, browser: httpx.AsyncClient
) -> None:
    settings = MerchantSettings(language="en", max_attempts=2, three_ds_protocol="3ds1")
    api = Api(browser, await make_merchant(services, settings=settings))
    try:
        registered = await api.register(language="en", returnUrl=RETURN_URL, failUrl=FAIL_URL)
        order_id, form_url = registered["orderId"], registered["formUrl"]
        back = await through_acs(browser, order_id, await to_acs(api, order_id), "wrong")
        response = await finish(browser, back)
        assert response.status_code == 303
        assert response.headers["location"] == form_url
        status = await api.status(order_id)
        assert (status["orderStatus"], status["actionCode"]) == (0, -2006)

        page = await browser.get(form_url)
        assert 'autocomplete="cc-number"' in page.text
        assert "Cardholder authentication completed unsuccessfully" in page.text
        # the old PaRes again: back to the form, not to failUrl, and nothing changes
        again = await finish(browser, back)
        assert again.headers["location"] == form_url
        assert await api.status(order_id) == status

        retry = await through_acs(browser, order_id, await to_acs(api, order_id), PASSWORD)
        paid = await finish(browser, retry)
        assert paid.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
        assert (await api.status(order_id))["orderStatus"] == 2
    finally:
        await api.aclose()
