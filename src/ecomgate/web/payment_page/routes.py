"""The hosted payment page at formUrl, its static files, and the 3-D Secure return.

The page talks to the gateway only through ``processform.do`` (``web/api/card_payment.py``);
this module renders what the buyer sees for each state of the order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ecomgate.domain import codes
from ecomgate.domain.cards import AMEX
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError, OrderNotFound
from ecomgate.domain.ids import normalize_order_id
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.order import Order
from ecomgate.services import bindings, payment, status
from ecomgate.services.context import Services
from ecomgate.services.ports import DatabaseUnavailable

from .. import buyer_texts
from ..links import page_path
from . import i18n
from .rendering import STATIC_DIR, format_amount, make_environment

STATIC_URL = "/payment/static"
PROCESS_URL = "/payment/rest/processform.do"
#: 3-D Secure 2: the page continues here after the 3DS method step
CONTINUE_URL = "/payment/rest/3ds/continue.do"
_PAGE_FILE = re.compile(r"(?:(?P<view>[A-Za-z0-9_-]+?)_)?payment_(?P<lang>[A-Za-z]{2})\.html")
_ENV = make_environment()
#: the page must never be cached or framed by another site
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' "
    "'unsafe-inline'; script-src 'self'; form-action *; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _html(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    body = _ENV.get_template(template).render(static_url=STATIC_URL, **context)
    return HTMLResponse(body, status_code=status_code, headers=_HEADERS)


def _order_context(order: Order, merchant_name: str, lang: str) -> dict[str, Any]:
    params = order.json_params
    return {
        "id": order.id,
        "number": order.order_number,
        "description": order.description,
        "amount": order.amount,
        "amount_formatted": format_amount(order.amount, order.currency, lang),
        "currency": order.currency,
        "merchant_name": merchant_name,
        "expires_at_ms": order.expires_at,
        "cardholder_name": str(order.extra.get("cardholderName", "")),
        "email": order.email,
        "back_to_shop_url": params.get("backToShopUrl", ""),
        "back_to_shop_name": params.get("backToShopName", ""),
    }


def _result_kind(order: Order) -> str:
    if order.status in (OrderStatus.APPROVED, OrderStatus.DEPOSITED, OrderStatus.REFUNDED):
        return "paid"
    if order.status is OrderStatus.ACS or order.payment_in_progress:
        return "processing"
    if order.action_code == codes.ORDER_EXPIRED:
        return "expired"
    return "declined"


def _survives_outage(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A database outage shows the buyer a page that retries by itself, not a 500."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except DatabaseUnavailable:
            lang = i18n.normalize_lang(request.query_params.get("lang"))
            match = _PAGE_FILE.fullmatch(request.path_params.get("file", ""))
            if match:
                lang = i18n.normalize_lang(match.group("lang"))
            t = i18n.strings(lang)
            return _html(
                "result.html",
                503,
                lang=lang,
                t=t,
                kind="processing",
                message=t["unavailable"],
                order=None,
                return_url="",
            )

    return wrapped


async def _saved_cards(services: Services, order: Order, merchant: Merchant) -> dict[str, Any]:
    """The client's saved cards to offer (masked, with expiry), whether the page asks only
    for the CVC of the order's binding, and whether it offers to save a new card."""
    found = await bindings.for_page(services, order, merchant)
    cards = [
        {
            "id": b.id,
            "masked_pan": b.masked_pan,
            "expiry": f"{b.expiry[4:]}/{b.expiry[:4]}",
            "cvc_length": 4 if b.payment_system == AMEX else 3,
        }
        for b in found
    ]
    may_store = (
        bool(order.client_id)
        and services.vault is not None
        and merchant.may(Permission.BINDINGS)
        and not order.registered_binding_id
    )
    forced = "FORCE_CREATE_BINDING" in order.features or order.verification
    return {
        "saved_cards": cards,
        # only an order registered with bindingId is bound to one card; a declined attempt
        # with a saved card leaves the buyer every choice
        "binding_only": bool(order.registered_binding_id),
        "offer_save": may_store and not forced,
    }


