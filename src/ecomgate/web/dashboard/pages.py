"""What every dashboard page shares: the signed-in visitor, its language, the CSRF check
of forms, rendering, and turning refusals into pages (never a 500 or a traceback)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ecomgate.domain.errors import GatewayError
from ecomgate.services import audit, dashboard_users
from ecomgate.services.context import Services
from ecomgate.services.dashboard_users import Visitor

from ..api.messages import message
from ..payment_page.rendering import format_amount
from . import i18n
from .forms import FormError, show_amount, utc_day, utc_time
from .security import LANG_COOKIE, SESSION_COOKIE, client_address, same_token, set_cookie

log = logging.getLogger("ecomgate.dashboard")
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_URL = "/dashboard/static"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = utc_time
    env.filters["day"] = utc_day
    env.filters["plain_amount"] = show_amount
    return env


ENV = _environment()


def language(request: Request) -> str:
    return i18n.pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language", ""),
    )


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = context.pop("lang", None) or language(request)
    t = i18n.strings(lang)

    def money(amount: int, currency: str) -> str:
        return format_amount(amount, currency, lang)

    context.setdefault("who", None)
    context.setdefault("csrf", "")
    context.setdefault("notice", "")
    context.setdefault("problem", "")
    body = ENV.get_template(template).render(
        t=t, lang=lang, static_url=STATIC_URL, money=money, path=request.url.path, **context
    )
    response = HTMLResponse(body, status_code=status_code, headers=_HEADERS)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, 365 * 86400)
    return response


@dataclass
class View:
    """One request of a signed-in visitor."""

    request: Request
    services: Services
    who: Visitor
    lang: str
    form: FormData | None

    @property
    def t(self) -> dict[str, str]:
        return i18n.strings(self.lang)

    @property
    def merchant(self) -> Any:
        assert self.who.merchant is not None  # checked by the page's requirements
        return self.who.merchant

    def field(self, name: str) -> str:
        value = self.form.get(name, "") if self.form is not None else ""
        return value if isinstance(value, str) else ""

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(
            self.request,
            template,
            status_code=status_code,
            lang=self.lang,
            who=self.who,
            csrf=self.who.session.csrf_token,
            **context,
        )

    def problem(self, text: str, status_code: int = 400) -> HTMLResponse:
        return self.render("problem.html", status_code=status_code, problem=text)

    def actor(self) -> audit.Actor:
        return audit.Actor(self.who.user.email, "dashboard", client_address(self.request))

    async def audit(self, action: str, target: str, **details: object) -> None:
        merchant = self.who.merchant
        if self.who.user.is_operator and merchant is not None and self.who.session.acting:
            details.setdefault("acting_as", merchant.login)
        await audit.record(
            self.services,
            self.actor(),
            action,
            target,
            merchant_id=merchant.id if merchant is not None else None,
            details=details,
        )


Handler = Callable[[View], Awaitable[Response]]


def page(
    *, merchant: bool = True, operator: bool = False, act: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """A page for signed-in visitors.  ``merchant``: it works on a merchant's data (a
    merchant user's own, or the one an operator chose); ``operator``: the console only;
    ``act``: it changes something, so a viewer (or an operator only looking) is refused.
    Every POST must carry the session's CSRF token."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            services: Services = request.app.state.services
            lang = language(request)
            t = i18n.strings(lang)
            token = request.cookies.get(SESSION_COOKIE, "")
            who = await dashboard_users.visitor(services, token)
            if who is None:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/dashboard/login?next={target}", 303)
            view = View(request, services, who, lang, None)
            if request.method == "POST":
                view.form = await request.form()
                if not same_token(view.field("csrf"), who.session.csrf_token):
                    return view.problem(t["csrf_failed"], 403)
            if operator and not who.user.is_operator:
                return view.problem(t["forbidden"], 403)
            if merchant and who.merchant is None:
                if who.user.is_operator:
                    return RedirectResponse("/dashboard/console", 303)
                return view.problem(t["forbidden"], 403)
            if act and not (who.may_act or (operator and who.user.is_operator)):
                return view.problem(t["forbidden"], 403)
            try:
                return await handler(view)
            except FormError as exc:
                return view.problem(t[exc.key])
            except GatewayError as exc:
                if exc.key in ("order_not_found", "unknown_callback"):
                    return view.problem(t["not_found"], 404)
                return view.problem(message(exc.key, lang, **exc.params))

        return endpoint

    return wrap
