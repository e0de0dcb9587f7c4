"""uvicorn's httptools protocol with a deadline for reading each request.

uvicorn closes a keep-alive connection that stays idle after a response, but it waits
forever for a new connection's first request and for headers or a body that trickle in a
byte at a time (slowloris), so a few hundred slow clients hold every connection slot.  Here
a connection must deliver each whole request (headers and body) within
``ECOMGATE_REQUEST_TIMEOUT_SECONDS`` of its first byte, or of the connection being made; then
it is closed.  ``ecomgate serve`` names this class as uvicorn's ``http`` protocol.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ecomgate import config


@functools.cache
def request_timeout_seconds() -> float:
    return config.from_env().request_timeout_seconds


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_deadline: asyncio.TimerHandle | None = None

    def _arm_request_deadline(self) -> None:
        if self._request_deadline is None:
            self._request_deadline = self.loop.call_later(
                request_timeout_seconds(), self._request_too_slow
            )

    def _disarm_request_deadline(self) -> None:
        if self._request_deadline is not None:
            self._request_deadline.cancel()
            self._request_deadline = None

    def _request_too_slow(self) -> None:
        self._request_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # a connection that never sends a byte counts too
        self._arm_request_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_request_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_request_deadline()

    def on_message_complete(self) -> None:
        self._disarm_request_deadline()
        super().on_message_complete()
