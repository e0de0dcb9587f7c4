"""Input hygiene, in-process: merchant-supplied URLs are absolute http(s) or refused with
errorCode 5, card fields never travel in a query string, and the inputs fuzzing found to
cause system errors are answered in the API's form (issue 16)."""

from __future__ import annotations

import json

import httpx
import pytest

from ..api.paying import card
from ..support import Api, MerchantCredentials, assert_error

HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/phish",
    "/relative/path",
    "ftp://shop.example/file",
    "https://",
    "https://shop.example/a b",
    "http://shop.example:99999/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_back_to_shop_url_must_be_an_absolute_http_url(api: Api, url: str) -> None:
    body = await api.register(jsonParams=json.dumps({"backToShopUrl": url}))
    assert_error(body, "5", "not_absolute_url", name="jsonParams.backToShopUrl")


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_dynamic_callback_url_must_be_an_absolute_http_url(api: Api, url: str) -> None:
    body = await api.register(dynamicCallbackUrl=url)
    assert_error(body, "5", "not_absolute_url", name="dynamicCallbackUrl")


@pytest.mark.parametrize("url", HOSTILE_URLS[:3])
async def test_add_params_cannot_set_a_hostile_back_to_shop_url(api: Api, url: str) -> None:
    order_id = (await api.register())["orderId"]
    body = await api.call("addParams", orderId=order_id, params=json.dumps({"backToShopUrl": url}))
    assert_error(body, "5", "not_absolute_url", name="params.backToShopUrl")
    status = await api.status(order_id)
    assert not any(p["name"] == "backToShopUrl" for p in status.get("merchantOrderParams", []))


async def test_good_merchant_urls_are_kept(api: Api) -> None:
    body = await api.register(
        jsonParams=json.dumps({"backToShopUrl": "https://shop.example/cart"}),
        dynamicCallbackUrl="https://shop.example/callback?order=1",
    )
    assert "orderId" in body, body


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/", "data:text/html,x"])
async def test_return_urls_that_are_not_http_are_refused_as_the_spec_says(
    api: Api, url: str
) -> None:
    """returnUrl/failUrl keep spec §2.6's errorCode 4 (a relative path is "invalid")."""
    assert_error(await api.register(returnUrl=url), "4", "bad_url", name="returnUrl")
    assert_error(await api.register(failUrl=url), "4", "bad_url", name="failUrl")


@pytest.mark.parametrize("field", ["$PAN", "$CVC", "$EXPIRY", "pan", "cvc", "PAN", "$cardholder"])
async def test_card_fields_in_a_query_string_are_refused(
    http: httpx.AsyncClient, api: Api, merchant: MerchantCredentials, field: str
) -> None:
    order_id = (await api.register())["orderId"]
    fields = {**merchant.auth, **card("4563960122001999", "347"), "MDORDER": order_id}
    value = fields.pop(field, "4563960122001999")
    for method in ("paymentorder", "processform", "createBindingNoPayment"):
        response = await http.post(f"/payment/rest/{method}.do", params={field: value}, data=fields)
        assert_error(response.json(), "5", "card_data_in_query", name=field)
    status = await api.status(order_id)
    assert status["orderStatus"] == 0 and status["paymentAmountInfo"]["paymentState"] == "CREATED"


async def test_card_fields_in_a_get_query_are_refused(
    http: httpx.AsyncClient, api: Api, merchant: MerchantCredentials
) -> None:
    order_id = (await api.register())["orderId"]
    query = {**merchant.auth, **card("4563960122001999", "347"), "MDORDER": order_id}
    response = await http.get("/payment/rest/paymentorder.do", params=query)
    assert_error(response.json(), "5", "card_data_in_query", name="$CVC")
    assert (await api.status(order_id))["orderStatus"] == 0


# -- what fuzzing found: system errors with a traceback, now the API's own answers --------
async def test_a_lone_surrogate_in_json_params_is_not_a_system_error(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    body = {
        **merchant.auth,
        "amount": 100,
        "returnUrl": "https://shop.example/ok",
        "jsonParams": '{"note": "\\ud800"}',
    }
    answer = (await http.post("/payment/rest/register.do", json=body)).json()
    assert_error(answer, "5", "bad_json_params", name="jsonParams")


async def test_a_lone_surrogate_in_order_bundle_is_not_a_system_error(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    bundle = '{"cartItems": {"items": [{"positionId": 1, "name": "\\udfff", "itemAmount": 100}]}}'
    body = {
        **merchant.auth,
        "amount": 100,
        "returnUrl": "https://shop.example/ok",
        "orderBundle": bundle,
    }
    answer = (await http.post("/payment/rest/register.do", json=body)).json()
    assert_error(answer, "5", "bad_json", name="orderBundle")


async def test_a_nul_in_merchant_login_is_access_denied(
    api: Api, merchant: MerchantCredentials
) -> None:
    assert_error(await api.register(merchantLogin="a\x00b"), "5", "access_denied", "ru")
