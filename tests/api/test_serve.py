"""A real ``ecomgate serve`` on 127.0.0.1, on both storage engines: what only a real server
shows — the seed's curl call verbatim, /health, a whole paid order with 3-D Secure over real
HTTP (ACS pages and finish3ds.do included), and the background sweeper of the running
process.  Everything else about the web layer is tested in-process in ``tests/web``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import httpx

from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess

from ..support import Api, MerchantCredentials
from .paying import approved_authorizations, ledger, pay, stored_order, through_acs

RETURN_URL = "https://shop.example/ok"


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
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    body = json.loads(out.stdout)
    assert set(body) == {"orderId", "formUrl"}
    assert body["formUrl"].startswith(f"{gateway.base_url}/payment/merchants/ecom/payment_en")
    status = subprocess.run(
        [
            "curl", "-s",
            "--data", f"userName={merchant.login}",
            "--data", f"password={merchant.password}",
            "--data", f"orderId={body['orderId']}",
            f"{gateway.base_url}/payment/rest/getOrderStatusExtended.do",
        ],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    state = json.loads(status.stdout)
    assert state["orderStatus"] == 0
    assert state["actionCode"] == -100
    assert state["amount"] == 2000
    assert state["currency"] == "643"
    assert state["paymentAmountInfo"]["paymentState"] == "CREATED"


async def test_health(gateway: GatewayProcess) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        r = await http.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["pid"] == gateway.process.pid


async def test_a_whole_paid_order_with_3ds_over_real_http(api: Api, services: Services) -> None:
    """register.do, the card form at formUrl, paymentorder.do, the ACS pages, finish3ds.do's
    redirect to the shop, and the status: every hop through the real server."""
    registered = await api.register(language="en", returnUrl=RETURN_URL, amount=2000)
    order_id = registered["orderId"]
    form = await api.http.get(registered["formUrl"])
    assert form.status_code == 200 and 'autocomplete="cc-number"' in form.text
    answer = await pay(api, order_id, "4012001038166662")  # 3-D Secure 1 only
    assert answer["acsUrl"] == f"{api.base_url}/acs/emulator/challenge"
    back = await through_acs(api.http, order_id, answer, "12345678")
    finished = await api.http.post(back.term_url, data=back.fields, follow_redirects=False)
    assert finished.status_code == 303
    assert finished.headers["location"] == f"{RETURN_URL}?orderId={order_id}&lang=en"
    status = await api.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = status["cardAuthInfo"]["secureAuthInfo"]
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("05", "1.0.2")
    assert len(approved_authorizations(await ledger(services, order_id))) == 1


async def test_the_sweeper_expires_an_order_nobody_looks_at(api: Api, services: Services) -> None:
    """The gateway process sweeps every second (ECOMGATE_SWEEP_INTERVAL's default): an order
    whose 1-second lifetime ends is expired without any reader."""
    order_id = (await api.register(sessionTimeoutSecs=1))["orderId"]
    deadline = time.monotonic() + 10
    while True:  # read the row directly: a status call would expire it by itself
        order = await stored_order(services, order_id)
        if order.status == 6:
            break
        assert time.monotonic() < deadline, f"no sweep expired the order within 10 s: {order}"
        await asyncio.sleep(0.1)
    assert (order.status, order.action_code) == (6, -2007)
