"""Hosted payment page: templates render, amounts format, forms are accessible and offline."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

try:
    import ecomgate  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from ecomgate.web import buyer_texts
from ecomgate.web.payment_page import i18n, rendering

NBSP = "\u00a0"
LANGS = ("en", "ru")
KINDS = ("paid", "declined", "expired", "not_found", "processing")


def _order(lang: str, **over: object) -> dict[str, object]:
    order: dict[str, object] = {
        "id": "01491d0b-c848-7dd6-a20d-e96900a7d8c0",
        "number": "A-1001",
        "description": "Two tickets",
        "amount": 2000,
        "currency": "643",
        "merchant_name": "Demo Shop",
        "expires_at_ms": 1_700_000_000_000 + 1_200_000,
        "cardholder_name": "",
        "email": "",
        "back_to_shop_url": "",
        "back_to_shop_name": "",
    }
    order.update(over)
    order["amount_formatted"] = rendering.format_amount(order["amount"], order["currency"], lang)  # type: ignore[arg-type]
    return order


def _payment_ctx(lang: str, **over: object) -> dict[str, object]:
    ctx: dict[str, object] = {
        "lang": lang,
        "t": i18n.strings(lang),
        "mobile": False,
        "order": _order(lang),
        "process_url": "/payment/rest/processform.do",
        "static_url": "/payment/static",
        "lang_urls": {
            "en": "/payment/merchants/ecom/payment_en.html?mdOrder=x",
            "ru": "/payment/merchants/ecom/payment_ru.html?mdOrder=x",
        },
        "error": "",
    }
    ctx.update(over)
    return ctx


@pytest.fixture(scope="module")
def env():
    return rendering.make_environment()


def _render(env, name: str, ctx: dict[str, object]) -> str:
    return env.get_template(name).render(**ctx)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    c = _Collector()
    c.feed(html)
    return c.tags


def _all_pages(env) -> list[tuple[str, str]]:
    out = []
    for lang in LANGS:
        t = i18n.strings(lang)
        out.append((f"payment/{lang}", _render(env, "payment.html", _payment_ctx(lang))))
        out.append(
            (f"mobile/{lang}", _render(env, "payment.html", _payment_ctx(lang, mobile=True)))
        )
        for kind in KINDS:
            ctx = {
                "lang": lang,
                "t": t,
                "static_url": "/payment/static",
                "kind": kind,
                "message": "",
                "order": None if kind == "not_found" else _order(lang),
                "return_url": "",
            }
            out.append((f"result-{kind}/{lang}", _render(env, "result.html", ctx)))
        ctx = {
            "lang": lang,
            "t": t,
            "static_url": "/payment/static",
            "redirect_url": "/shop/ok?orderId=1&lang=" + lang,
        }
        out.append((f"finish/{lang}", _render(env, "finish.html", ctx)))
    return out


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "lang", "expected"),
    [
        (2000, "643", "en", f"20.00{NBSP}₽"),
        (2000, "643", "ru", f"20,00{NBSP}₽"),
        (2000, "840", "en", "$20.00"),
        (2000, "978", "ru", f"20,00{NBSP}€"),
        (2000, "978", "en", "€20.00"),
        (123456789, "643", "en", f"1,234,567.89{NBSP}₽"),
        (123456789, "643", "ru", f"1{NBSP}234{NBSP}567,89{NBSP}₽"),
        (5, "840", "en", "$0.05"),
        (0, "643", "en", f"0.00{NBSP}₽"),
        (1234567, "788", "en", f"1,234.567{NBSP}TND"),
        (100000, "051", "ru", f"1{NBSP}000,00{NBSP}֏"),
        (2000, "398", "en", f"20.00{NBSP}₸"),
        (2000, "933", "en", f"20.00{NBSP}BYN"),
        (2000, "975", "en", f"20.00{NBSP}BGN"),
        (2000, "170", "en", f"20.00{NBSP}COP"),
        (2000, "012", "en", f"20.00{NBSP}DZD"),
        (2000, "999", "en", f"20.00{NBSP}999"),
        (-150, "840", "en", "-$1.50"),
        (10**13 - 1, "643", "en", f"99,999,999,999.99{NBSP}₽"),
    ],
)
def test_format_amount(amount, currency, lang, expected):
    assert rendering.format_amount(amount, currency, lang) == expected


def test_format_amount_rejects_floats_and_bools():
    with pytest.raises(TypeError):
        rendering.format_amount(20.0, "643", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rendering.format_amount(True, "643", "en")  # type: ignore[arg-type]


def test_format_amount_uses_no_float_arithmetic():
    # 2**53 + 1 is not representable as a float; integer maths keeps the last kopeck
    assert rendering.format_amount(2**53 + 1, "643", "en").startswith("90,071,992,547,409.93")


def test_format_time_left():
    assert rendering.format_time_left(754_000) == "12:34"
    assert rendering.format_time_left(3_723_000) == "1:02:03"
    assert rendering.format_time_left(-5) == "00:00"


# --- strings ----------------------------------------------------------------------------------


def test_strings_fallback_and_parity():
    assert i18n.strings("de") == i18n.strings("en")
    assert i18n.strings(None)["pay_button"] == "Pay {amount}"
    assert i18n.strings("RU")["time_left"] == "Осталось: {time}"
    assert set(i18n.STRINGS["ru"]) == set(i18n.STRINGS["en"])
    for key in i18n.JS_KEYS:
        assert key in i18n.STRINGS["en"]


@pytest.mark.parametrize(
    ("code", "group"),
    [
        (101, "check_data"),
        (116, "check_data"),
        (125, "check_data"),
        (71015, "check_data"),
        (-2013, "check_data"),
        (100, "contact_bank"),
        (103, "contact_bank"),
        (107, "contact_bank"),
        (119, "contact_bank"),
        (121, "contact_bank"),
        (902, "contact_bank"),
        (907, "contact_bank"),
        (913, "contact_bank"),
        (-2011, "contact_bank"),
        (-2016, "contact_bank"),
        (-2019, "contact_bank"),
        (-20010, "contact_bank"),
        (5, "contact_bank"),
        (109, "contact_merchant"),
        (110, "contact_merchant"),
        (208, "contact_merchant"),
        (209, "contact_merchant"),
        (999, "contact_merchant"),
        (2001, "contact_merchant"),
        (2016, "contact_merchant"),
        (-2000, "contact_merchant"),
        (-2003, "contact_merchant"),
        (-2006, "auth_failed"),
        (-1, "no_response"),
        (151018, "no_response"),
        (151019, "no_response"),
        (1001, "no_response"),
        (-2007, "time_expired"),
    ],
)
def test_decline_groups(code, group):
    assert buyer_texts.decline_group(code) == group
    assert buyer_texts.decline_message(code, "en") == buyer_texts.DECLINE_TEXTS["en"][group]
    assert buyer_texts.decline_message(code, "ru") == buyer_texts.DECLINE_TEXTS["ru"][group]


def test_decline_message_texts():
    decline_message = buyer_texts.decline_message
    assert decline_message(116, "en").startswith("Operation declined. Check the entered data")
    assert decline_message(-2007, "ru").startswith("Истёк срок ожидания ввода данных")
    assert decline_message(-2006, "xx") == decline_message(-2006, "en")
    for lang in buyer_texts.LANGUAGES:
        assert tuple(buyer_texts.DECLINE_TEXTS[lang]) == buyer_texts.DECLINE_GROUPS


def test_status_texts_shared_with_the_page():
    """The API's card-payment answers and the page show the very same status texts."""
    for lang in buyer_texts.LANGUAGES:
        for key, text in buyer_texts.STATUS_TEXTS[lang].items():
            assert i18n.strings(lang)[key] == text == buyer_texts.status_text(key, lang)
    assert buyer_texts.status_text("redirecting", "xx") == i18n.strings("en")["redirecting"]


