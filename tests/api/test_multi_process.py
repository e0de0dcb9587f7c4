"""Two gateway processes on one PostgreSQL database behave as one gateway: an order
registered on A is paid on B, its 3-D Secure return lands on A, and refunds raced across
both never exceed what was deposited: 40 one-unit refunds, half on A and half on B, of an
order with 20 units deposited (PostgreSQL only).

Nothing that matters lives in process memory: the emulator's 3-D Secure state travels in
signed tokens, and the signing secret is the one both processes read from
``gateway_secrets`` (neither is given ``ECOMGATE_SECRET_KEY`` here).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from ecomgate.domain.operations import OperationKind, OperationState
from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess, start_gateway

from ..support import Api, MerchantCredentials

pytestmark = pytest.mark.postgres_only

THREE_DS_CARD = "4012001038166662"  # 3-D Secure 1 only
THREE_DS2_CHALLENGE_CARD = "5555555555555599"
ACS_PASSWORD = "12345678"
EXPIRY_YEAR = str(datetime.now(UTC).year + 3)
#: one currency unit (rubles: 100 kopecks), the smallest refund the gateway accepts
UNIT = 100


@pytest.fixture(scope="module")
def pair(
    engine: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    no_secret = {"ECOMGATE_SECRET_KEY": ""}  # the shared one from gateway_secrets
    a = start_gateway(database_url, Path(tmp_path_factory.mktemp("host-a")), extra_env=no_secret)
    try:
        b = start_gateway(
            database_url, Path(tmp_path_factory.mktemp("host-b")), extra_env=no_secret
        )
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


@pytest.fixture
async def clients(
    pair: tuple[GatewayProcess, GatewayProcess], merchant: MerchantCredentials
) -> AsyncIterator[tuple[Api, Api]]:
    a, b = Api(pair[0].base_url, merchant), Api(pair[1].base_url, merchant)
    yield a, b
    await a.aclose()
    await b.aclose()


def _form(page: str, page_url: str) -> tuple[str, dict[str, str]]:
    """The page's first form: absolute action and its hidden fields."""
    match = re.search(r"<form[^>]*\baction=\"([^\"]*)\"(.*?)</form>", page, re.S)
    assert match, page
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r"<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"",
            match.group(2),
        )
    }
    return urljoin(page_url, html.unescape(match.group(1))), fields


def _on(base_url: str, url: str) -> str:
    """The same path and query on another host."""
    parts = urlsplit(url)
    return f"{base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


