"""Jinja2 environment and small pure helpers for the hosted payment page.

The route layer builds the contexts documented in the templates (``payment.html``,
``result.html``, ``finish.html``) and renders them with :func:`make_environment`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from ecomgate.domain.money import CURRENCIES, Currency
from ecomgate.web.payment_page import i18n

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: Directory to mount (e.g. Starlette ``StaticFiles``) under the page's ``static_url``.
STATIC_DIR = PACKAGE_DIR / "static"

NBSP = "\u00a0"


# (decimal separator, thousands separator) per page language
_SEPARATORS: dict[str, tuple[str, str]] = {"en": (".", ","), "ru": (",", NBSP)}


def currency_info(currency_numeric: str) -> Currency:
    """Display data of a currency; unknown ones render with their numeric code."""
    code = str(currency_numeric).strip().zfill(3)
    return CURRENCIES.get(code, Currency(code, code, 2, code))


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def format_amount(amount_minor: int, currency_numeric: str, lang: str | None = "en") -> str:
    """Format an integer amount in minor units, e.g. ``2000, "643", "en"`` → ``"20.00 ₽"``.

    Pure integer arithmetic (no floats).  English: ``$1,234.50``, ``€20.00``, ``20.00 ₽``;
    Russian: ``1 234,50 $``, ``20,00 €``.  The space before a trailing symbol and the Russian
    thousands separator are no-break spaces (U+00A0) so the amount never wraps.
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int (minor units)")
    cur = currency_info(currency_numeric)
    code = i18n.normalize_lang(lang)
    decimal_sep, thousands_sep = _SEPARATORS.get(code, _SEPARATORS["en"])
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**cur.exponent)
    number = _group(str(major), thousands_sep)
    if cur.exponent:
        number += decimal_sep + str(minor).zfill(cur.exponent)
    if code == "en" and cur.prefix_en:
        return f"{sign}{cur.symbol}{number}"
    return f"{sign}{number}{NBSP}{cur.symbol}"


def format_time_left(ms: int) -> str:
    """``754000`` → ``"12:34"``; an hour or more → ``"1:02:03"``; negatives → ``"0:00"``."""
    total = max(0, int(ms)) // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def js_strings(t: dict[str, str]) -> dict[str, str]:
    """The subset of page strings ``payment.js`` needs (serialized with ``|tojson``)."""
    return {key: t[key] for key in i18n.JS_KEYS if key in t}


def make_environment() -> jinja2.Environment:
    """Environment loading the package templates, HTML-autoescaped; optional context keys may be omitted."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["js_strings"] = js_strings
    env.filters["time_left"] = format_time_left
    env.filters["amount"] = format_amount
    return env


def render(env: jinja2.Environment, template_name: str, **context: object) -> str:
    """Convenience: render ``template_name`` with ``context``."""
    return env.get_template(template_name).render(**context)