# --- templates --------------------------------------------------------------------------------


def test_every_template_renders(env):
    pages = _all_pages(env)
    assert len(pages) == 2 * (2 + len(KINDS) + 1)
    for name, html in pages:
        lang = name.rsplit("/", 1)[1]
        assert html.lstrip().startswith("<!DOCTYPE html>"), name
        assert f'<html lang="{lang}">' in html, name
        assert '<meta name="referrer" content="no-referrer">' in html, name
        assert 'name="viewport"' in html, name
        assert "/payment/static/payment.css" in html, name
        assert i18n.strings(lang)["footer_note"] in html, name
        assert i18n.strings(lang)["brand_mark"] in html, name


def test_payment_page_content(env):
    html = _render(env, "payment.html", _payment_ctx("en", error="Previous attempt declined"))
    assert "Demo Shop" in html and "Two tickets" in html and "A-1001" in html
    assert f"Pay 20.00{NBSP}₽" in html
    assert "Previous attempt declined" in html
    assert 'src="/payment/static/payment.js"' in html
    assert 'action="/payment/rest/processform.do"' in html
    ru = _render(env, "payment.html", _payment_ctx("ru"))
    assert f"Оплатить 20,00{NBSP}₽" in ru and "Осталось:" in ru
    assert 'hreflang="en"' in ru


