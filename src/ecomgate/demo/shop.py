"""A tiny demo shop: the merchant side of the redirect integration (spec §1.2, steps 1–10).

Buy -> register.do -> redirect to formUrl -> (buyer pays on the gateway's page) -> back to
/return -> getOrderStatusExtended.do -> "paid" or "declined".  The verdict always comes from
the status call, never from the redirect alone: the redirect proves nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
)

PRODUCTS = {
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


def create_shop(config: ShopConfig) -> Starlette:
    async def api(method: str, **params: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=15) as http:
            response = await http.post(
                f"{config.gateway_url}/payment/rest/{method}.do",
                data={"userName": config.login, "password": config.password, **params},
            )
        body: dict[str, Any] = response.json()
        return body

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
        body = await api(
            "registerPreAuth" if two_stage else "register",
            orderNumber=f"DEMO-{secrets.token_hex(4).upper()}",
            amount=product["amount"],
            currency=config.currency,
            returnUrl=f"{config.shop_url}/return",
            failUrl=f"{config.shop_url}/return?failed=1",
            description=product["name"],
            language=language,
            jsonParams=json.dumps(
                {"backToShopUrl": config.shop_url, "backToShopName": "Demo tea shop"}
            ),
        )
        if "formUrl" not in body:
            return page("index.html", products=PRODUCTS, error=body.get("errorMessage", "error"))
        return RedirectResponse(body["formUrl"], status_code=303)

    async def back(request: Request) -> Response:
        order_id = request.query_params.get("orderId", "")
        status = await api("getOrderStatusExtended", orderId=order_id, language="en")
        verdict = "unknown"
        if status.get("errorCode") == "0":
            verdict = {1: "held", 2: "paid"}.get(int(status["orderStatus"]), "declined")
        return page("result.html", status=status, verdict=verdict, order_id=order_id)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/buy", buy, methods=["POST"]),
            Route("/return", back),
        ]
    )
