"""A tiny demo shop: the merchant side of the redirect integration (spec §1.2, steps 1–10).

Buy -> register.do -> redirect to formUrl -> (buyer pays on the gateway's page) -> back to
/return -> getOrderStatusExtended.do -> "paid" or "declined", through the SDK
(``ecomgate.client.AsyncGateway``), as a shop in Python would.  The verdict always comes from
the status call, never from the redirect alone: the redirect proves nothing.  The gateway's
signed callbacks arrive at /callback; the shop checks each checksum (spec §4.3) and shows
them with the order (kept in memory: a demo).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ecomgate.client import AsyncGateway, GatewayError, verify_checksum

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
)

PRODUCTS: dict[str, dict[str, Any]] = {
    "tea": {"name": "Green tea, 100 g", "amount": 2000},
    "teapot": {"name": "Clay teapot", "amount": 349900},
}


@dataclass(frozen=True)
class ShopConfig:
    gateway_url: str  # where the shop's server reaches the gateway's API
    shop_url: str  # this shop's public base URL (for returnUrl)
    login: str
    password: str
    currency: str = "643"
    #: the merchant's callback_secret ("" = callbacks are not checked)
    callback_secret: str = ""


def create_shop(config: ShopConfig) -> Starlette:
    #: order id -> the callbacks received for it: (operation, status, checksum valid)
    received: dict[str, list[dict[str, Any]]] = {}

    # one client for the shop's life: its connections to the gateway are reused
    gateway = AsyncGateway(
        config.gateway_url, user_name=config.login, password=config.password, timeout=15
    )

    def page(name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(TEMPLATES.get_template(name).render(**context))

    async def index(request: Request) -> Response:
        return page("index.html", products=PRODUCTS)

    async def buy(request: Request) -> Response:
        form = await request.form()
        product = PRODUCTS.get(str(form.get("product", "")))
        if product is None:
            return page("index.html", products=PRODUCTS, error="Unknown product")
        two_stage = form.get("mode") == "hold"
        language = str(form.get("language") or "en")
        register = gateway.register_preauth if two_stage else gateway.register
        try:
            order = await register(
                order_number=f"DEMO-{secrets.token_hex(4).upper()}",
                amount=product["amount"],
                currency=config.currency,
                return_url=f"{config.shop_url}/return",
                fail_url=f"{config.shop_url}/return?failed=1",
                description=product["name"],
                language=language,
                json_params={"backToShopUrl": config.shop_url, "backToShopName": "Demo tea shop"},
            )
        except GatewayError as exc:
            return page("index.html", products=PRODUCTS, error=exc.error_message)
        return RedirectResponse(order.form_url, status_code=303)

    async def back(request: Request) -> Response:
        order_id = request.query_params.get("orderId", "")
        verdict = "unknown"
        try:
            found = await gateway.status(order_id=order_id, language="en")
        except GatewayError as exc:
            status = exc.answer
        else:
            status = found.raw
            verdict = {1: "held", 2: "paid"}.get(found.order_status, "declined")
        return page(
            "result.html",
            status=status,
            verdict=verdict,
            order_id=order_id,
            callbacks=received.get(order_id, []),
        )

    async def callback(request: Request) -> Response:
        """What a shop's callback handler does: check the checksum, remember, answer 200
        (anything else makes the gateway retry)."""
        # what the gateway signed: the query string of a GET, the form body of a POST
        if request.method == "POST":
            params = {k: str(v) for k, v in (await request.form()).items()}
        else:
            params = dict(request.query_params)
        valid = verify_checksum(params, config.callback_secret)
        received.setdefault(params.get("mdOrder", ""), []).append(
            {"operation": params.get("operation"), "status": params.get("status"), "valid": valid}
        )
        return Response("OK" if valid else "bad checksum", 200 if valid else 400)

    async def callbacks_of(request: Request) -> Response:
        return JSONResponse(received.get(request.path_params["order_id"], []))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.aclose()

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", index),
            Route("/buy", buy, methods=["POST"]),
            Route("/return", back),
            Route("/callback", callback, methods=["GET", "POST"]),
            Route("/callbacks/{order_id}", callbacks_of),
        ],
    )
