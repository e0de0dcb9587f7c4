"""The payment page with saved cards: each card masked with its expiry, the new-card fields
hidden while one is chosen, "save card" only when offered, the CVC alone for an order
registered with bindingId; in both languages."""

from __future__ import annotations

import re

import pytest

from ecomgate.web.payment_page import i18n, rendering

from .test_payment_page_rendering import _payment_ctx

CARD = {"id": "b-1", "masked_pan": "456396**1999", "expiry": "12/2030", "cvc_length": 3}


@pytest.fixture(scope="module")
def env():  # type: ignore[no-untyped-def]
    return rendering.make_environment()


def _tag(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, pattern
    return match.group(0)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_saved_cards_are_offered_masked_with_expiry_and_new_card_fields_hidden(
    env, lang: str
) -> None:  # type: ignore[no-untyped-def]
    t = i18n.strings(lang)
    html = env.get_template("payment.html").render(
        **_payment_ctx(lang, saved_cards=[CARD], binding_only=False, offer_save=True)
    )
    assert t["saved_cards"] in html
    label = t["saved_card_label"].replace("{pan}", "456396**1999").replace("{expiry}", "12/2030")
    assert label in html
    assert 'value="b-1"' in _tag(html, r'<input type="radio" name="saved-card" value="b-1"[^>]*>')
    assert "checked" in _tag(html, r'<input type="radio" name="saved-card" value="b-1"[^>]*>')
    assert 'id="new-card"' in html and t["new_card"] in html
    for field in ("pan", "expiry", "cardholder"):
        assert " hidden" in _tag(
            html, rf'<div class="field[^"]*new-card-only" data-field="{field}"[^>]*>'
        )
    assert " hidden" in _tag(html, r'<label class="save-card new-card-only"[^>]*>')
    assert t["save_card"] in html
    assert 'id="cvc"' in html


def test_an_order_registered_with_a_binding_offers_no_new_card(env) -> None:  # type: ignore[no-untyped-def]
    html = env.get_template("payment.html").render(
        **_payment_ctx("en", saved_cards=[CARD], binding_only=True, offer_save=False)
    )
    assert 'id="new-card"' not in html and 'id="save-card"' not in html
    assert 'id="cvc"' in html


def test_without_saved_cards_the_page_is_the_plain_card_form(env) -> None:  # type: ignore[no-untyped-def]
    html = env.get_template("payment.html").render(**_payment_ctx("en", offer_save=True))
    assert 'id="saved-cards"' not in html
    assert " hidden" not in _tag(html, r'<div class="field[^"]*" data-field="pan"[^>]*>')
    assert 'id="save-card"' in html
    plain = env.get_template("payment.html").render(**_payment_ctx("en"))
    assert 'id="save-card"' not in plain
