"""A shop's callback endpoint for tests: a real HTTP server on 127.0.0.1 that records
every callback and answers as the test scripts it (200 by default, a list of statuses
to answer first, or holding requests until released).

::

    async with CallbackReceiver() as receiver:
        ...  # set the merchant's callback_url to receiver.url
        [cb] = await receiver.wait_for(1)
        assert cb.params["operation"] == "deposited"
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

#: the longest any wait of a test may take, so that no test can hang the suite
_MAX_WAIT = 30.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    #: the query string's parameters (GET callbacks)
    query: dict[str, str]
    #: the form body's parameters (POST callbacks)
    form: dict[str, str]
    headers: dict[str, str]
    #: what the gateway answered with
    answered: int

    @property
    def params(self) -> dict[str, str]:
        """The callback's parameters, wherever they came."""
        return self.form if self.method == "POST" else self.query


@dataclass
class CallbackReceiver:
    host: str = "127.0.0.1"
    #: statuses to answer, in turn, before answering 200
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    #: requests being held (``hold()``): they are answered once ``release()`` is called
    holding: int = 0

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._released: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/callback"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        self.script.extend(statuses)

    def hold(self) -> None:
        """Keep every request open, unanswered, until ``release()``."""
        self._released = asyncio.Event()

    def release(self) -> None:
        if self._released is not None:
            self._released.set()
            self._released = None

    async def _callback(self, request: Request) -> PlainTextResponse:
        released = self._released
        if released is not None:
            await self._note_holding(+1)
            try:
                await released.wait()
            finally:
                await self._note_holding(-1)
        status = self.script.pop(0) if self.script else 200
        body = (await request.body()).decode()
        self.received.append(
            Received(
                method=request.method,
                path=request.url.path,
                query=dict(parse_qsl(request.url.query, keep_blank_values=True)),
                form=dict(parse_qsl(body, keep_blank_values=True)) if body else {},
                headers={k.lower(): v for k, v in request.headers.items()},
                answered=status,
            )
        )
        async with self._changed:
            self._changed.notify_all()
        return PlainTextResponse("OK" if status == 200 else "not now", status)

    async def _note_holding(self, delta: int) -> None:
        self.holding += delta
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Until ``condition()`` holds (re-checked on each request); bounded."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(condition), timeout=min(timeout, _MAX_WAIT)
                )
            except TimeoutError:
                raise AssertionError(
                    f"{what}: not within {timeout} s; received {self.summary()}"
                ) from None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests that got a 200, once they have arrived."""
        await self.wait(
            lambda: len(self.delivered) >= count, f"{count} delivered callback(s)", timeout
        )
        return self.delivered[:count]

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.answered == 200]

    def summary(self) -> str:
        return (
            ", ".join(
                f"{r.params.get('operation')}/{r.params.get('status')}->{r.answered}"
                for r in self.received
            )
            or "nothing"
        )

    async def __aenter__(self) -> CallbackReceiver:
        app = Starlette(routes=[Route("/{path:path}", self._callback, methods=["GET", "POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(500):  # bounded: uvicorn starts in milliseconds
            if self._server.started:
                return self
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        raise RuntimeError("the callback receiver did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
