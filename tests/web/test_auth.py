"""Merchant credentials, tokens and isolation between merchants (spec §1.4), in-process."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from ecomgate.services.context import Services

from ..support import Api, MerchantCredentials, make_merchant


async def test_wrong_password_is_access_denied(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    api = Api(http, MerchantCredentials(merchant.login, "wrong-password"))
    body = await api.register()
    assert body == {"errorCode": "5", "errorMessage": body["errorMessage"]}
    assert "Access denied" in body["errorMessage"] or "Доступ" in body["errorMessage"]
    await api.aclose()


async def test_unknown_login_is_access_denied(http: httpx.AsyncClient) -> None:
    api = Api(http, MerchantCredentials("nobody-api", "whatever"))
    assert (await api.register())["errorCode"] == "5"
    await api.aclose()


async def test_missing_credentials_are_access_denied(http: httpx.AsyncClient) -> None:
    api = Api(http)
    body = await api.register(language="en")
    assert body["errorCode"] == "5"
    assert body["errorMessage"] == "Access denied"
    await api.aclose()


async def test_a_cached_login_still_rejects_a_wrong_password(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    good = Api(http, merchant)
    bad = Api(http, MerchantCredentials(merchant.login, merchant.password + "x"))
    assert "orderId" in await good.register()
    assert (await bad.register())["errorCode"] == "5"
    await good.aclose()
    await bad.aclose()


def _cli(database_url: str, *args: str) -> str:
    """The operator's command line, on the in-process app's SQLite file."""
    result = subprocess.run(
        [sys.executable, "-m", "ecomgate.cli", *args],
        env={"ECOMGATE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


async def test_token_issued_by_the_cli_authenticates(
    http: httpx.AsyncClient, web_database_url: str, merchant: MerchantCredentials
) -> None:
    token = _cli(web_database_url, "merchant", "token", merchant.login).strip()
    api = Api(http)
    body = await api.register(token=token)
    assert "orderId" in body
    status = await api.status(body["orderId"], token=token)
    assert status["orderStatus"] == 0
    assert (await api.register(token=token + "x"))["errorCode"] == "5"
    both = await api.register(token=token, userName=merchant.login, password=merchant.password)
    assert both["errorCode"] == "5"
    await api.aclose()


async def test_a_merchant_never_sees_another_merchants_order(
    http: httpx.AsyncClient, services: Services
) -> None:
    alice = Api(http, await make_merchant(services))
    bob = Api(http, await make_merchant(services))
    order = await alice.register(orderNumber="SHARED-1")
    by_id = await bob.status(order["orderId"])
    by_number = await bob.call("getOrderStatusExtended", orderNumber="SHARED-1")
    missing = await bob.status("01491d0b-c848-7dd6-a20d-e96900a7d8c0")
    assert by_id["errorCode"] == by_number["errorCode"] == missing["errorCode"] == "6"
    assert by_id["errorMessage"] == missing["errorMessage"]
    # order numbers are per merchant: Bob may use Alice's number
    assert "orderId" in await bob.register(orderNumber="SHARED-1")
    await alice.aclose()
    await bob.aclose()


async def test_merchant_login_needs_the_permission(
    http: httpx.AsyncClient, services: Services
) -> None:
    child = await make_merchant(services)
    plain = Api(http, await make_merchant(services))
    parent = Api(http, await make_merchant(services, permissions=("other-merchants",)))
    assert (await plain.register(merchantLogin=child.login))["errorCode"] == "5"
    body = await parent.register(merchantLogin=child.login, orderNumber="FOR-CHILD")
    child_api = Api(http, child)
    assert (await child_api.call("getOrderStatusExtended", orderNumber="FOR-CHILD"))[
        "errorCode"
    ] == "0"
    assert body["orderId"]
    for client in (plain, parent, child_api):
        await client.aclose()


@pytest.mark.parametrize("method", ["getOrderStatusExtended", "getOrderStatus", "register"])
async def test_every_method_requires_credentials(http: httpx.AsyncClient, method: str) -> None:
    api = Api(http)
    body = await api.call(method, orderId="01491d0b-c848-7dd6-a20d-e96900a7d8c0")
    assert (body.get("errorCode") or body.get("ErrorCode")) == "5"
    await api.aclose()
