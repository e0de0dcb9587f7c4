"""The ``.do`` endpoint (web/api/endpoint.py) in-process: where parameters may arrive, both
path prefixes, unknown methods, unreadable bodies, the JSON answer (spec §10).  The seed's
own curl call runs against a real server: tests/api/test_serve.py."""

from __future__ import annotations

import httpx

from ..support import Api, MerchantCredentials, assert_error


def _params(merchant: MerchantCredentials, number: str) -> dict[str, str]:
    return {
        **merchant.auth,
        "orderNumber": number,
        "amount": "1000",
        "returnUrl": "https://shop.example/ok",
    }


async def test_form_body_of_a_post(http: httpx.AsyncClient, merchant: MerchantCredentials) -> None:
    r = await http.post("/payment/rest/register.do", data=_params(merchant, "T-1"))
    assert "orderId" in r.json()


async def test_query_string_of_a_post_with_empty_json_labelled_body(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    r = await http.post(
        "/payment/rest/register.do",
        params=_params(merchant, "T-2"),
        headers={"Content-Type": "application/json"},
    )
    assert "orderId" in r.json()


async def test_get_query_string(http: httpx.AsyncClient, merchant: MerchantCredentials) -> None:
    r = await http.get("/payment/rest/register.do", params=_params(merchant, "T-3"))
    assert "orderId" in r.json()


async def test_get_with_a_form_body(http: httpx.AsyncClient, merchant: MerchantCredentials) -> None:
    body = httpx.QueryParams(_params(merchant, "T-4"))
    r = await http.request(
        "GET",
        "/payment/rest/register.do",
        content=str(body).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "orderId" in r.json()


async def test_json_body(http: httpx.AsyncClient, merchant: MerchantCredentials) -> None:
    r = await http.post("/payment/rest/register.do", json=_params(merchant, "T-5"))
    assert "orderId" in r.json()


async def test_body_wins_over_query_string(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    r = await http.post(
        "/payment/rest/register.do",
        params={"amount": "1"},
        data=_params(merchant, "T-6"),
    )
    order_id = r.json()["orderId"]
    status = await http.post(
        "/payment/rest/getOrderStatusExtended.do", data={**merchant.auth, "orderId": order_id}
    )
    assert status.json()["amount"] == 1000


async def test_short_rest_prefix_works_too(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    r = await http.post("/rest/register.do", data=_params(merchant, "T-7"))
    order_id = r.json()["orderId"]
    status = await http.get(
        "/rest/getOrderStatusExtended.do", params={**merchant.auth, "orderId": order_id}
    )
    assert status.json()["orderStatus"] == 0


async def test_unknown_method_is_404_json(http: httpx.AsyncClient) -> None:
    r = await http.post("/payment/rest/teleport.do")
    assert r.status_code == 404
    assert r.json() == {"errorCode": "7", "errorMessage": "Unknown method: teleport.do"}


async def test_garbage_body_is_a_clean_error(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    r = await http.post(
        "/payment/rest/register.do",
        content=b"\xff\xfe\x00garbage=%%%&&==",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    assert_error(r.json(), "5", "access_denied", "ru")


async def test_health(http: httpx.AsyncClient) -> None:
    r = await http.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_every_api_answer_is_utf8_json(api: Api) -> None:
    body = await api.register(description="Чай зелёный")
    status = await api.status(body["orderId"])
    assert status["orderDescription"] == "Чай зелёный"
