"""The conformance runner's client for the target gateway: every call it makes is recorded
as an ``Exchange`` (the request and the answer) for the report; a small callback listener
(standard library only) receives the gateway's callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

#: request parameters never shown in a report
SECRET_PARAMS = frozenset({"password", "token", "$CVC"})


def _shown(name: str, value: str) -> str:
    """A parameter as a report may show it: no secret, no full card number."""
    if name in SECRET_PARAMS:
        return "***"
    if name in ("$PAN", "pan") and len(value) > 10:
        return f"{value[:6]}**{value[-4:]}"
    return value


class Failed(Exception):
    """The rule does not hold; the message says how."""


class Skipped(Exception):
    """The rule cannot be checked against this target (the message says why)."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


@dataclass(frozen=True)
class Card:
    """A card ``paymentorder.do`` pays with; the default pays without 3-D Secure on the
    RBS/BPC test hosts and on EcomGate's emulator (spec §6)."""

    pan: str = "4563960122001999"
    cvc: str = "347"
    month: str = "12"
    year: str = str(datetime.now(UTC).year + 3)  # any future expiry (spec §6)
    name: str = "TEST CARDHOLDER"


@dataclass(frozen=True)
class CallbackSetup:
    """Where the runner listens for callbacks, the merchant's HMAC secret (spec §4.3), and
    the URL the gateway reaches the listener at (default ``http://HOST:PORT/callback`` of
    the bound listener; port 0 lets the system pick one)."""

    listen_host: str
    listen_port: int
    secret: str
    url: str = ""


@dataclass
class Exchange:
    """One HTTP request of a rule and what came back."""

    method: str
    url: str
    where: str  # body | query | both | none
    params: dict[str, str]
    status: int | None = None
    content_type: str = ""
    text: str = ""
    error: str = ""

    def request_line(self) -> str:
        shown = {k: _shown(k, v) for k, v in self.params.items()}
        return f"{self.method} {self.url} [{self.where}] {urlencode(shown)}"

    def answer_line(self) -> str:
        if self.error:
            return f"no answer: {self.error}"
        text = self.text if len(self.text) <= 2000 else self.text[:2000] + "..."
        return f"HTTP {self.status} {self.content_type}: {text}"

    def describe(self) -> str:
        return f"> {self.request_line()}\n< {self.answer_line()}"


def code(body: dict[str, Any], key: str = "errorCode") -> str | None:
    """An error code as text whatever its JSON type (rules about the type check it
    themselves); None when absent."""
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return None if value is None else repr(value)
    return str(value)


