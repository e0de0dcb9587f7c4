"""EcomGate for a shop's own test suite: a real gateway per test run, a fresh merchant per
test, signed callbacks received, time moved and faults injected on demand.

Installed with the package as the pytest plugin ``ecomgate`` (entry point ``pytest11``).
It does nothing until a test asks for one of its fixtures::

    def test_checkout(ecomgate_merchant):
        order = httpx.post(
            ecomgate_merchant.api_url("register"),
            data={**ecomgate_merchant.credentials, "amount": 2000, "returnUrl": "https://shop/ok"},
        ).json()
        ecomgate_merchant.pay(order["orderId"])
        callback = ecomgate_merchant.wait_for_callback("deposited", order["orderId"])

``ecomgate_gateway`` (session) starts ``ecomgate serve`` on a free port with its own data
directory and SQLite file, in sandbox mode; ``--ecomgate-url URL --ecomgate-sandbox-token
KEY`` uses a gateway that is already running instead.  ``ecomgate_merchant`` (function)
makes a merchant through ``POST /sandbox/merchants`` with its callbacks wired to a receiver
in the test process.  See docs/testing-your-shop.md.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from .buyer import card_fields, pay_sync

DEFAULT_CARD = "4111111111111111"  # approved after 3-D Secure 2 frictionless (or 3DS1)
#: a card expiry always in the future
_EXPIRY_YEAR = str(time.gmtime().tm_year + 3)


@dataclass(frozen=True)
class Callback:
    """One callback as the shop's endpoint received it."""

    method: str
    path: str
    params: dict[str, str]

    @property
    def operation(self) -> str:
        return self.params.get("operation", "")

    @property
    def order_id(self) -> str:
        return self.params.get("mdOrder", "")


class CallbackInbox:
    """A shop's callback endpoint, on a thread: every merchant gets a path of its own
    (``/callbacks/<login>``); the tests read what arrived, waiting a bounded time."""

    def __init__(self, host: str = "127.0.0.1", advertised: str | None = None) -> None:
        """Listens on ``host``; the gateway is told to call ``advertised`` (a name it can
        reach when it runs elsewhere, e.g. in a container), by default ``host``."""
        self._received: list[Callback] = []
        self._changed = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                parts = urlsplit(self.path)
                if self.command == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    params = dict(parse_qsl(self.rfile.read(length).decode(), True))
                else:
                    params = dict(parse_qsl(parts.query, True))
                with inbox._changed:
                    inbox._received.append(Callback(self.command, parts.path, params))
                    inbox._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_GET = do_POST = _record

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{advertised or host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url_for(self, login: str) -> str:
        return f"{self.base_url}/callbacks/{login}"

    def received(self, login: str) -> list[Callback]:
        path = f"/callbacks/{login}"
        with self._changed:
            return [c for c in self._received if c.path == path]

    def wait(self, login: str, operation: str, order_id: str, timeout: float) -> Callback:
        path = f"/callbacks/{login}"
        deadline = time.monotonic() + timeout

        def found() -> Callback | None:
            for c in self._received:
                if c.path == path and c.operation == operation and c.order_id == order_id:
                    return c
            return None

        with self._changed:
            while (hit := found()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(c.operation, c.order_id) for c in self._received if c.path == path]
                    raise AssertionError(
                        f"no {operation!r} callback for order {order_id} within {timeout} s;"
                        f" received {got or 'nothing'}"
                    )
                self._changed.wait(left)
            return hit

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class SandboxGateway:
    """A running EcomGate in sandbox mode: its URL and the key that makes merchants."""

    base_url: str
    sandbox_token: str
    inbox: CallbackInbox
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def sandbox(self, path: str, method: str = "POST", **params: Any) -> dict[str, Any]:
        url = f"{self.base_url}/sandbox/{path}"
        if method == "GET":
            response = self.http.get(url, params=params)
        else:
            response = self.http.post(url, data=params)
        body: dict[str, Any] = response.json()
        if body.get("errorCode") != "0":
            raise AssertionError(f"sandbox {path}: {body}")
        return body

    def new_merchant(self, *, permissions: str | None = None, **settings: Any) -> SandboxMerchant:
        login = f"test-{secrets.token_hex(5)}"
        params: dict[str, Any] = {
            "sandboxToken": self.sandbox_token,
            "login": login,
            "callback_url": self.inbox.url_for(login),
            "language": "en",
            **settings,
        }
        if permissions is not None:
            params["permissions"] = permissions
        body = self.sandbox("merchants", **params)
        return SandboxMerchant(self, body["userName"], body["password"])


@dataclass
class SandboxMerchant:
    """A fresh merchant of the sandbox, as a test uses it."""

    gateway: SandboxGateway
    login: str
    password: str

    @property
    def credentials(self) -> dict[str, str]:
        """``userName`` and ``password``, ready to merge into form data."""
        return {"userName": self.login, "password": self.password}

    @property
    def base_url(self) -> str:
        """The gateway's base URL (``<base_url>/payment/rest/<method>.do``)."""
        return self.gateway.base_url

    def api_url(self, method: str) -> str:
        """The full URL of a ``.do`` method, e.g. ``api_url("register")``."""
        return f"{self.gateway.base_url}/payment/rest/{method}.do"

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A ``.do`` method with this merchant's credentials; its JSON answer."""
        response = self.gateway.http.post(self.api_url(method), data={**self.credentials, **params})
        body: dict[str, Any] = response.json()
        return body

    def pay(
        self,
        order_id: str,
        card: str = DEFAULT_CARD,
        *,
        cvc: str = "123",
        expiry: tuple[str, str] = ("12", _EXPIRY_YEAR),
        cardholder: str = "TEST CARDHOLDER",
    ) -> dict[str, Any]:
        """Pay the order as a buyer would, without a browser; 3-D Secure is answered."""
        month, year = expiry
        return pay_sync(
            self.gateway.http,
            self.api_url("paymentorder"),
            self.credentials,
            order_id,
            card_fields(card, cvc, year, month, cardholder),
        )

    # -- callbacks ---------------------------------------------------------------------
    @property
    def callback_url(self) -> str:
        return self.gateway.inbox.url_for(self.login)

    @property
    def callbacks(self) -> list[Callback]:
        """Every callback received for this merchant so far, in order of arrival."""
        return self.gateway.inbox.received(self.login)

    def wait_for_callback(self, operation: str, order_id: str, timeout: float = 10) -> Callback:
        return self.gateway.inbox.wait(self.login, operation, order_id, timeout)

    def delivery_log(self, order_id: str) -> list[dict[str, Any]]:
        """The order's callbacks with every delivery attempt, as the gateway logged them."""
        body = self.gateway.sandbox(
            f"orders/{order_id}/callbacks", method="GET", **self.credentials
        )
        entries: list[dict[str, Any]] = body["callbacks"]
        return entries

    # -- time and faults ---------------------------------------------------------------
    def advance_clock(self, seconds: int) -> int:
        """Move this merchant's time forward; what became due (expiry, auto-completion,
        callback retries) happens at once.  The clock's total offset in seconds."""
        body = self.gateway.sandbox("clock/advance", seconds=seconds, **self.credentials)
        return int(body["clockOffsetSeconds"])

    def chaos(self, **faults: Any) -> dict[str, Any]:
        """Switch faults on: ``acquirerLatencyMs``, ``acquirerTimeout``, ``actionCode``
        (+ ``actionCodeCount``), ``callbacks`` = "drop" | "delay" (+ ``callbackDelaySeconds``)."""
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in faults.items()}
        chaos: dict[str, Any] = self.gateway.sandbox("chaos", **params, **self.credentials)["chaos"]
        return chaos

    def clear_chaos(self) -> None:
        self.gateway.sandbox("chaos/clear", **self.credentials)

    def reset(self) -> int:
        """Forget this merchant's orders and callbacks; how many orders went."""
        return int(self.gateway.sandbox("reset", **self.credentials)["ordersDeleted"])


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ecomgate", "EcomGate sandbox")
    group.addoption(
        "--ecomgate-url",
        default=None,
        help="use the EcomGate sandbox running at this URL instead of starting one",
    )
    group.addoption(
        "--ecomgate-sandbox-token",
        default=None,
        help="its ECOMGATE_SANDBOX_TOKEN (with --ecomgate-url)",
    )
    group.addoption(
        "--ecomgate-callback-host",
        default=None,
        help="the host name the gateway reaches this machine at, for callbacks (with "
        "--ecomgate-url when the gateway runs elsewhere; the receiver then listens on all "
        "interfaces)",
    )


