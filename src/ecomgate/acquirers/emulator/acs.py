"""The emulated ACS ("Verified by Visa" / "Mastercard ID Check" test page) as Starlette routes.

Flow (3-D Secure 1 style):

1. the buyer's browser POSTs ``PaReq``, ``MD``, ``TermUrl`` to ``/acs/emulator/challenge``
   (GET with a query string works too, for manual testing);
2. the page asks for the password (test password ``12345678``) and POSTs it, with the same
   three fields, to ``/acs/emulator/authenticate``;
3. that answer is an auto-submitting form that POSTs ``PaRes`` and ``MD`` to ``TermUrl``
   (finish3ds.do), with a visible "Continue" button for browsers without JavaScript.

3-D Secure 2 style, under ``/acs/emulator/3ds2/``:

1. ``method``: the 3DS method page the buyer's browser loads in a hidden frame with
   ``threeDSMethodData`` (nothing to do in an emulator; it only answers a blank page);
2. ``challenge``: the browser POSTs ``creq`` (packedCReq); the page asks for the one-time
   code (test code ``123456``) and POSTs it with the ``creq`` to ``authenticate``;
3. that answer auto-posts ``cres`` to the notification URL the CReq names (the gateway).

No state is kept here: the PaReq/CReq carries what the page shows, the PaRes/CRes what the
gateway needs to finish (see ``tokens.py``).  Both pages show the merchant, the amount with
its currency and the masked card, in the order's language (en, ru).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from ecomgate.domain import money

from . import tokens

if TYPE_CHECKING:
    from .acquirer import EmulatorAcquirer

LANGUAGES = ("en", "ru")
MAX_TERM_URL_LENGTH = 2048

_env = Environment(
    loader=PackageLoader("ecomgate.acquirers.emulator", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Purchase authentication",
        "banner": "Test ACS of the EcomGate emulator. No real bank is contacted.",
        "intro": "To confirm this purchase, enter the password for your card.",
        "merchant": "Merchant",
        "order": "Order",
        "amount": "Amount",
        "card": "Card number",
        "password": "Password",
        "hint": "Test password: 12345678",
        "submit": "Submit",
        "cancel": "Cancel",
        "returning": "Returning to the store",
        "returning_text": "Authentication is finished. You are being returned to the store.",
        "continue": "Continue",
        "error_title": "Authentication cannot be started",
        "error_text": "The request from the store is invalid or has expired. "
        "Return to the store and try again.",
        "otp_intro": "We sent a one-time code to the phone number linked to your card. "
        "Enter it to confirm this purchase.",
        "otp": "One-time code",
        "otp_hint": "Test code: 123456",
    },
    "ru": {
        "title": "Подтверждение покупки",
        "banner": "Тестовый ACS эмулятора EcomGate. Настоящий банк не участвует.",
        "intro": "Чтобы подтвердить покупку, введите пароль вашей карты.",
        "merchant": "Магазин",
        "order": "Заказ",
        "amount": "Сумма",
        "card": "Номер карты",
        "password": "Пароль",
        "hint": "Тестовый пароль: 12345678",
        "submit": "Подтвердить",
        "cancel": "Отмена",
        "returning": "Возврат в магазин",
        "returning_text": "Аутентификация завершена. Вы возвращаетесь в магазин.",
        "continue": "Продолжить",
        "error_title": "Аутентификацию нельзя начать",
        "error_text": "Запрос магазина неверен или устарел. Вернитесь в магазин и попробуйте снова.",
        "otp_intro": "Мы отправили одноразовый код на номер телефона, привязанный к карте. "
        "Введите его, чтобы подтвердить покупку.",
        "otp": "Одноразовый код",
        "otp_hint": "Тестовый код: 123456",
    },
}

BRANDS = {
    "VISA": "Verified by Visa",
    "MASTERCARD": "Mastercard ID Check",
    "MAESTRO": "Mastercard ID Check",
    "MIR": "Mir Accept",
    "AMEX": "American Express SafeKey",
    "JCB": "J/Secure",
    "CUP": "UnionPay 3-D Secure",
}


def acs_routes(emulator: EmulatorAcquirer) -> list[BaseRoute]:
    """Routes relative to the app's ``/acs`` mount: ``/emulator/challenge`` and
    ``/emulator/authenticate`` (so ``/acs/emulator/...`` once mounted)."""

    async def challenge(request: Request) -> HTMLResponse:
        fields = await _fields(request)
        try:
            claims = emulator.read_pa_req(fields["PaReq"], fields["MD"])
        except tokens.BadToken:
            return _error(fields)
        term_url = fields["TermUrl"]
        if not valid_term_url(term_url, emulator.acs_base_url):
            return _error(fields)
        lang = _language(fields.get("lang") or str(claims.get("lang", "")))
        return _render(
            "challenge.html",
            lang,
            brand=BRANDS.get(str(claims.get("ps")), "3-D Secure"),
            masked_pan=_spaced_mask(str(claims.get("pan", ""))),
            amount=_amount(claims.get("amt"), str(claims.get("cur", "")), lang),
            merchant=str(claims.get("mer", "")),
            order_id=str(claims.get("oid", "")),
            pa_req=fields["PaReq"],
            md=fields["MD"],
            term_url=term_url,
        )

    async def authenticate(request: Request) -> HTMLResponse:
        fields = await _fields(request)
        term_url = fields["TermUrl"]
        if not valid_term_url(term_url, emulator.acs_base_url):
            return _error(fields)
        password = None if fields.get("action") == "cancel" else fields.get("password", "")
        try:
            pa_res = emulator.authenticate(fields["PaReq"], fields["MD"], password)
        except tokens.BadToken:
            return _error(fields)
        return _render(
            "redirect.html",
            _language(fields.get("lang", "")),
            term_url=term_url,
            pa_res=pa_res,
            md=fields["MD"],
        )

    async def method(request: Request) -> HTMLResponse:
        # the emulated issuer fingerprints nothing: a blank page the frame loads
        return _render("method.html", "en")

    async def challenge_2(request: Request) -> HTMLResponse:
        fields = await _fields(request)
        try:
            claims = emulator.read_creq(fields["creq"])
        except tokens.BadToken:
            return _error(fields)
        lang = _language(str(claims.get("lang", "")))
        return _render(
            "challenge2.html",
            lang,
            brand=BRANDS.get(str(claims.get("ps")), "3-D Secure"),
            masked_pan=_spaced_mask(str(claims.get("pan", ""))),
            amount=_amount(claims.get("amt"), str(claims.get("cur", "")), lang),
            merchant=str(claims.get("mer", "")),
            order_id=str(claims.get("oid", "")),
            creq=fields["creq"],
        )

    async def authenticate_2(request: Request) -> HTMLResponse:
        fields = await _fields(request)
        code = None if fields.get("action") == "cancel" else fields.get("otp", "")
        try:
            cres, notification_url = emulator.answer_challenge(fields["creq"], code)
        except tokens.BadToken:
            return _error(fields)
        if not valid_term_url(notification_url, emulator.acs_base_url):
            return _error(fields)
        return _render(
            "redirect2.html",
            _language(fields.get("lang", "")),
            notification_url=notification_url,
            cres=cres,
        )

    return [
        Route("/emulator/3ds2/method", method, methods=["GET", "POST"], name="acs_3ds2_method"),
        Route(
            "/emulator/3ds2/challenge",
            challenge_2,
            methods=["GET", "POST"],
            name="acs_3ds2_challenge",
        ),
        Route(
            "/emulator/3ds2/authenticate",
            authenticate_2,
            methods=["POST"],
            name="acs_3ds2_authenticate",
        ),
        Route(
            "/emulator/challenge",
            challenge,
            methods=["GET", "POST"],
            name="acs_emulator_challenge",
        ),
        Route(
            "/emulator/authenticate",
            authenticate,
            methods=["POST"],
            name="acs_emulator_authenticate",
        ),
    ]


def valid_term_url(url: str, own_base_url: str = "") -> bool:
    """Only an absolute http(s) URL may receive the PaRes (no ``javascript:``, no ``data:``),
    and, given the gateway's own URL, only one of the gateway's: the emulated ACS must never
    hand an authentication result to another site."""
    if not url or len(url) > MAX_TERM_URL_LENGTH or not url.isascii():
        return False
    if any(ord(char) <= 32 or char in "<>\"'\\`" for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if own_base_url:  # the gateway's host (its processes may listen on several ports)
        own = urlsplit(own_base_url)
        return parts.scheme == own.scheme and parts.hostname == (own.hostname or "").lower()
    return True


_FIELDS = ("PaReq", "MD", "TermUrl", "lang", "password", "action", "creq", "otp")


async def _fields(request: Request) -> dict[str, str]:
    """Form fields of a POST, falling back to the query string (the body wins)."""
    values: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form()
        for name in _FIELDS:
            value = form.get(name)
            if isinstance(value, str):
                values[name] = value
    for name in _FIELDS:
        if name not in values and name in request.query_params:
            values[name] = request.query_params[name]
    for name in ("PaReq", "MD", "TermUrl", "creq"):
        values.setdefault(name, "")
    return values


def _language(value: str) -> str:
    value = value.strip().lower()[:2]
    return value if value in LANGUAGES else "en"


def _render(template: str, lang: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _env.get_template(template).render(lang=lang, t=TEXTS[lang], nonce=nonce, **context)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                # the result goes to the gateway (checked above), which redirects the
                # buyer on to the shop: form-action covers that redirect too, so it stays
                # open.  Only the gateway's own pages may frame these (the 3-D Secure 2
                # method step runs in the payment page's hidden frame)
                "form-action 'self' http: https:; frame-ancestors 'self'; base-uri 'none'"
            ),
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def _error(fields: dict[str, str]) -> HTMLResponse:
    return _render("error.html", _language(fields.get("lang", "")), status_code=400)


def _spaced_mask(masked: str) -> str:
    """ "411111**1111" -> "4111 11** **** 1111" for reading; the masked form is kept."""
    if "**" not in masked:
        return masked
    head, _, tail = masked.partition("**")
    return f"{head[:4]} {head[4:]}** **** {tail}"


def _amount(amount: Any, currency: str, lang: str = "en") -> str:
    """The amount with its currency, the decimal mark as the language writes it."""
    if not isinstance(amount, int):
        return ""
    known = money.CURRENCIES.get(currency)
    if known is None:
        return f"{amount} ({currency})"
    major = money.format_major(amount, known)
    return f"{major.replace('.', ',') if lang == 'ru' else major} {known.alpha}"
