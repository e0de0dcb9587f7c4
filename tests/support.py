"""Test helpers: a real gateway process, an API client (over the network or in-process),
merchants."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ecomgate.acquirers.registry import create_acquirer
from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Policy, Services
from ecomgate.services.ports import Store
from ecomgate.web.links import WebLinks

#: the tests' gateway secret (``ECOMGATE_SECRET_KEY`` of the servers they start)
TEST_SECRET = "test-secret"


def services_on(store: Store, *, public_url: str = "http://127.0.0.1", **kw: Any) -> Services:
    """The service layer on ``store`` with the emulator, as a gateway would build it."""
    acquirer = create_acquirer("emulator", secret=TEST_SECRET.encode(), acs_base_url=public_url)
    kw.setdefault("policy", Policy())
    return Services(store=store, acquirer=acquirer, links=WebLinks(public_url), **kw)


def free_port() -> int:
    """A port that was free a moment ago (bind, read, release): racy, so no test uses it.
    Kept for ``bench`` and for ``ecomgate demo``, which cannot take ``--port 0`` yet."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; after ``timeout`` seconds fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a grace period for a clean shutdown, then SIGKILL."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class GatewayProcess:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_gateway(
    database_url: str, workdir: Path, *, extra_env: dict[str, str] | None = None
) -> GatewayProcess:
    """``ecomgate serve --port 0``: the system picks the port, the gateway writes it to a
    file we read back (no free-port guess that another process could take meanwhile).  The
    public URL is left to the gateway, which builds it from the port it bound."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / f"port-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "ECOMGATE_DATABASE_URL": database_url,
        "ECOMGATE_HOST": "127.0.0.1",
        "ECOMGATE_PORT": "0",
        "ECOMGATE_DATA_DIR": str(workdir),
        "ECOMGATE_LOG_LEVEL": "warning",
        # the tests' own secret, so tokens made in-process verify in the server too
        "ECOMGATE_SECRET_KEY": "test-secret",
        **(extra_env or {}),
    }
    env.pop("ECOMGATE_PUBLIC_URL", None)
    log_path = workdir / f"gateway-{port_file.name}.log"
    with log_path.open("wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "ecomgate.cli", "serve", "--port-file", str(port_file)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    gateway = GatewayProcess("", database_url, process, log_path)
    deadline = time.monotonic() + 30
    try:
        while not port_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited at start:\n{gateway.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gateway never reported its port:\n{gateway.log()}")
            time.sleep(0.02)
        gateway.base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited at start:\n{gateway.log()}")
            try:
                if httpx.get(f"{gateway.base_url}/health", timeout=1).status_code == 200:
                    return gateway
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"gateway did not become healthy within 30 s:\n{gateway.log()}")
    except BaseException:
        gateway.stop()
        raise


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
