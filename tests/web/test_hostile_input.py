"""Odd, broken or hostile input always gets a JSON errorCode in the API's own form — never a
500, a plain-text page, or a silently different value (spec §10)."""

from __future__ import annotations

import json

import httpx
import pytest

from ecomgate.services.context import Services

from ..support import Api, MerchantCredentials, assert_error, make_merchant

REGISTER = "/payment/rest/register.do"


def _base(merchant: MerchantCredentials, **extra: str) -> dict[str, str]:
    return {
        **merchant.auth,
        "amount": "1000",
        "returnUrl": "https://shop.example/ok",
        "language": "en",
        **extra,
    }


async def test_lone_surrogates_in_a_json_body_get_a_json_answer(
    api: Api, merchant: MerchantCredentials
) -> None:
    for name in ("features", "description", "userName"):
        body = json.dumps(_base(merchant, **{name: "\udcff"}))  # escaped as \\udcff
        r = await api.http.post(
            REGISTER, content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 200
        answer = r.json()  # the surrogate is replaced, never echoed into a broken answer
        assert "orderId" in answer or answer["errorCode"] in {"5", "14"}, r.text


@pytest.mark.parametrize("amount", ["١٠٠٠", "１０００", "1 000", "+1000", "1e3", " 1000"])
async def test_only_ascii_digits_are_money(
    api: Api, merchant: MerchantCredentials, amount: str
) -> None:
    r = await api.http.post(REGISTER, data=_base(merchant, amount=amount))
    assert_error(r.json(), "5", "not_amount", name="amount")


async def test_a_repeated_amount_takes_the_first_value_as_the_bank_does(
    api: Api, merchant: MerchantCredentials
) -> None:
    content = httpx.QueryParams(_base(merchant)).merge({}).__str__() + "&amount=100000"
    r = await api.http.post(
        REGISTER,
        content=content.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    status = await api.status(r.json()["orderId"])
    assert status["amount"] == 1000


async def test_head_and_put_are_refused_in_json_and_register_nothing(
    api: Api, merchant: MerchantCredentials
) -> None:
    params = _base(merchant, orderNumber="HEAD-1")
    head = await api.http.head(REGISTER, params=params)
    put = await api.http.put(REGISTER, data=params)
    assert head.status_code == put.status_code == 405
    assert put.json() == {"errorCode": "7", "errorMessage": "Method PUT not allowed"}
    status = await api.call("getOrderStatusExtended", orderNumber="HEAD-1")
    assert_error(status, "6", "order_not_found")


@pytest.mark.parametrize("name", ["orderNumber", "description", "userName"])
async def test_control_characters_are_refused_on_both_engines(
    api: Api, merchant: MerchantCredentials, name: str
) -> None:
    r = await api.http.post(REGISTER, data=_base(merchant, **{name: "a\x00b"}))
    # a credential with a control character is no merchant's: access denied, unlooked-up
    key = "access_denied" if name == "userName" else "control_characters"
    # spec §3.1: an invalid orderNumber of register.do is errorCode 1
    code = "1" if name == "orderNumber" else "5"
    assert_error(r.json(), code, key, name=name)


async def test_a_password_with_angle_brackets_still_logs_in(
    http: httpx.AsyncClient, services: Services
) -> None:
    from ecomgate.services import merchants

    await merchants.create_merchant(services, login="angle-api", password="pass<word1")
    api = Api(http, MerchantCredentials("angle-api", "pass<word1"))
    assert "orderId" in await api.register()
    await api.aclose()


@pytest.mark.parametrize("url", ["http://[::1/", "   ", "http://shop.example:99999/", "https://"])
async def test_broken_return_urls_are_error_4(
    api: Api, merchant: MerchantCredentials, url: str
) -> None:
    r = await api.http.post(REGISTER, data=_base(merchant, returnUrl=url))
    key = "bad_url" if url.strip() else "missing_parameter"
    assert_error(r.json(), "4", key, name="returnUrl")


async def test_deeply_nested_json_is_a_clean_error_5(
    api: Api, merchant: MerchantCredentials
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    r = await api.http.post(REGISTER, data=_base(merchant, orderBundle=nested))
    assert_error(r.json(), "5", "bad_json", name="orderBundle")


async def test_a_body_over_one_megabyte_is_refused(api: Api, merchant: MerchantCredentials) -> None:
    r = await api.http.post(REGISTER, data=_base(merchant, description="x" * (1 << 20)))
    assert r.status_code == 200
    assert_error(r.json(), "5", "body_too_large", max=1 << 20)


async def test_the_return_url_keeps_its_fragment_last(api: Api, services: Services) -> None:
    body = await api.register(returnUrl="https://shop.example/ok?step=2#top")
    paid = await api.call(
        "paymentorder",
        MDORDER=body["orderId"],
        **{"$PAN": "4563960122001999", "$CVC": "347"},
        YYYY="2030",
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert paid["errorCode"] == "0"
    assert paid["errorMessage"]
    assert paid["redirect"] == (
        f"https://shop.example/ok?step=2&orderId={body['orderId']}&lang=en#top"
    )


@pytest.mark.parametrize(("month", "year"), [("¹²", "2030"), ("12", "9999"), ("12", "２０３０")])
async def test_odd_expiry_digits_are_a_card_data_error_not_a_system_error(
    api: Api, month: str, year: str
) -> None:
    body = await api.register()
    answer = await api.call(
        "paymentorder",
        MDORDER=body["orderId"],
        **{"$PAN": "4563960122001999", "$CVC": "347"},
        YYYY=year,
        MM=month,
    )
    assert_error(answer, "1", "card_expiry_invalid")
    assert answer["field"] == "expiry"


async def test_an_unknown_language_falls_back_to_the_merchants(
    http: httpx.AsyncClient, services: Services
) -> None:
    from ecomgate.domain.merchant import MerchantSettings

    russian = Api(http, await make_merchant(services, settings=MerchantSettings()))
    body = await russian.call("register", returnUrl="https://s.example", language="de")
    assert_error(body, "4", "missing_parameter", "ru", name="amount")
    await russian.aclose()
