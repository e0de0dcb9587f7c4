"""The hosted payment page as a buyer meets it: in Russian, on a small phone, with the
keyboard alone, and with a mistyped card number."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from ecomgate.testing.demo_flow import (
    ACS2_PAGE,
    ACS_OTP,
    ACS_PAGE,
    EXPIRY,
    MASTERCARD,
    MOBILE,
    THREE_DS1_CARD,
    Demo,
    answer_acs,
    answer_challenge,
    back_at_shop,
    choose_at_shop,
    fill_card,
    order_id_in,
    press_pay,
)
from ecomgate.web.payment_page import i18n

pytestmark = pytest.mark.browser

EN = i18n.strings("en")
RU = i18n.strings("ru")
NBSP = "\u00a0"  # the amount never wraps between the number and the currency sign


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def focused_id(page: Page) -> str:
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement;"
            " return e ? (e.id || e.tagName.toLowerCase() + '.' + e.className) : ''; })()"
        )
    )


def test_the_russian_page_has_russian_labels_and_a_russian_amount(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo, language="ru")

    assert "/payment_ru.html" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("label[for=pan]")).to_have_text(RU["card_number"])
    expect(page.locator("label[for=expiry]")).to_have_text(RU["expiry"])
    expect(page.locator("label[for=cardholder]")).to_have_text(RU["cardholder"])
    expect(page.locator("#summary-amount")).to_have_text(f"20,00{NBSP}₽")
    expect(page.locator("#pay-label")).to_have_text(f"Оплатить 20,00{NBSP}₽")

    fill_card(page, MASTERCARD)  # a 3-D Secure 2 challenge: the issuer's page in Russian
    press_pay(page)
    page.wait_for_url(ACS2_PAGE)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Подтверждение покупки")
    expect(page.locator("label[for=otp]")).to_have_text("Одноразовый код")
    expect(page.locator("dl")).to_contain_text("Demo tea shop")
    expect(page.locator("dl")).to_contain_text("20,00 RUB")
    expect(page.locator("dl")).to_contain_text("5555 55** **** 5599")
    answer_challenge(page)

    assert back_at_shop(page, demo) == "paid"
    assert order_id_in(page.url) == order_id
    assert "lang=ru" in page.url


def test_the_language_links_switch_the_same_order_between_english_and_russian(
    page: Page, demo: Demo
) -> None:
    order_id = choose_at_shop(page, demo, language="en")
    expect(page.locator("label[for=pan]")).to_have_text(EN["card_number"])

    page.click("a.lang-link[hreflang=ru]")

    page.wait_for_url(f"**/payment_ru.html?mdOrder={order_id}")
    expect(page.locator("label[for=pan]")).to_have_text(RU["card_number"])
    expect(page.locator("#summary-amount")).to_have_text(f"20,00{NBSP}₽")
    expect(page.locator(".lang-current")).to_have_text("RU")

    page.click("a.lang-link[hreflang=en]")

    page.wait_for_url(f"**/payment_en.html?mdOrder={order_id}")
    expect(page.locator("#summary-amount")).to_have_text(f"20.00{NBSP}₽")


def test_on_a_360_px_phone_nothing_scrolls_sideways_and_the_flow_works_by_touch(
    new_page: Callable[..., Page], demo: Demo
) -> None:
    page = new_page(MOBILE, is_mobile=True, has_touch=True)

    order_id = choose_at_shop(page, demo)
    assert page.evaluate("window.innerWidth") == 360
    assert horizontal_overflow(page) == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    fill_card(page, THREE_DS1_CARD)
    button = page.locator("#pay-button")
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    expect(button).to_be_enabled()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["height"] >= 44  # a comfortable touch target
    assert horizontal_overflow(page) == 0  # brand badge and errors did not widen the page

    button.tap()

    page.wait_for_url(ACS_PAGE)
    assert horizontal_overflow(page) == 0
    answer_acs(page)
    assert back_at_shop(page, demo) == "paid"
    assert horizontal_overflow(page) == 0
    assert demo.status(order_id)["orderStatus"] == 2


def test_tab_moves_through_card_number_expiry_cvc_name_and_pay_in_order(
    page: Page, demo: Demo
) -> None:
    choose_at_shop(page, demo)

    stops: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        stops.append(focused_id(page))
        if stops[-1] == "pay-button":
            break

    assert "pan" in stops, stops
    from_card_number = stops[stops.index("pan") :]
    # the receipt email (optional) sits between the name and the button
    assert from_card_number == ["pan", "expiry", "cvc", "cardholder", "email", "pay-button"]


def test_the_form_can_be_filled_and_submitted_with_the_keyboard_alone(
    page: Page, demo: Demo
) -> None:
    choose_at_shop(page, demo)
    while focused_id(page) != "pan":
        page.keyboard.press("Tab")

    page.keyboard.type(MASTERCARD.replace(" ", ""))
    expect(page.locator("#pan")).to_have_value(MASTERCARD)
    expect(page.locator("#expiry")).to_be_focused()  # a complete valid 16-digit number moves on
    page.keyboard.type(EXPIRY.replace("/", ""))
    expect(page.locator("#expiry")).to_have_value(EXPIRY)
    expect(page.locator("#cvc")).to_be_focused()
    page.keyboard.type("123")
    page.keyboard.press("Tab")
    page.keyboard.type("test cardholder")
    expect(page.locator("#cardholder")).to_have_value("TEST CARDHOLDER")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#pay-button")).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(ACS2_PAGE)  # the 3-D Secure 2 challenge
    expect(page.locator("#otp")).to_be_focused()  # autofocus on the ACS page
    page.keyboard.type(ACS_OTP)
    page.keyboard.press("Enter")

    assert back_at_shop(page, demo) == "paid"


def test_a_number_failing_the_luhn_check_is_flagged_inline_and_nothing_is_sent(
    page: Page, demo: Demo
) -> None:
    order_id = choose_at_shop(page, demo)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if request.method == "POST" else None)

    fill_card(page, "4111 1111 1111 1112")
    pan_error = page.locator("#pan-error")
    expect(pan_error).to_have_text(EN["err_pan_invalid"])  # shown on leaving the field
    press_pay(page)

    expect(pan_error).to_be_visible()
    expect(pan_error).to_have_text(EN["err_pan_invalid"])
    expect(page.locator("#pan")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pan")).to_be_focused()
    expect(page.locator("#form-alert")).to_be_hidden()
    page.wait_for_timeout(300)  # a request, had one been sent, would have started by now
    assert [request.url for request in sent] == []
    assert "/payment_en.html" in page.url
    assert demo.status(order_id)["orderStatus"] == 0
