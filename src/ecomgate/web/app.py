"""Composition root: builds the gateway from settings.

The only web module that picks concrete implementations (storage engine, acquirer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from ecomgate import config
from ecomgate.composition import background, open_services
from ecomgate.config import Settings
from ecomgate.services.auth import Authenticator
from ecomgate.services.context import Services

from .api import bindings, card_payment, lifecycle, orders, three_ds2
from .api.endpoint import Api, json_response
from .api.params import Context
from .dashboard import routes as dashboard
from .payment_page import routes as payment_page
from .sandbox import routes as sandbox

log = logging.getLogger("ecomgate")
_ANY = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]


def build_sandbox_api() -> Api:
    api = Api()
    sandbox.install(api)
    return api


def build_api() -> Api:
    api = Api()
    orders.install(api)
    card_payment.install(api)
    lifecycle.install(api)
    bindings.install(api)
    three_ds2.install(api)
    return api


class _AcquirerPages:
    """Pages an acquirer serves itself (the emulator's ACS); bound once the acquirer exists
    at start-up, since it is built from settings and a secret kept in the database."""

    def __init__(self) -> None:
        self.app: Router | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            await PlainTextResponse("Not Found", 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _health(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        await asyncio.wait_for(services.store.ping(), timeout=3)
    except Exception as exc:  # any failure means "not ready"
        log.warning("health check failed: %s", exc.__class__.__name__)
        return json_response(
            {"status": "unavailable", "database": services.store.engine, "pid": os.getpid()},
            503,
        )
    # pid: which worker process answered (several share one port under --workers N)
    return json_response({"status": "ok", "database": services.store.engine, "pid": os.getpid()})


def create_app(settings: Settings) -> Starlette:
    api = build_api()
    sandbox_api = build_sandbox_api()
    acquirer_pages = _AcquirerPages()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            authenticator = Authenticator(services.store, ttl=settings.auth_cache_seconds)
            for each in (api, sandbox_api):
                each.bind(
                    services,
                    authenticator,
                    Context(
                        timezone=ZoneInfo(settings.timezone),
                        public_url=settings.resolved_public_url,
                    ),
                    {
                        "register_success_error_code": settings.register_success_error_code,
                        "delivery": settings.delivery_config(),
                        "sandbox_token": settings.sandbox_token,
                        "sandbox_faults": settings.sandbox_faults,
                    },
                )
            app.state.services = services
            app.state.authenticator = authenticator
            app.state.settings = settings
            # an acquirer with pages of its own (the emulator's ACS) exposes them as routes()
            pages = getattr(services.acquirer, "routes", None)
            acquirer_pages.app = Router(routes=pages() if pages else [])
            # expiry, holds, the reconciler and callbacks happen even when nobody looks
            async with background(services, settings):
                yield

    routes: list[BaseRoute] = [
        Route("/health", _health, methods=["GET", "HEAD"]),
        *payment_page.routes(),
        # every HTTP method reaches the endpoint, which answers in JSON (405 for the rest)
        Route("/payment/rest/{method}.do", api.endpoint, methods=_ANY),
        Route("/rest/{method}.do", api.endpoint, methods=_ANY),
        # spec §3.9 names one method one level down: /payment/rest/3ds/continue.do
        Route("/payment/rest/3ds/continue.do", api.bound("3ds/continue"), methods=_ANY),
        Route("/rest/3ds/continue.do", api.bound("3ds/continue"), methods=_ANY),
        Mount("/acs", app=acquirer_pages),
        # the merchant back office and the operator console (server-rendered pages)
        *dashboard.routes(),
    ]
    if settings.sandbox:  # test controls exist only in sandbox mode
        routes += sandbox.routes(sandbox_api)
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.api = api
    return app


def app_from_env() -> Starlette:
    """uvicorn factory (``ecomgate serve`` and its worker processes)."""
    return create_app(config.from_env())