def test_payment_config_and_strings_blocks(env):
    import json

    html = _render(env, "payment.html", _payment_ctx("en", now_ms=1_700_000_000_000))
    cfg = json.loads(
        re.search(
            r'<script type="application/json" id="payment-config">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert cfg["orderId"] == "01491d0b-c848-7dd6-a20d-e96900a7d8c0"
    assert cfg["processUrl"] == "/payment/rest/processform.do"
    assert cfg["expiresAtMs"] == 1_700_000_000_000 + 1_200_000
    assert cfg["nowMs"] == 1_700_000_000_000
    assert "Time left: 20:00" in html
    strings = json.loads(
        re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S).group(1)
    )
    assert strings["err_network"] == "Connection problem, try again"
    assert strings["err_pan_incomplete"] == "Card number is incomplete"


def test_autocomplete_attributes(env):
    html = _render(env, "payment.html", _payment_ctx("en"))
    inputs = {a.get("id"): a for tag, a in _tags(html) if tag == "input"}
    assert inputs["pan"]["autocomplete"] == "cc-number"
    assert inputs["pan"]["inputmode"] == "numeric"
    assert inputs["expiry"]["autocomplete"] == "cc-exp"
    assert inputs["cvc"]["autocomplete"] == "cc-csc"
    assert inputs["cvc"]["inputmode"] == "numeric"
    assert inputs["cvc"]["type"] == "password"
    assert inputs["cardholder"]["autocomplete"] == "cc-name"
    assert inputs["email"]["autocomplete"] == "email"


def test_email_field_only_when_not_given(env):
    with_email = _render(
        env, "payment.html", _payment_ctx("en", order=_order("en", email="a@b.example"))
    )
    assert 'id="email"' not in with_email
    assert 'id="email"' in _render(env, "payment.html", _payment_ctx("en"))


def test_every_input_has_label_and_error_link(env):
    for _name, html in _all_pages(env):
        tags = _tags(html)
        ids = {a.get("id") for _, a in tags if a.get("id")}
        labelled = {a.get("for") for tag, a in tags if tag == "label"}
        for tag, a in tags:
            if tag not in ("input", "select", "textarea") or a.get("type") == "hidden":
                continue
            assert a.get("id") in labelled, a
            described = (a.get("aria-describedby") or "").split()
            assert f"{a['id']}-error" in described, a
            assert all(ref in ids for ref in described), a
            assert a.get("aria-invalid") == "false"
        for _tag, a in tags:
            if a.get("class") == "field-error":
                assert a.get("role") == "alert"


def test_no_external_resources(env):
    for name, html in _all_pages(env):
        assert "http://" not in html and "https://" not in html, name
        assert "@import" not in html and "fonts.g" not in html, name
    css = (rendering.STATIC_DIR / "payment.css").read_text("utf-8")
    js = (rendering.STATIC_DIR / "payment.js").read_text("utf-8")
    assert "http://" not in css and "https://" not in css and "url(" not in css
    assert "http://" not in js and "https://" not in js


def test_external_urls_only_in_links(env):
    order = _order("en", back_to_shop_url="https://shop.example/cart", back_to_shop_name="Shop")
    html = _render(env, "payment.html", _payment_ctx("en", order=order))
    for tag, a in _tags(html):
        for attr in ("src", "href"):
            value = a.get(attr) or ""
            if value.startswith(("http://", "https://", "//")):
                assert tag == "a", (tag, a)


def test_malicious_values_are_escaped(env):
    evil = '<script>alert("x")</script>'
    order = _order(
        "en",
        description=evil,
        merchant_name=evil,
        number=evil,
        cardholder_name='"><img src=x onerror=alert(1)>',
    )
    html = _render(env, "payment.html", _payment_ctx("en", order=order, error=evil))
    assert evil not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html
    # inside the JSON config the markup is neutralised by |tojson
    assert "</script><script>" not in html
    res = _render(
        env,
        "result.html",
        {
            "lang": "en",
            "t": i18n.strings("en"),
            "static_url": "/s",
            "kind": "declined",
            "message": evil,
            "order": order,
            "return_url": '"><script>x</script>',
        },
    )
    assert evil not in res and "<script>x</script>" not in res
    fin = _render(
        env,
        "finish.html",
        {
            "lang": "en",
            "t": i18n.strings("en"),
            "static_url": "/s",
            "redirect_url": '"><script>x</script>',
        },
    )
    assert "<script>x</script>" not in fin


@pytest.mark.parametrize("kind", KINDS)
def test_result_kinds(env, kind):
    t = i18n.strings("en")
    html = _render(
        env,
        "result.html",
        {
            "lang": "en",
            "t": t,
            "static_url": "/s",
            "kind": kind,
            "message": "Because",
            "order": None if kind == "not_found" else _order("en"),
            "return_url": "/back",
        },
    )
    assert t[f"result_{kind}_title"] in html
    assert f"result-{kind}" in html
    assert "Because" in html
    assert 'href="/back"' in html and "Return to shop" in html
    no_return = _render(
        env,
        "result.html",
        {"lang": "en", "t": t, "static_url": "/s", "kind": kind, "order": None, "return_url": ""},
    )
    assert "Return to shop" not in no_return


def test_result_titles():
    t = i18n.strings("en")
    assert t["result_paid_title"] == "Order already paid"
    assert t["result_declined_title"] == "Payment declined"
    assert t["result_expired_title"] == "Payment time has expired"
    assert t["result_not_found_title"] == "Order not found"
    assert t["result_processing_title"] == "Payment is being processed"


def test_finish_page(env):
    html = _render(
        env,
        "finish.html",
        {"lang": "ru", "t": i18n.strings("ru"), "static_url": "/s", "redirect_url": "/ok?a=1&b=2"},
    )
    assert "Платёж обработан, возвращаемся в магазин…" in html
    assert 'href="/ok?a=1&amp;b=2"' in html
    assert 'http-equiv="refresh"' in html
