"""Limits against abuse, in-process: the body limit whatever the framing, and throttled
logins answered in the API's own form without running the slow hash (issue 16)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from ecomgate.services import merchants as merchant_service
from ecomgate.services.auth import VERSION_CHECK_SECONDS, Authenticator
from ecomgate.services.context import Services
from ecomgate.web.api.params import MAX_BODY

from ..support import Api, MerchantCredentials, ShiftableClock, assert_error, make_merchant

CHUNK = 64 * 1024


class CountingBody:
    """A request body of ``total`` bytes sent chunked, counting what the server pulled."""

    def __init__(self, total: int, prefix: bytes = b"") -> None:
        self.total = total
        self.prefix = prefix
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.prefix:
            self.sent += len(self.prefix)
            yield self.prefix
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"a" * CHUNK


async def orders_of(services: Services, login: str) -> int:
    async with services.store.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
        assert merchant is not None
        row = await repos.db.fetchone(  # type: ignore[attr-defined]
            "SELECT count(*) AS n FROM orders WHERE merchant_id = $1", merchant.id
        )
    return int(row["n"])


def form_prefix(merchant: MerchantCredentials) -> bytes:
    return (
        f"userName={merchant.login}&password={merchant.password}"
        "&amount=100&returnUrl=https://shop.example/ok&description="
    ).encode()


async def test_a_chunked_body_over_the_limit_is_refused_after_reading_only_the_limit(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    body = CountingBody(256 * 1024 * 1024, form_prefix(merchant))
    response = await http.post(
        "/payment/rest/register.do",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert_error(response.json(), "5", "body_too_large", max=MAX_BODY)
    assert response.headers["connection"] == "close"
    # the server stopped pulling at the limit: not 256 MiB in memory
    assert body.sent <= MAX_BODY + 2 * CHUNK
    assert await orders_of(services, merchant.login) == 0


async def test_a_multipart_body_over_the_limit_is_refused(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    response = await http.post(
        "/payment/rest/register.do",
        data={**merchant.auth, "amount": "100", "returnUrl": "https://shop.example/ok"},
        files={"description": ("big.txt", b"x" * (MAX_BODY + 1))},
    )
    assert_error(response.json(), "5", "body_too_large", max=MAX_BODY)
    assert await orders_of(services, merchant.login) == 0


async def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    body = CountingBody(MAX_BODY + CHUNK)
    response = await http.post(
        "/payment/rest/register.do",
        content=body,
        headers={"content-length": str(MAX_BODY + CHUNK)},
    )
    assert_error(response.json(), "5", "body_too_large", max=MAX_BODY)


async def test_a_page_body_over_the_limit_is_http_413(http: httpx.AsyncClient) -> None:
    response = await http.post("/acs/anything", content=CountingBody(MAX_BODY + CHUNK))
    assert response.status_code == 413


async def test_a_body_under_the_limit_still_registers(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    body = CountingBody(MAX_BODY // 2, form_prefix(merchant) + b"x")
    # a description of ~512 KiB is too long for register.do, but it is read and judged
    response = await http.post(
        "/payment/rest/register.do",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["errorCode"] == "5"
    assert "description" in response.json()["errorMessage"]


@pytest.fixture
def authenticator(app: Starlette) -> Authenticator:
    auth: Authenticator = app.state.authenticator
    return auth


async def test_a_login_over_its_failures_is_throttled_without_hashing(
    http: httpx.AsyncClient,
    services: Services,
    merchant: MerchantCredentials,
    authenticator: Authenticator,
    clock: ShiftableClock,
) -> None:
    wrong = Api(http, MerchantCredentials(merchant.login, "wrong-password"))
    right = Api(http, merchant)
    for _ in range(5):
        assert_error(await wrong.register(), "5", "access_denied", "ru")
    hashes = authenticator.hash_pool.runs
    # blocked for 1 s (the first wait), the right password too, and no hash is paid
    assert_error(await wrong.register(), "5", "auth_throttled", "ru", seconds=1)
    assert_error(await right.register(), "5", "auth_throttled", "ru", seconds=1)
    assert authenticator.hash_pool.runs == hashes
    clock.advance(1.5)
    assert "orderId" in await right.register()
    # a success clears the login's count
    for _ in range(4):
        assert_error(await wrong.register(), "5", "access_denied", "ru")
    assert "orderId" in await right.register()


async def test_the_wait_doubles_with_each_failure_past_the_limit(
    http: httpx.AsyncClient, merchant: MerchantCredentials, clock: ShiftableClock
) -> None:
    wrong = Api(http, MerchantCredentials(merchant.login, "wrong-password"))
    for _ in range(5):
        await wrong.register()
    waits = []
    for _ in range(3):
        body = await wrong.register()
        waits.append(body["errorMessage"])
        clock.advance(10)  # past any wait so far: the next try is checked, and fails
        assert_error(await wrong.register(), "5", "access_denied", "ru")
    assert waits == [
        "Доступ запрещён: слишком много неудачных входов, повторите через 1 с",
        "Доступ запрещён: слишком много неудачных входов, повторите через 2 с",
        "Доступ запрещён: слишком много неудачных входов, повторите через 4 с",
    ]


async def test_an_unknown_login_is_throttled_like_a_known_one(http: httpx.AsyncClient) -> None:
    nobody = Api(http, MerchantCredentials("nobody-throttled-api", "whatever"))
    for _ in range(5):
        assert_error(await nobody.register(), "5", "access_denied", "ru")
    assert_error(await nobody.register(), "5", "auth_throttled", "ru", seconds=1)


async def test_a_cached_shop_keeps_working_while_its_login_is_guessed(
    http: httpx.AsyncClient, merchant: MerchantCredentials
) -> None:
    right = Api(http, merchant)
    assert "orderId" in await right.register()  # now cached
    wrong = Api(http, MerchantCredentials(merchant.login, "guess"))
    for _ in range(8):
        await wrong.register()
    assert "orderId" in await right.register()


async def test_an_unknown_login_costs_a_slow_hash_like_a_wrong_password(
    http: httpx.AsyncClient, merchant: MerchantCredentials, authenticator: Authenticator
) -> None:
    before = authenticator.hash_pool.runs
    await Api(http, MerchantCredentials("nobody-timing-api", "whatever")).register()
    assert authenticator.hash_pool.runs == before + 1
    await Api(http, MerchantCredentials(merchant.login, "wrong")).register()
    assert authenticator.hash_pool.runs == before + 2


async def test_a_disabled_merchant_is_refused_once_the_version_is_read(
    http: httpx.AsyncClient,
    services: Services,
    authenticator: Authenticator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = await make_merchant(services)
    api = Api(http, shop)
    assert "orderId" in await api.register()  # cached now
    await merchant_service.update_merchant(services, shop.login, settings={"disabled": True})
    # the version is read at most every VERSION_CHECK_SECONDS: move that clock past it
    later = time.monotonic() + VERSION_CHECK_SECONDS
    monkeypatch.setattr(authenticator, "monotonic", lambda: later)
    assert_error(await api.register(), "5", "access_denied", "ru")


async def test_the_card_form_is_rate_limited_per_order(
    http: httpx.AsyncClient, api: Api, clock: ShiftableClock
) -> None:
    order_id = (await api.register())["orderId"]
    bad_card = {"MDORDER": order_id, "$PAN": "1234", "$CVC": "1", "YYYY": "2030", "MM": "12"}
    for _ in range(30):  # card-data errors use no payment attempt: only the limit stops them
        body = (await http.post("/payment/rest/processform.do", data=bad_card)).json()
        assert body["field"] == "pan", body
    refused = (await http.post("/payment/rest/processform.do", data=bad_card)).json()
    assert_error(refused, "5", "payment_rate_limited", "ru", seconds=600)
    clock.advance(601)  # the next window
    again = (await http.post("/payment/rest/processform.do", data=bad_card)).json()
    assert again["field"] == "pan", again