def _start(workdir: Path, token: str) -> tuple[Any, str]:
    from .processes import start_gateway

    database = f"sqlite:///{(workdir / 'ecomgate.db').as_posix()}"
    env = {
        "ECOMGATE_SANDBOX": "true",
        "ECOMGATE_SANDBOX_TOKEN": token,
        "ECOMGATE_SQLITE_SYNCHRONOUS": "NORMAL",  # a test run need not survive power loss
        "ECOMGATE_CALLBACK_POLL_INTERVAL": "0.1",
        "ECOMGATE_SWEEP_INTERVAL": "0.5",
    }
    process = start_gateway(database, workdir, extra_env=env, inherit_settings=False)
    return process, process.base_url


@pytest.fixture(scope="session")
def ecomgate_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxGateway]:
    """A real EcomGate in sandbox mode for the whole test run."""
    url = request.config.getoption("--ecomgate-url")
    callback_host = request.config.getoption("--ecomgate-callback-host")
    process = None
    if url:
        token = request.config.getoption("--ecomgate-sandbox-token") or ""
        if not token:
            raise pytest.UsageError("--ecomgate-url needs --ecomgate-sandbox-token")
    else:
        token = secrets.token_urlsafe(24)
        process, url = _start(tmp_path_factory.mktemp("ecomgate"), token)
    # a gateway elsewhere reaches the receiver by the name given, on every interface
    inbox = CallbackInbox("0.0.0.0", callback_host) if callback_host else CallbackInbox()
    gateway = SandboxGateway(url.rstrip("/"), token, inbox)
    try:
        yield gateway
    finally:
        gateway.http.close()
        inbox.close()
        if process is not None:
            process.stop()


@pytest.fixture
def ecomgate_merchant(ecomgate_gateway: SandboxGateway) -> SandboxMerchant:
    """A fresh merchant for one test, its callbacks wired to a receiver here."""
    return ecomgate_gateway.new_merchant()


__all__ = ["Callback", "CallbackInbox", "SandboxGateway", "SandboxMerchant"]
