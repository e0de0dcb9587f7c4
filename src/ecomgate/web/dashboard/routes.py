"""The merchant back office: sign-in, the order list and its CSV export, the order page
with its actions, the money at a glance, and the merchant's own settings.

Actions call the API's use cases (``services.lifecycle``) with the merchant, so the rules
and permissions are the API's; callbacks are re-sent by ``notifications.admin``.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ecomgate.domain import callbacks as catalogue
from ecomgate.domain import codes
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import OrderNotFound
from ecomgate.domain.ids import normalize_order_id
from ecomgate.domain.order import Order
from ecomgate.notifications import admin as callback_admin
from ecomgate.notifications.dispatcher import Dispatcher
from ecomgate.notifications.keys import callback_key
from ecomgate.services import audit, dashboard_users, lifecycle, merchants, order_search
from ecomgate.services.context import Services
from ecomgate.services.uow import OrderRef

from ..api.messages import message
from ..payment_page.rendering import format_amount
from . import console, csv_export, i18n
from .chart import Bar, turnover_svg
from .forms import cursor_text, order_filter, parse_amount, show_amount, utc_day
from .pages import STATIC_URL, View, language, page, render
from .security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    client_address,
    new_login_token,
    same_token,
    set_cookie,
)
from .timeline import timeline

STATIC_DIR = Path(__file__).resolve().parent / "static"
ACTIONS = ("capture", "reverse", "refund", "decline")
PERIODS = (7, 30, 90)


# -- signing in and out ------------------------------------------------------------------
def _safe_next(target: str) -> str:
    # only a path of the dashboard itself: never an open redirect
    if target.startswith("/dashboard") and not target.startswith("//"):
        return target
    return "/dashboard"


async def login_form(request: Request) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    response = render(
        request, "login.html", login_csrf=token, next=request.query_params.get("next", "")
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


async def login(request: Request) -> Response:
    services: Services = request.app.state.services
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    lang = language(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not same_token(field("csrf"), cookie):
        return render(
            request,
            "login.html",
            status_code=403,
            login_csrf=cookie or new_login_token(),
            next=field("next"),
            problem=i18n.strings(lang)["csrf_failed"],
        )
    ip = client_address(request)
    email = field("email").strip().lower()
    try:
        signed = await dashboard_users.sign_in(services, email, field("password"), ip=ip)
    except dashboard_users.SignInRefused as exc:
        await audit.record(
            services, audit.Actor(email, "dashboard", ip), "sign_in_refused", email,
            details={"reason": exc.key},
        )  # fmt: skip
        return render(
            request,
            "login.html",
            status_code=401,
            login_csrf=cookie,
            next=field("next"),
            email=email,
            problem=message(exc.key, lang, **exc.params),
        )
    await audit.record(
        services,
        audit.Actor(signed.user.email, "dashboard", ip),
        "sign_in",
        signed.user.email,
        merchant_id=signed.user.merchant_id,
    )
    response = RedirectResponse(_safe_next(field("next")), 303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        signed.token,
        (signed.session.expires_at - signed.session.created_at) // 1000,
    )
    clear_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


@page(merchant=False)
async def logout(view: View) -> Response:
    await dashboard_users.sign_out(view.services, view.request.cookies.get(SESSION_COOKIE, ""))
    await view.audit("sign_out", view.who.user.email)
    response = RedirectResponse("/dashboard/login", 303)
    clear_cookie(view.request, response, SESSION_COOKIE)
    return response


@page(merchant=False)
async def home(view: View) -> Response:
    if view.who.merchant is None:
        return RedirectResponse("/dashboard/console", 303)
    return RedirectResponse("/dashboard/orders", 303)


# -- orders ------------------------------------------------------------------------------
def _status_choices(t: dict[str, str]) -> list[tuple[str, str]]:
    return [(str(int(s)), t[f"status_{int(s)}"]) for s in OrderStatus]


@page()
async def order_list(view: View) -> Response:
    query = order_filter(view.request.query_params, view.merchant.default_currency)
    found = await order_search.find_orders(view.services, view.merchant, query.where, query.after)
    kept = {k: v for k, v in query.values.items() if v}
    next_url = ""
    if found.next_cursor is not None:
        next_url = "?" + urlencode({**kept, "after": cursor_text(found.next_cursor)})
    return view.render(
        "orders.html",
        orders=found.orders,
        values=query.values,
        statuses=_status_choices(view.t),
        next_url=next_url,
        first_url="?" + urlencode(kept) if query.after is not None else "",
        export_url="/dashboard/orders.csv?" + urlencode(kept),
    )


@page()
async def order_export(view: View) -> Response:
    query = order_filter(view.request.query_params, view.merchant.default_currency)
    await view.audit(
        "export_orders",
        view.merchant.login,
        **{k: v for k, v in query.values.items() if v},
    )
    orders = order_search.export_orders(view.services, view.merchant, query.where)
    name = f"orders-{view.merchant.login}-{utc_day(view.services.clock.now_ms())}.csv"
    return StreamingResponse(
        csv_export.lines(orders),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def _order(view: View) -> Order:
    order_id = normalize_order_id(view.request.path_params["order_id"])
    if order_id is None:
        raise OrderNotFound()
    # a foreign order is "not found", as for the API
    return await view.services.uow.read(OrderRef(order_id=order_id), merchant=view.merchant)


def _possible_actions(order: Order) -> dict[str, int]:
    """Which buttons the order page offers, with the amount each one proposes; the use
    case still decides (the same rules as the API)."""
    totals = order.totals
    offered: dict[str, int] = {}
    if order.status is OrderStatus.APPROVED:
        offered["capture"] = order.amount
        offered["reverse"] = order.amount
    if order.status is OrderStatus.DEPOSITED and not order.two_phase:
        offered["reverse"] = order.amount
    if order.status in (OrderStatus.DEPOSITED, OrderStatus.REFUNDED) and totals.refundable > 0:
        offered["refund"] = totals.refundable
    if order.status in (OrderStatus.CREATED, OrderStatus.ACS) and not order.authorizing:
        offered["decline"] = 0
    return offered


@page()
async def order_page(view: View) -> Response:
    order = await _order(view)
    logs = await callback_admin.find_logs(view.services, merchant=view.merchant, order_id=order.id)
    bindings = await order_search.bindings_of(view.services, view.merchant, order)
    notice = ""
    done = view.request.query_params.get("done", "")
    if done in ACTIONS:
        notice = view.t["done"].format(action=view.t[done])
    resent = view.request.query_params.get("resent", "")
    if resent:
        notice = view.t["resent"].format(result=resent)
    return view.render(
        "order.html",
        order=order,
        totals=order.totals,
        steps=timeline(order),
        logs=logs,
        bindings=bindings,
        actions=_possible_actions(order) if view.who.may_act else {},
        action_description=codes.action_code_description(order.action_code, view.lang),
        notice=notice,
    )


def _action(view: View) -> str:
    action = view.request.path_params["action"]
    if action not in ACTIONS:
        raise OrderNotFound()
    return str(action)


@page(act=True)
async def confirm_action(view: View) -> Response:
    order = await _order(view)
    action = _action(view)
    typed = view.request.query_params.get("amount", "").strip()
    amount = parse_amount(typed, order.currency) if typed else None
    return view.render("confirm.html", order=order, action=action, amount=amount)


@page(act=True)
async def run_action(view: View) -> Response:
    order = await _order(view)
    action = _action(view)
    typed = view.field("amount").strip()
    amount = parse_amount(typed, order.currency) if typed else 0
    ref = OrderRef(order_id=order.id)
    merchant = view.merchant
    if action == "capture":
        await lifecycle.deposit(view.services, merchant, ref, amount)
    elif action == "reverse":
        # an amount below the hold reverses part of it (the rest stays held), as reverse.do
        await lifecycle.reverse(view.services, merchant, ref, amount or None)
    elif action == "refund":
        await lifecycle.refund(view.services, merchant, ref, lifecycle.RefundCommand(amount))
    else:
        await lifecycle.decline(view.services, merchant, ref)
    await view.audit(
        action, order.id, orderNumber=order.order_number, amount=show_amount(amount, order.currency)
    )
    return RedirectResponse(f"/dashboard/orders/{order.id}?done={action}", 303)


@page(act=True)
async def resend_callback(view: View) -> Response:
    event_id = str(view.request.path_params["event_id"])
    log = await callback_admin.show(view.services, event_id, merchant=view.merchant)
    settings = view.request.app.state.settings
    async with Dispatcher(view.services, settings.delivery_config()) as dispatcher:
        attempt = await callback_admin.resend(
            view.services, dispatcher, event_id, merchant=view.merchant
        )
    result = str(attempt.http_status) if attempt.error is None else (attempt.error or "")
    await view.audit("resend_callback", event_id, orderId=log.event.order_id or "", result=result)
    return RedirectResponse(
        f"/dashboard/orders/{log.event.order_id}?" + urlencode({"resent": result}), 303
    )


# -- money at a glance -------------------------------------------------------------------
@page()
async def overview(view: View) -> Response:
    raw = view.request.query_params.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    today = order_search.day_floor(view.services.clock.now_ms())
    first = today - (days - 1) * order_search.DAY_MS
    figures = await order_search.daily_figures(view.services, view.merchant, first, days)
    currency = figures.currency
    lang = view.lang
    bars = [
        Bar(utc_day(d.day_start), d.turnover, format_amount(d.turnover, currency, lang))
        for d in figures.days
    ]
    title = view.t["chart_label"].format(first=bars[0].label, last=bars[-1].label)
    return view.render(
        "overview.html",
        figures=figures,
        total=figures.total,
        chart=turnover_svg(bars, title),
        days=days,
        periods=PERIODS,
    )


# -- the merchant's settings -------------------------------------------------------------
@page()
async def settings_page(view: View) -> Response:
    return _settings(view)


def _settings(view: View, **context: Any) -> Response:
    merchant = view.merchant
    chosen = {o for o in merchant.settings.callback_operations.split(",") if o}
    return view.render(
        "settings.html",
        merchant=merchant,
        operations=catalogue.OPERATIONS,
        chosen=chosen,
        **context,
    )


async def _reload(view: View) -> None:
    merchant = await merchants.get_merchant(view.services, view.merchant.login)
    view.who = replace(view.who, merchant=merchant)


@page(act=True)
async def save_callbacks(view: View) -> Response:
    form = view.form
    assert form is not None
    chosen = [o for o in form.getlist("operations") if isinstance(o, str)]
    changes = {
        "callback_url": view.field("callback_url").strip(),
        "callback_method": view.field("callback_method").strip() or "GET",
        "callback_operations": ",".join(o for o in catalogue.OPERATIONS if o in chosen),
    }
    await merchants.update_merchant(view.services, view.merchant.login, settings=changes)
    await view.audit("change_callback_settings", view.merchant.login, **changes)
    await _reload(view)
    return _settings(view, notice=view.t["saved"])


@page(act=True)
async def regenerate_secret(view: View) -> Response:
    secret = secrets.token_hex(16)
    await merchants.update_merchant(
        view.services,
        view.merchant.login,
        settings={"callback_secret": secret, "callback_signing": "hmac"},
    )
    await view.audit("regenerate_callback_secret", view.merchant.login)
    await _reload(view)
    # shown on this answer only; it is never displayed again
    return _settings(view, notice=view.t["secret_once"].format(secret=secret))


@page()
async def certificate(view: View) -> Response:
    key = await callback_key(view.services, view.merchant)
    return PlainTextResponse(
        key.certificate_pem,
        media_type="application/x-pem-file",
        headers={
            "Content-Disposition": f'attachment; filename="{view.merchant.login}-callbacks.pem"'
        },
    )


@page(act=True)
async def issue_token(view: View) -> Response:
    token = await merchants.issue_token(view.services, view.merchant.login)
    await view.audit("issue_api_token", view.merchant.login)
    await _reload(view)
    return _settings(view, notice=view.t["token_once"].format(token=token))


@page(act=True)
async def revoke_token(view: View) -> Response:
    await merchants.revoke_token(view.services, view.merchant.login)
    await view.audit("revoke_api_token", view.merchant.login)
    await _reload(view)
    return _settings(view, notice=view.t["token_revoked"])


def routes() -> list[BaseRoute]:
    order = "/dashboard/orders/{order_id}"
    return [
        Route("/dashboard", home, methods=["GET"]),
        Route("/dashboard/", home, methods=["GET"]),
        Route("/dashboard/login", login_form, methods=["GET"]),
        Route("/dashboard/login", login, methods=["POST"]),
        Route("/dashboard/logout", logout, methods=["POST"]),
        Route("/dashboard/orders", order_list, methods=["GET"]),
        Route("/dashboard/orders.csv", order_export, methods=["GET"]),
        Route(order, order_page, methods=["GET"]),
        Route(order + "/{action}", confirm_action, methods=["GET"]),
        Route(order + "/{action}", run_action, methods=["POST"]),
        Route("/dashboard/callbacks/{event_id}/resend", resend_callback, methods=["POST"]),
        Route("/dashboard/overview", overview, methods=["GET"]),
        Route("/dashboard/settings", settings_page, methods=["GET"]),
        Route("/dashboard/settings/callbacks", save_callbacks, methods=["POST"]),
        Route("/dashboard/settings/secret", regenerate_secret, methods=["POST"]),
        Route("/dashboard/settings/certificate.pem", certificate, methods=["GET"]),
        Route("/dashboard/settings/token", issue_token, methods=["POST"]),
        Route("/dashboard/settings/token/revoke", revoke_token, methods=["POST"]),
        *console.routes(),
        Mount(STATIC_URL, app=StaticFiles(directory=str(STATIC_DIR)), name="dashboard-static"),
    ]
