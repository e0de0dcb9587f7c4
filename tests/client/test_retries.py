"""Retries only where safe: through a proxy that drops connections, in front of a real
gateway.  A read and a refund with externalRefundId are sent again; a refund without one,
and a register, never are."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from ecomgate.client import AsyncGateway, ProtocolError, TransportError
from ecomgate.testing.processes import GatewayProcess

from ..support import MerchantCredentials
from .test_gateway import APPROVED, EXPIRY, RETURN_URL


class DroppingProxy:
    """A TCP proxy on 127.0.0.1: the next ``drops`` connections are closed once the request
    has arrived, unanswered; ``silent`` ones are held open, unanswered; the rest are piped to
    the gateway.  ``connections`` counts them all."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.drops = 0
        #: the next connections answered 503 by "the load balancer", the gateway never asked
        self.unavailable = 0
        self.silent = False
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        if self.unavailable > 0:
            self.unavailable -= 1
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html\r\n"
                b"content-length: 11\r\nconnection: close\r\n\r\nunavailable"
            )
            await writer.drain()
            writer.close()
            return
        if self.drops > 0 or self.silent:
            await reader.readuntil(b"\r\n\r\n")  # the request reached us ...
            if self.silent:
                await reader.read()  # ... and is never answered
            else:
                self.drops -= 1  # ... and the connection drops without an answer
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def __aenter__(self) -> DroppingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # Python 3.11 has no Server.close_clients()
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def proxy(gateway: GatewayProcess) -> AsyncIterator[DroppingProxy]:
    async with DroppingProxy(gateway.base_url) as running:
        yield running


def _through(proxy: DroppingProxy, shop: MerchantCredentials, **options: object) -> AsyncGateway:
    # one connection per request, so the proxy's count is the number of requests sent
    http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
    return AsyncGateway(
        proxy.url,
        user_name=shop.login,
        password=shop.password,
        retry_backoff=0,
        http_client=http,
        **options,  # type: ignore[arg-type]
    )


async def _paid_order(gateway: GatewayProcess, shop: MerchantCredentials) -> str:
    async with AsyncGateway(gateway.base_url, user_name=shop.login, password=shop.password) as g:
        order = await g.register(amount=3000, return_url=RETURN_URL)
        pan, cvc = APPROVED
        await g.process_form(md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
        return order.order_id


async def _refunded(gateway: GatewayProcess, shop: MerchantCredentials, order_id: str) -> int:
    async with AsyncGateway(gateway.base_url, user_name=shop.login, password=shop.password) as g:
        info = (await g.status(order_id=order_id)).payment_amount_info
        assert info is not None and info.refunded_amount is not None
        return info.refunded_amount


async def test_a_read_is_sent_again_after_a_dropped_connection(
    proxy: DroppingProxy, gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    order_id = await _paid_order(gateway, shop)
    proxy.drops = 2
    async with _through(proxy, shop, retries=2) as g:
        status = await g.status(order_id=order_id)
    assert status.order_status == 2
    assert proxy.connections == 3


async def test_a_read_is_sent_again_after_a_503_and_a_write_is_not(
    proxy: DroppingProxy, gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    order_id = await _paid_order(gateway, shop)
    proxy.unavailable = 1
    async with _through(proxy, shop, retries=2) as g:
        assert (await g.status(order_id=order_id)).order_status == 2
        assert proxy.connections == 2
        proxy.unavailable = 1
        with pytest.raises(ProtocolError) as refused:
            await g.decline(order_id=order_id)
    assert refused.value.status_code == 503
    assert proxy.connections == 3


async def test_a_read_gives_up_after_its_retries(
    proxy: DroppingProxy, shop: MerchantCredentials
) -> None:
    proxy.drops = 5
    async with _through(proxy, shop, retries=1) as g:
        with pytest.raises(TransportError):
            await g.status(order_id="00000000-0000-0000-0000-000000000000")
    assert proxy.connections == 2


async def test_a_refund_without_external_refund_id_is_never_sent_again(
    proxy: DroppingProxy, gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    order_id = await _paid_order(gateway, shop)
    proxy.drops = 1
    async with _through(proxy, shop, retries=3) as g:
        with pytest.raises(TransportError) as lost:
            await g.refund(order_id=order_id, amount=1000)
    assert lost.value.maybe_processed is True  # sent: the shop must look before repeating
    assert proxy.connections == 1
    assert await _refunded(gateway, shop, order_id) == 0


async def test_a_refund_with_external_refund_id_is_sent_again_and_refunds_once(
    proxy: DroppingProxy, gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    order_id = await _paid_order(gateway, shop)
    proxy.drops = 1
    async with _through(proxy, shop, retries=3) as g:
        done = await g.refund(
            order_id=order_id, amount=1000, external_refund_id=secrets.token_hex(8)
        )
    assert done.error_code == "0"
    assert proxy.connections == 2
    assert await _refunded(gateway, shop, order_id) == 1000


async def test_a_register_is_never_sent_again(
    proxy: DroppingProxy, shop: MerchantCredentials
) -> None:
    proxy.drops = 1
    async with _through(proxy, shop, retries=3) as g:
        with pytest.raises(TransportError):
            await g.register(amount=100, return_url=RETURN_URL)
    assert proxy.connections == 1


async def test_a_silent_gateway_is_cut_by_the_timeout(
    proxy: DroppingProxy, shop: MerchantCredentials
) -> None:
    proxy.silent = True
    http = httpx.AsyncClient(timeout=httpx.Timeout(0.3))
    async with AsyncGateway(
        proxy.url, user_name=shop.login, password=shop.password, retries=0, http_client=http
    ) as g:
        with pytest.raises(TransportError) as timed_out:
            await g.status(order_id="00000000-0000-0000-0000-000000000000")
    assert "ReadTimeout" in str(timed_out.value)


async def test_connections_are_reused(proxy: DroppingProxy, shop: MerchantCredentials) -> None:
    async with AsyncGateway(proxy.url, user_name=shop.login, password=shop.password) as g:
        for _ in range(3):
            await g.register(amount=100, return_url=RETURN_URL)
    assert proxy.connections == 1
