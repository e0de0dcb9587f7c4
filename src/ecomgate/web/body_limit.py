"""The request body limit, enforced on the bytes as they arrive.

A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a
chunked or undeclared body is read only up to the limit, then refused, so a 256 MiB upload
costs at most ``max_bytes`` of memory whatever its framing (form, JSON or multipart).  The
body read is handed on whole, so the application reads it as usual.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api.endpoint import json_response
from .api.messages import message


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            received = await receive()
            if received["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([received], receive), send)
                return
            body = received.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not received.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response
        if scope["path"].endswith(".do"):
            # the API's own error form (HTTP 200, errorCode 5), as read_params answered it
            response = json_response(
                {
                    "errorCode": "5",
                    "errorMessage": message("body_too_large", "en", max=self.max_bytes),
                }
            )
        else:
            response = PlainTextResponse("Request body too large", 413)
        # the rest of the body is never read: the connection cannot carry another request
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1").strip())
    return ""


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that gives ``messages`` first, then the client's own (the disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
