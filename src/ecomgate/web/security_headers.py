"""Headers every answer carries, whoever produced it (API, pages, the ACS, errors).

- ``X-Content-Type-Options: nosniff`` everywhere: a JSON answer or a static file is never
  run as a script or rendered as HTML by a browser guessing its type;
- ``Cache-Control: no-store`` on API and sandbox answers: order data and tokens stay out of
  shared caches and the browser's history;
- ``Permissions-Policy`` on HTML pages: the card form needs no camera, microphone,
  geolocation, USB or payment-handler access, so no script injected there gets them;
- ``Strict-Transport-Security`` when the gateway is reached over https
  (``ECOMGATE_PUBLIC_URL``): browsers never try plain http again;
- no ``Server`` banner (``ecomgate serve`` turns uvicorn's off; one set by a route is removed).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), usb=(), payment=()"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api_answer = path.endswith(".do") or path.startswith("/sandbox/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-content-type-options"] = "nosniff"
                if api_answer:
                    headers["cache-control"] = "no-store"
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("permissions-policy", PERMISSIONS_POLICY)
                if self.hsts:
                    headers["strict-transport-security"] = HSTS
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)
