"""Connection limits of a real ``ecomgate serve`` (issue 16): a request must arrive whole
within ECOMGATE_REQUEST_TIMEOUT_SECONDS (slow senders and silent connections are closed),
idle keep-alive connections are closed after ECOMGATE_KEEP_ALIVE_SECONDS, a worker takes
at most ECOMGATE_MAX_CONNECTIONS, a 256 MiB chunked body is refused at 1 MiB without the
worker's memory growing, and no Server banner.  Every wait is bounded.

These limits are the HTTP server's, not the storage engine's: one gateway on its own SQLite
database."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecomgate.testing.processes import GatewayProcess, start_gateway

from ..conftest import fresh_database

REQUEST_TIMEOUT = 2
KEEP_ALIVE = 1
MAX_CONNECTIONS = 40


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir = Path(tmp_path_factory.mktemp("limits"))
    gateway = start_gateway(
        fresh_database("sqlite", str(workdir)),
        workdir,
        extra_env={
            "ECOMGATE_REQUEST_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT),
            "ECOMGATE_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
            "ECOMGATE_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        },
    )
    yield gateway
    gateway.stop()


def _connect(gateway: GatewayProcess) -> socket.socket:
    host, port = gateway.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _closed_after(sock: socket.socket, *, trickle: bytes = b"", every: float = 0.5) -> float:
    """Seconds until the server closes ``sock``; meanwhile one byte of ``trickle`` is sent
    every ``every`` seconds (a slowloris).  Bounded by the socket's timeout."""
    started = time.monotonic()
    sock.settimeout(every)
    for position in range(len(trickle) + 1000):
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if time.monotonic() - started > 5 * REQUEST_TIMEOUT:
            break
        try:
            if trickle:
                sock.send(trickle[position % len(trickle) : position % len(trickle) + 1])
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    raise AssertionError("the server kept the connection open")


def test_a_slow_sender_is_cut_off_at_the_request_timeout(limited: GatewayProcess) -> None:
    with _connect(limited) as sock:
        sock.sendall(b"POST /payment/rest/register.do HTTP/1.1\r\nHost: gw\r\n")
        elapsed = _closed_after(sock, trickle=b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
    print(f"\nslowloris connection closed after {elapsed:.1f} s")
    assert REQUEST_TIMEOUT - 0.5 <= elapsed <= REQUEST_TIMEOUT + 2


def test_a_slow_body_is_cut_off_too(limited: GatewayProcess) -> None:
    with _connect(limited) as sock:
        sock.sendall(
            b"POST /payment/rest/register.do HTTP/1.1\r\nHost: gw\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        elapsed = _closed_after(sock, trickle=b"amount=1&")
    assert elapsed <= REQUEST_TIMEOUT + 2


def test_silent_connections_are_closed(limited: GatewayProcess) -> None:
    socks = [_connect(limited) for _ in range(MAX_CONNECTIONS // 2)]
    try:
        started = time.monotonic()
        for sock in socks:
            _closed_after(sock)
        elapsed = time.monotonic() - started
    finally:
        for sock in socks:
            sock.close()
    print(f"\n{len(socks)} silent connections all closed after {elapsed:.1f} s")
    assert elapsed <= REQUEST_TIMEOUT + 2


def test_an_idle_keep_alive_connection_is_closed(limited: GatewayProcess) -> None:
    with _connect(limited) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: gw\r\n\r\n")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"\r\nserver:" not in answer.lower()
        assert b"x-content-type-options: nosniff" in answer.lower()
        elapsed = _closed_after(sock)
    assert elapsed <= KEEP_ALIVE + 1.5


def test_connections_beyond_the_limit_are_answered_503(limited: GatewayProcess) -> None:
    held = [_connect(limited) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)  # the server has accepted them (bounded, no polling)
        with _connect(limited) as extra:
            extra.sendall(b"GET /health HTTP/1.1\r\nHost: gw\r\n\r\n")
            extra.settimeout(5)
            assert extra.recv(65536).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_256_mib_chunked_body_is_refused_without_growing_the_worker(
    limited: GatewayProcess,
) -> None:
    before = _peak_rss_kib(limited.process.pid)
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"a" * (1 << 16)
        while sent < 256 << 20:
            sent += len(chunk)
            yield chunk

    try:
        response = httpx.post(
            f"{limited.base_url}/payment/rest/register.do",
            content=body(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
        assert response.json()["errorCode"] == "5"
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # the server answered and closed while the client was still sending
    grown_mib = (_peak_rss_kib(limited.process.pid) - before) / 1024
    print(f"\n256 MiB chunked body: {sent >> 20} MiB sent, peak RSS grew {grown_mib:.1f} MiB")
    assert sent < 256 << 20
    assert grown_mib < 16
