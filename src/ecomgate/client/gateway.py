"""``Gateway`` (sync) and ``AsyncGateway`` (async): one httpx client each, kept open for the
gateway's life (connections are reused), a timeout on every call, and retries only for calls
that are safe to send twice (``Call.retry_safe``)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from . import calls
from .calls import Call
from .errors import ProtocolError, TransportError, error_for

P = ParamSpec("P")
R = TypeVar("R")
#: answers of a gateway (or its proxy) that did not process the request: sent again when safe
_RETRY_STATUSES = frozenset({502, 503, 504})
DEFAULT_TIMEOUT = 30.0


class _Base:
    def __init__(
        self,
        base_url: str,
        *,
        user_name: str | None = None,
        password: str | None = None,
        token: str | None = None,
        language: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        retry_backoff: float = 0.5,
        path_prefix: str = "/payment/rest",
    ) -> None:
        if token and (user_name or password):
            raise ValueError("give token, or user_name and password, not both")
        if not token and not (user_name and password):
            raise ValueError("give user_name and password, or token")
        self.base_url = base_url.rstrip("/")
        self.path_prefix = "/" + path_prefix.strip("/")
        self.language = language
        self.timeout = timeout
        self.retries = retries
        self.retry_backoff = retry_backoff
        self._auth = {"token": token} if token else {"userName": user_name, "password": password}

    def _url(self, call: Call[Any]) -> str:
        return f"{self.base_url}{self.path_prefix}/{call.method}.do"

    def _form(self, call: Call[Any]) -> dict[str, Any]:
        form: dict[str, Any] = dict(call.params)
        if self.language and "language" not in form:
            form["language"] = self.language
        if call.authenticated:
            form.update({k: v for k, v in self._auth.items() if v})
        return form

    def _attempts(self, call: Call[Any]) -> int:
        return 1 + (self.retries if call.retry_safe else 0)

    def _delay(self, attempt: int) -> float:
        return float(self.retry_backoff * 2**attempt)

    @staticmethod
    def _failed(call: Call[Any], exc: httpx.TransportError) -> TransportError:
        # a request that never connected cannot have been processed
        sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        return TransportError(
            f"{call.method}.do: {type(exc).__name__}: {exc}", maybe_processed=sent
        )

    @staticmethod
    def _read(call: Call[R], response: httpx.Response) -> R:
        if response.status_code != 200:
            raise ProtocolError(
                f"{call.method}.do: HTTP {response.status_code}", status_code=response.status_code
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ProtocolError(f"{call.method}.do: not a JSON object", status_code=200)
        # getOrderStatus.do answers with capitalised names (spec §3.4)
        prefix = "Error" if call.legacy else "error"
        raw_code = answer.get(prefix + "Code")
        code = None if raw_code is None else str(raw_code)
        message_key = prefix + "Message"
        # getOrderStatus.do's ErrorCode "2" with an OrderStatus is a declined order's status
        legacy_status = call.legacy and "OrderStatus" in answer
        if code not in (None, "0") and not legacy_status:
            raise error_for(code, str(answer.get(message_key, "")), answer)
        return call.read(answer)


def _sync(build: Callable[P, Call[R]]) -> Callable[Concatenate[Gateway, P], R]:
    @functools.wraps(build)
    def method(self: Gateway, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.execute(build(*args, **kwargs))

    return method


def _async(
    build: Callable[P, Call[R]],
) -> Callable[Concatenate[AsyncGateway, P], Coroutine[Any, Any, R]]:
    @functools.wraps(build)
    async def method(self: AsyncGateway, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.execute(build(*args, **kwargs))

    return method


class Gateway(_Base):
    """A gateway of the eCommerce API v1 family at ``base_url``, called synchronously::

        g = Gateway("https://gateway.example", user_name="shop-api", password="...")
        o = g.register(amount=1000, return_url="https://shop.example/back", order_number="42")
        # send the buyer to o.form_url; when they come back:
        if g.status(order_id=o.order_id).order_status == 2: ...  # paid

    Close it when done (``close()`` or ``with Gateway(...) as g``)."""

    def __init__(
        self,
        base_url: str,
        *,
        user_name: str | None = None,
        password: str | None = None,
        token: str | None = None,
        language: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        retry_backoff: float = 0.5,
        path_prefix: str = "/payment/rest",
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            base_url,
            user_name=user_name,
            password=password,
            token=token,
            language=language,
            timeout=timeout,
            retries=retries,
            retry_backoff=retry_backoff,
            path_prefix=path_prefix,
        )
        self.http = http_client or httpx.Client(timeout=self.timeout)

    def execute(self, call: Call[R]) -> R:
        attempts = self._attempts(call)
        for attempt in range(attempts):
            try:
                response = self.http.post(self._url(call), data=self._form(call))
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    time.sleep(self._delay(attempt))
                    continue
                raise self._failed(call, exc) from exc
            if response.status_code in _RETRY_STATUSES and attempt + 1 < attempts:
                time.sleep(self._delay(attempt))
                continue
            return self._read(call, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    register = _sync(calls.register)
    register_preauth = _sync(calls.register_preauth)
    status = _sync(calls.status)
    legacy_status = _sync(calls.legacy_status)
    add_params = _sync(calls.add_params)
    deposit = _sync(calls.deposit)
    reverse = _sync(calls.reverse)
    refund = _sync(calls.refund)
    decline = _sync(calls.decline)
    payment_order = _sync(calls.payment_order)
    process_form = _sync(calls.process_form)
    continue_3ds2 = _sync(calls.continue_3ds2)
    finish_3ds2_payment = _sync(calls.finish_3ds2_payment)
    get_bindings = _sync(calls.get_bindings)
    get_bindings_by_card_or_id = _sync(calls.get_bindings_by_card_or_id)
    unbind_card = _sync(calls.unbind_card)
    bind_card = _sync(calls.bind_card)
    extend_binding = _sync(calls.extend_binding)
    payment_order_binding = _sync(calls.payment_order_binding)
    create_binding_no_payment = _sync(calls.create_binding_no_payment)


class AsyncGateway(_Base):
    """``Gateway`` for asyncio: the same methods, awaited (``await g.register(...)``);
    ``await g.aclose()`` or ``async with AsyncGateway(...) as g``."""

    def __init__(
        self,
        base_url: str,
        *,
        user_name: str | None = None,
        password: str | None = None,
        token: str | None = None,
        language: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        retry_backoff: float = 0.5,
        path_prefix: str = "/payment/rest",
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            base_url,
            user_name=user_name,
            password=password,
            token=token,
            language=language,
            timeout=timeout,
            retries=retries,
            retry_backoff=retry_backoff,
            path_prefix=path_prefix,
        )
        self.http = http_client or httpx.AsyncClient(timeout=self.timeout)

    async def execute(self, call: Call[R]) -> R:
        attempts = self._attempts(call)
        for attempt in range(attempts):
            try:
                response = await self.http.post(self._url(call), data=self._form(call))
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    await asyncio.sleep(self._delay(attempt))
                    continue
                raise self._failed(call, exc) from exc
            if response.status_code in _RETRY_STATUSES and attempt + 1 < attempts:
                await asyncio.sleep(self._delay(attempt))
                continue
            return self._read(call, response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    register = _async(calls.register)
    register_preauth = _async(calls.register_preauth)
    status = _async(calls.status)
    legacy_status = _async(calls.legacy_status)
    add_params = _async(calls.add_params)
    deposit = _async(calls.deposit)
    reverse = _async(calls.reverse)
    refund = _async(calls.refund)
    decline = _async(calls.decline)
    payment_order = _async(calls.payment_order)
    process_form = _async(calls.process_form)
    continue_3ds2 = _async(calls.continue_3ds2)
    finish_3ds2_payment = _async(calls.finish_3ds2_payment)
    get_bindings = _async(calls.get_bindings)
    get_bindings_by_card_or_id = _async(calls.get_bindings_by_card_or_id)
    unbind_card = _async(calls.unbind_card)
    bind_card = _async(calls.bind_card)
    extend_binding = _async(calls.extend_binding)
    payment_order_binding = _async(calls.payment_order_binding)
    create_binding_no_payment = _async(calls.create_binding_no_payment)