async def pay_across(api_a: Api, api_b: Api, amount: int) -> tuple[str, httpx.Response]:
    """Register on A, pay on B through the ACS on B, return from 3-D Secure on A."""
    registered = await api_a.register(amount=amount)
    order_id = registered["orderId"]
    answer = await api_b.call(
        "paymentorder",
        MDORDER=order_id,
        **{"$PAN": THREE_DS_CARD, "$CVC": "123"},
        YYYY=EXPIRY_YEAR,
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert answer.get("errorCode") == "0", answer
    assert {"acsUrl", "paReq", "termUrl"} <= set(answer), answer
    assert answer["acsUrl"].startswith(api_b.base_url)

    async with httpx.AsyncClient(timeout=30) as browser:
        challenge = await browser.post(
            answer["acsUrl"],
            data={"PaReq": answer["paReq"], "MD": order_id, "TermUrl": answer["termUrl"]},
        )
        assert challenge.status_code == 200, challenge.text
        action, fields = _form(challenge.text, str(challenge.url))
        done = await browser.post(
            action, data={**fields, "password": ACS_PASSWORD, "action": "submit"}
        )
        assert done.status_code == 200, done.text
        term_url, back = _form(done.text, str(done.url))
        assert "PaRes" in back and back["MD"] == order_id
        # the cardholder's browser comes back through the load balancer: to host A
        returned = await browser.post(
            _on(api_a.base_url, term_url), data={"PaRes": back["PaRes"], "MD": back["MD"]}
        )
    return order_id, returned


async def test_an_order_registered_on_a_and_paid_on_b_is_paid_on_both(
    clients: tuple[Api, Api],
) -> None:
    api_a, api_b = clients
    order_id, returned = await pay_across(api_a, api_b, 1500)
    assert returned.status_code in (200, 302, 303), returned.text
    if returned.is_redirect:
        assert "https://shop.example/ok" in returned.headers["location"]
    for api in (api_a, api_b):
        status = await api.status(order_id)
        assert status["orderStatus"] == 2, status
        assert status["actionCode"] == 0
        assert status["paymentAmountInfo"]["depositedAmount"] == 1500


async def test_refunds_raced_across_both_hosts_never_exceed_the_deposit(
    clients: tuple[Api, Api], services: Services
) -> None:
    api_a, api_b = clients
    order_id, _ = await pay_across(api_a, api_b, 20 * UNIT)
    assert (await api_b.status(order_id))["orderStatus"] == 2

    async def refund(api: Api) -> dict[str, Any]:
        return await api.call("refund", orderId=order_id, amount=UNIT)

    answers = await asyncio.gather(*(refund(api_a if i % 2 else api_b) for i in range(40)))
    succeeded = [a for a in answers if a.get("errorCode") == "0"]
    refused = [a for a in answers if a.get("errorCode") != "0"]
    assert len(succeeded) == 20, answers
    assert all(a["errorCode"] == "7" for a in refused), refused

    async with services.store.transaction() as tx:
        order = await tx.orders.get(order_id)
    assert order is not None
    refunds = [op for op in order.operations if op.kind is OperationKind.REFUND]
    approved = [op for op in refunds if op.state is OperationState.APPROVED]
    assert len(approved) == 20
    assert sum(op.amount for op in approved) == 20 * UNIT
    assert not [op for op in refunds if op.state is OperationState.PENDING]

    for api in (api_a, api_b):
        status = await api.status(order_id)
        assert status["paymentAmountInfo"]["refundedAmount"] == 20 * UNIT, status
        assert status["orderStatus"] == 4, status


async def test_a_3ds2_challenge_started_on_b_continued_on_a_and_returned_to_b_pays_once(
    clients: tuple[Api, Api], services: Services
) -> None:
    """3-D Secure 2 across hosts: paymentorder.do on B, the method step and 3ds/continue.do
    on A, the challenge page served by B, the CRes posted to A, finish3dsVer2Payment.do on
    B.  The step and the transaction id live on the ledger; the CReq/CRes in signed tokens."""
    api_a, api_b = clients
    order_id = (await api_a.register(amount=1200))["orderId"]
    answer = await api_b.call(
        "paymentorder",
        MDORDER=order_id,
        **{"$PAN": THREE_DS2_CHALLENGE_CARD, "$CVC": "123"},
        YYYY=EXPIRY_YEAR,
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert answer.get("is3DSVer2") is True, answer
    async with httpx.AsyncClient(timeout=30) as browser:
        method = await browser.post(
            _on(api_a.base_url, answer["threeDSMethodURL"]),
            data={"threeDSMethodData": answer["threeDSMethodDataPacked"]},
        )
        assert method.status_code == 200
        challenge = await api_a.call("3ds/continue", mdOrder=order_id)
        assert challenge.get("packedCReq"), challenge
        page = await browser.post(
            _on(api_b.base_url, challenge["acsUrl"]), data={"creq": challenge["packedCReq"]}
        )
        assert page.status_code == 200, page.text
        action, fields = _form(page.text, str(page.url))
        done = await browser.post(action, data={**fields, "otp": "123456", "action": "submit"})
        notification_url, back = _form(done.text, str(done.url))
        returned = await browser.post(_on(api_a.base_url, notification_url), data=back)
    assert returned.status_code == 303, returned.text
    finished = await api_b.call(
        "finish3dsVer2Payment", threeDSServerTransId=answer["threeDSServerTransId"]
    )
    assert finished["errorCode"] == "0", finished
    for api in (api_a, api_b):
        status = await api.status(order_id)
        assert (status["orderStatus"], status["actionCode"]) == (2, 0), status
        assert status["cardAuthInfo"]["secureAuthInfo"]["threeDSInfo"]["transStatus"] == "Y"
    async with services.store.transaction() as tx:
        order = await tx.orders.get(order_id)
    assert order is not None
    authorizations = [op for op in order.operations if op.kind is OperationKind.AUTHORIZATION]
    assert [op.state for op in authorizations] == [OperationState.APPROVED]