def is_success(body: dict[str, Any]) -> bool:
    """§1.3: ``errorCode`` absent, ``"0"`` or ``0`` means the request was processed."""
    return code(body) in (None, "0")


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Probe:
    """An httpx client for the target's API with the merchant's credentials."""

    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        card: Card | None = None,
        timeout: float = 15.0,
        callback: CallbackSetup | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not token and not (user and password):
            raise ValueError("credentials: user and password, or token")
        self.base_url = base_url.rstrip("/")
        self.user, self.password, self.token = user, password, token
        self.card = card or Card()
        self.timeout = timeout
        self.callback = callback
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.exchanges: list[Exchange] = []
        self.listener: CallbackListener | None = None
        self._run = secrets.token_hex(4)
        self._count = 0
        #: why paymentorder.do cannot pay here, once known (lifecycle rules skip)
        self.payment_refused: str | None = None

    # -- lifetime -----------------------------------------------------------------------
    async def start(self) -> None:
        if self.callback is not None and self.listener is None:
            self.listener = CallbackListener(self.callback.listen_host, self.callback.listen_port)
            await self.listener.start()

    @property
    def callback_url(self) -> str:
        """The dynamicCallbackUrl the callback rule registers orders with."""
        assert self.callback is not None and self.listener is not None
        if self.callback.url:
            return self.callback.url
        host = self.listener.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.listener.port}/callback"

    async def aclose(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None
        await self.http.aclose()

    # -- requests -----------------------------------------------------------------------
    @property
    def auth(self) -> dict[str, str]:
        if self.token:
            return {"token": self.token}
        assert self.user is not None and self.password is not None
        return {"userName": self.user, "password": self.password}

    def redact(self, text: str) -> str:
        """``text`` without the credentials in it."""
        for secret in (self.password, self.token):
            if secret:
                text = text.replace(secret, "***")
        return text

    def order_number(self) -> str:
        """A fresh merchant order number, unique for this run."""
        self._count += 1
        return f"conf-{self._run}-{self._count}"

    async def raw(
        self,
        method: str,
        params: dict[str, str] | None = None,
        *,
        http: str = "POST",
        where: str = "body",
        prefix: str = "/payment/rest",
        query: dict[str, str] | None = None,
        auth: bool = True,
        content_type: str | None = None,
    ) -> Exchange:
        """Send ``params`` (plus the credentials) to ``<prefix>/<method>.do``: in the form
        body (``where="body"``), in the query string with an empty body (``"query"``); an
        extra ``query`` goes to the query string in any case."""
        data = {**(self.auth if auth else {}), **(params or {})}
        url = f"{self.base_url}{prefix}/{method}.do"
        qs = dict(query or {})
        body = b""
        headers: dict[str, str] = {}
        if where == "query":
            qs.update(data)
        else:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if content_type is not None:
            headers["Content-Type"] = content_type
        if where == "query":
            shown = qs
        elif query:
            shown, where = {**{f"?{k}": v for k, v in query.items()}, **data}, "both"
        else:
            shown = data
        # the URL in the report has no query string: its parameters are shown, secrets masked
        exchange = Exchange(http, url, where, dict(shown))
        self.exchanges.append(exchange)
        try:
            response = await self.http.request(
                http, url, params=qs or None, content=body or None, headers=headers
            )
        except httpx.HTTPError as exc:
            exchange.error = self.redact(f"{exc.__class__.__name__}: {exc}".rstrip(": "))
            raise Failed(f"{method}.do: no answer ({exchange.error})") from exc
        exchange.status = response.status_code
        exchange.content_type = response.headers.get("content-type", "")
        exchange.text = response.text
        return exchange

    async def call(
        self, method: str, params: dict[str, str] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """``raw`` that insists on HTTP 200 with a JSON object (spec §10) and parses it."""
        exchange = await self.raw(method, params, **kw)
        return answer_json(method, exchange)

    # -- scripted steps -----------------------------------------------------------------
    def order_params(self, **params: str | None) -> dict[str, str]:
        """register.do parameters: a fresh orderNumber, defaults, ``params`` (None drops one)."""
        base: dict[str, str | None] = {
            "orderNumber": self.order_number(),
            "amount": "2000",
            "returnUrl": "https://shop.example/ok",
            "language": "en",
        }
        base.update(params)
        return {k: v for k, v in base.items() if v is not None}

    async def register(self, method: str = "register", **params: str) -> str:
        """A registered order's id; fails the rule when registration fails."""
        body = await self.call(method, self.order_params(**params))
        expect(is_success(body) and body.get("orderId"), f"{method}.do refused: {body}")
        return str(body["orderId"])

    async def status(self, order_id: str, **params: str) -> dict[str, Any]:
        body = await self.call(
            "getOrderStatusExtended", {"orderId": order_id, "language": "en", **params}
        )
        expect(code(body) == "0", f"getOrderStatusExtended.do: errorCode {code(body)!r}, not 0")
        return body

    async def pay(self, order_id: str) -> None:
        """Pay ``order_id`` with the card through ``paymentorder.do`` (spec §3.9, §10);
        skips the rule when the target refuses it (the merchant may not)."""
        if self.payment_refused:
            raise Skipped(self.payment_refused)
        card = self.card
        form = {
            "MDORDER": order_id,
            "$PAN": card.pan,
            "$CVC": card.cvc,
            "YYYY": card.year,
            "MM": card.month,
            "TEXT": card.name,
            "language": "en",
        }
        exchange = await self.raw("paymentorder", form)
        try:
            body = json.loads(exchange.text) if exchange.status == 200 else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not is_success(body):
            self.payment_refused = (
                "paymentorder.do does not pay for this merchant "
                f"({exchange.answer_line()[:300]}); lifecycle rules need it"
            )
            raise Skipped(self.payment_refused)
        if body.get("acsUrl"):
            self.payment_refused = (
                f"card {card.pan[:6]}** needs 3-D Secure here; give a card without (--card)"
            )
            raise Skipped(self.payment_refused)

    async def paid(self, *, two_phase: bool = False, amount: str = "2000", **params: str) -> str:
        """A paid order (status 2), or a held one (status 1) when ``two_phase``."""
        order_id = await self.register(
            "registerPreAuth" if two_phase else "register", amount=amount, **params
        )
        await self.pay(order_id)
        want = 1 if two_phase else 2
        status = await self.status(order_id)
        for _ in range(5):  # a gateway that settles a moment later
            if status.get("orderStatus") != 0:
                break
            await asyncio.sleep(0.2)
            status = await self.status(order_id)
        expect(
            status.get("orderStatus") == want,
            f"paid with {self.card.pan[:6]}**: orderStatus {status.get('orderStatus')!r}, "
            f"not {want} (actionCode {status.get('actionCode')!r})",
        )
        return order_id


def answer_json(method: str, exchange: Exchange) -> dict[str, Any]:
    expect(exchange.status == 200, f"{method}.do: HTTP {exchange.status}, not 200")
    try:
        body = json.loads(exchange.text)
    except ValueError:
        raise Failed(f"{method}.do: the answer is not JSON") from None
    expect(isinstance(body, dict), f"{method}.do: the answer is not a JSON object")
    assert isinstance(body, dict)
    return body


@dataclass(frozen=True)
class Callback:
    method: str
    path: str
    params: dict[str, str]


@dataclass
class CallbackListener:
    """A minimal HTTP server (asyncio streams) that records callbacks and answers 200."""

    host: str
    port: int
    received: list[Callback] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await asyncio.wait_for(reader.readexactly(length), 10) if length else b""
            url = urlsplit(target)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            if body:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
            await writer.drain()
            async with self._changed:
                self.received.append(Callback(method, url.path, params))
                self._changed.notify_all()
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def wait_for(self, md_order: str, timeout: float) -> list[Callback]:
        """The callbacks about ``md_order``, waiting at most ``timeout`` s for the first."""

        def about() -> list[Callback]:
            return [c for c in self.received if c.params.get("mdOrder") == md_order]

        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(about())), timeout)
        return about()
