"""Test helpers: a real gateway process, an API client, merchants."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ECOMGATE_DATABASE_URL": database_url,
        "ECOMGATE_HOST": "127.0.0.1",
        "ECOMGATE_PORT": str(port),
        "ECOMGATE_PUBLIC_URL": base_url,
        "ECOMGATE_DATA_DIR": str(workdir),
        "ECOMGATE_LOG_LEVEL": "warning",
        # the tests' own secret, so tokens made in-process verify in the server too
        "ECOMGATE_SECRET_KEY": "test-secret",
        **(extra_env or {}),
    }
    log_path = workdir / f"gateway-{port}.log"
    with log_path.open("wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "ecomgate.cli", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    gateway = GatewayProcess(base_url, database_url, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited at start:\n{gateway.log()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return gateway
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    gateway.stop()
    raise RuntimeError(f"gateway did not become healthy:\n{gateway.log()}")


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
    """Calls ``<base>/payment/rest/<method>.do`` as a shop's server would (form POST)."""

    def __init__(self, base_url: str, credentials: MerchantCredentials | None = None) -> None:
        self.base_url = base_url
        self.credentials = credentials
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

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
        await self.http.aclose()
