"""Where parameters may arrive, both path prefixes, and the seed's own curl call (§10)."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from ..support import Api, GatewayProcess, MerchantCredentials


@pytest.fixture
async def http(gateway: GatewayProcess) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as client:
        yield client


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
    assert r.json()["errorCode"] == "7"


async def test_garbage_body_is_a_clean_error(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    r = await http.post(
        "/payment/rest/register.do",
        content=b"\xff\xfe\x00garbage=%%%&&==",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    assert r.json()["errorCode"] == "5"


async def test_health(http: httpx.AsyncClient) -> None:
    r = await http.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_the_seed_curl_example_works_verbatim(
    gateway: GatewayProcess, merchant: MerchantCredentials
) -> None:
    out = subprocess.run(
        [
            "curl", "-s",
            "--data", "amount=2000",
            "--data", "currency=643",
            "--data", f"userName={merchant.login}",
            "--data", f"password={merchant.password}",
            "--data", "returnUrl=https://mybestmerchantreturnurl.com",
            "--data", "description=my_first_order",
            "--data", "language=en",
            f"{gateway.base_url}/payment/rest/register.do",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    body = json.loads(out.stdout)
    assert set(body) == {"orderId", "formUrl"}
    status = subprocess.run(
        [
            "curl", "-s",
            "--data", f"userName={merchant.login}",
            "--data", f"password={merchant.password}",
            "--data", f"orderId={body['orderId']}",
            f"{gateway.base_url}/payment/rest/getOrderStatusExtended.do",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    state = json.loads(status.stdout)
    assert state["orderStatus"] == 0
    assert state["actionCode"] == -100
    assert state["amount"] == 2000
    assert state["currency"] == "643"
    assert state["paymentAmountInfo"]["paymentState"] == "CREATED"


async def test_every_api_answer_is_utf8_json(api: Api) -> None:
    body = await api.register(description="Чай зелёный")
    status = await api.status(body["orderId"])
    assert status["orderDescription"] == "Чай зелёный"
