"""Merchant credentials, tokens and isolation between merchants (spec §1.4), in-process."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services

from ..support import Api, MerchantCredentials, assert_error, make_merchant


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
    assert_error(await api.register(), "5", "access_denied", "ru")
    await api.aclose()


async def test_missing_credentials_are_access_denied(http: httpx.AsyncClient) -> None:
    api = Api(http)
    body = await api.register(language="en")
    assert_error(body, "5", "access_denied")
    await api.aclose()


async def test_a_cached_login_still_rejects_a_wrong_password(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    good = Api(http, merchant)
    bad = Api(http, MerchantCredentials(merchant.login, merchant.password + "x"))
    assert "orderId" in await good.register()
    assert_error(await bad.register(), "5", "access_denied", "ru")
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
    assert_error(await api.register(token=token + "x"), "5", "access_denied", "ru")
    both = await api.register(token=token, userName=merchant.login, password=merchant.password)
    assert_error(both, "5", "credentials_twice", "ru")
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
    for body in (by_id, by_number, missing):
        assert_error(body, "6", "order_not_found")
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
    parent_login = await make_merchant(services, permissions=("other-merchants",))
    parent = Api(http, parent_login)
    await merchant_service.update_merchant(services, child.login, parent=parent_login.login)
    # refused before the merchant is known, so in the default language (ru)
    assert_error(await plain.register(merchantLogin=child.login), "5", "access_denied", "ru")
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


async def test_with_token_authentication_the_status_is_looked_up_by_order_id_only(
    http: httpx.AsyncClient, web_database_url: str, merchant: MerchantCredentials
) -> None:
    """Spec §3.3: with ``token`` only ``orderId`` names the order: ``orderNumber`` alone is
    errorCode 1, and beside an orderId it is ignored; with a password both work."""
    token = _cli(web_database_url, "merchant", "token", merchant.login).strip()
    api = Api(http)
    try:
        body = await api.register(token=token, orderNumber="TOKEN-1", language="en")
        order_id = body["orderId"]
        by_number = await api.call("getOrderStatusExtended", token=token, orderNumber="TOKEN-1")
        assert_error(by_number, "1", "order_id_required_with_token")
        both = await api.call(
            "getOrderStatusExtended", token=token, orderId=order_id, orderNumber="OTHER"
        )
        assert both["orderNumber"] == "TOKEN-1"
        password = Api(http, merchant)
        try:
            found = await password.call("getOrderStatusExtended", orderNumber="TOKEN-1")
            assert found["orderStatus"] == 0
        finally:
            await password.aclose()
    finally:
        await api.aclose()