@_survives_outage
async def payment_page(request: Request) -> Response:
    services: Services = request.app.state.services
    match = _PAGE_FILE.fullmatch(request.path_params["file"])
    lang = i18n.normalize_lang(match.group("lang") if match else None)
    t = i18n.strings(lang)
    order_id = normalize_order_id(request.query_params.get("mdOrder", ""))
    found = await status.order_for_page(services, order_id) if order_id else None
    if match is None or found is None:
        return _html(
            "result.html", 404, lang=lang, t=t, kind="not_found", order=None, return_url=""
        )
    order, merchant = found
    # a language the page has no strings for: the merchant's default (spec §7)
    lang = i18n.page_lang(match.group("lang"), merchant.settings.language)
    t = i18n.strings(lang)
    context = _order_context(order, merchant.name, lang)
    if order.status is OrderStatus.CREATED and not order.payment_in_progress:
        view = (match.group("view") or "").lower()
        page = request.path_params["page"]
        lang_urls = {
            code: page_path(page, match.group("view") or "DESKTOP", code, order.id)
            for code in ("en", "ru")
        }
        error = ""
        if order.action_code not in (codes.NO_ATTEMPT, codes.APPROVED):
            error = buyer_texts.decline_message(order.action_code, lang)
        return _html(
            "payment.html",
            lang=lang,
            t=t,
            mobile=view == "mobile" or order.page_view.upper() == "MOBILE",
            order=context,
            process_url=PROCESS_URL,
            continue_url=CONTINUE_URL,
            lang_urls=lang_urls,
            error=error,
            now_ms=services.clock.now_ms(),
            **await _saved_cards(services, order, merchant),
        )
    kind = _result_kind(order)
    message = ""
    if kind == "declined":
        message = buyer_texts.decline_message(order.action_code, lang)
    return _html(
        "result.html",
        lang=lang,
        t=t,
        kind=kind,
        order=context,
        message=message,
        return_url=services.links.return_url(order, success=kind == "paid")
        if kind != "processing"
        else "",
    )


@_survives_outage
async def finish_3ds(request: Request) -> Response:
    """spec §3.9: the ACS posts PaRes and MD here; the buyer is redirected to the shop."""
    services: Services = request.app.state.services
    form = await request.form()
    md = str(form.get("MD") or request.query_params.get("MD") or "")
    pa_res = str(form.get("PaRes") or form.get("PARes") or "")
    lang = request.query_params.get("lang")
    try:
        result = await payment.finish_3ds(services, md, pa_res, lang)
    except DatabaseUnavailable:
        raise  # the outage page, which retries by itself (``_survives_outage``)
    except GatewayError:
        t = i18n.strings(lang)
        return _html(
            "result.html",
            404,
            lang=i18n.normalize_lang(lang),
            t=t,
            kind="not_found",
            order=None,
            return_url="",
        )
    # the shop, or (declined with attempts left, or still open) the page, which says why
    return RedirectResponse(result.redirect_url, status_code=303)


@_survives_outage
async def finish_3ds2(request: Request) -> Response:
    """The 3-D Secure 2 notification URL: the ACS posts the CRes here after the challenge;
    the payment is authorised and the buyer redirected to the shop (or the page)."""
    services: Services = request.app.state.services
    form = await request.form()
    cres = str(form.get("cres") or "")
    lang = request.query_params.get("lang")
    order_id = request.query_params.get("mdOrder", "")
    try:
        if not cres or not order_id:
            raise OrderNotFound()
        result = await payment.finish_3ds2(services, order_id=order_id, cres=cres, language=lang)
    except DatabaseUnavailable:
        raise
    except GatewayError:
        return _html(
            "result.html",
            404,
            lang=i18n.normalize_lang(lang),
            t=i18n.strings(lang),
            kind="not_found",
            order=None,
            return_url="",
        )
    return RedirectResponse(result.redirect_url, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/payment/rest/finish3ds.do", finish_3ds, methods=["POST", "GET"]),
        Route("/payment/rest/finish3dsVer2.do", finish_3ds2, methods=["POST"]),
        Route("/payment/merchants/{page}/{file}", payment_page, methods=["GET", "HEAD"]),
        Mount(STATIC_URL, app=StaticFiles(directory=STATIC_DIR), name="payment-static"),
    ]
