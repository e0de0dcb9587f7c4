"""Test helpers: an API client (over the network or in-process), merchants, the service
layer as a gateway builds it.  Running a gateway process and throw-away PostgreSQL
databases live in ``ecomgate.testing`` (shared with ``bench`` and ``scripts/``)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ecomgate.acquirers.registry import create_acquirer
from ecomgate.domain.ids import normalize_order_id
from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Policy, Services
from ecomgate.services.ports import Store
from ecomgate.services.vault import Vault, parse_keys
from ecomgate.testing.processes import TEST_SECRET, TEST_VAULT_KEYS
from ecomgate.web.form_tokens import form_token, page_key
from ecomgate.web.links import WebLinks


def services_on(store: Store, *, public_url: str = "http://127.0.0.1", **kw: Any) -> Services:
    """The service layer on ``store`` with the emulator, as a gateway would build it."""
    acquirer = create_acquirer("emulator", secret=TEST_SECRET.encode(), acs_base_url=public_url)
    kw.setdefault("policy", Policy())
    kw.setdefault("vault", Vault(parse_keys(TEST_VAULT_KEYS)))
    return Services(store=store, acquirer=acquirer, links=WebLinks(public_url), **kw)


def run_cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``ecomgate <args>`` as an operator runs it, on ``database_url``, with none of the
    caller's ``ECOMGATE_*`` settings but ``env`` (``ECOMGATE_VAULT_KEYS=...``)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECOMGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "ecomgate.cli", *args],
        env={**clean, "ECOMGATE_DATABASE_URL": database_url, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; after ``timeout`` seconds fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


class ShiftableClock:
    """The system clock plus an offset a test may move forward (an order's lifetime ends
    without waiting for it)."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)


@dataclass(frozen=True)
class MerchantCredentials:
    login: str
    password: str

    @property
    def auth(self) -> dict[str, str]:
        return {"userName": self.login, "password": self.password}


async def make_merchant(
    services: Services,
    *,
    permissions: tuple[str, ...] = ("card-payment-api",),
    settings: MerchantSettings | None = None,
    currency: str = "643",
) -> MerchantCredentials:
    login = f"shop-{secrets.token_hex(4)}-api"
    password = secrets.token_urlsafe(12)
    await merchant_service.create_merchant(
        services,
        login=login,
        password=password,
        name=f"Shop {login}",
        currency=currency,
        permissions=permissions,
        settings=settings or MerchantSettings(language="en"),
    )
    return MerchantCredentials(login, password)


def page_form_token(order_id: str) -> str:
    """The form token the payment page of ``order_id`` carries (the tests' gateway secret):
    what a buyer's browser posts with the card form."""
    return form_token(page_key(TEST_SECRET.encode()), normalize_order_id(order_id) or order_id)


class Api:
    """Calls ``<base>/payment/rest/<method>.do`` as a shop's server would (form POST).

    ``target`` is a base URL (a real server; the client is ours and ``aclose`` closes it) or
    an ``httpx.AsyncClient`` to share, e.g. one on ``httpx.ASGITransport`` that drives the
    app in-process (``aclose`` leaves it open for its owner)."""

    def __init__(
        self, target: str | httpx.AsyncClient, credentials: MerchantCredentials | None = None
    ) -> None:
        self.credentials = credentials
        if isinstance(target, httpx.AsyncClient):
            self.http = target
            self._owned = False
        else:
            self.http = httpx.AsyncClient(base_url=target, timeout=30)
            self._owned = True
        self.base_url = str(self.http.base_url).rstrip("/")

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        data = {**(self.credentials.auth if self.credentials else {}), **params}
        if method == "processform" and "formToken" not in data and data.get("MDORDER"):
            data["formToken"] = page_form_token(str(data["MDORDER"]))
        response = await self.http.post(f"/payment/rest/{method}.do", data=data)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body: dict[str, Any] = response.json()
        return body

    async def register(self, **params: Any) -> dict[str, Any]:
        params.setdefault("amount", 2000)
        params.setdefault("returnUrl", "https://shop.example/ok")
        return await self.call("register", **params)

    async def status(self, order_id: str, **params: Any) -> dict[str, Any]:
        return await self.call("getOrderStatusExtended", orderId=order_id, **params)

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()


def assert_error(
    body: dict[str, Any], code: str, key: str, language: str = "en", **params: Any
) -> None:
    """``body`` is the error ``key`` (web/api/messages.py) with ``code``, in ``language``;
    legacy (getOrderStatus.do) answers say ErrorCode/ErrorMessage."""
    from ecomgate.web.api.messages import message

    got = (
        body.get("errorCode", body.get("ErrorCode")),
        body.get("errorMessage", body.get("ErrorMessage")),
    )
    assert got == (code, message(key, language, **params)), body
