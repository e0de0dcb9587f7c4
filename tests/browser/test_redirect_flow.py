"""The redirect integration end to end (spec §1.2): the demo shop, the hosted payment page,
the emulator's 3-D Secure page, the return to the shop and the status the shop reads.
3-D Secure 2 (frictionless, challenge) and the 3ds1 setting: ``test_three_ds2_flow.py``."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from ecomgate.domain import codes
from ecomgate.testing.demo_flow import (
    LIMIT_CARD,
    THREE_DS1_CARD,
    WRONG_ACS_PASSWORD,
    Demo,
    answer_acs,
    back_at_shop,
    choose_at_shop,
    fill_card,
    order_id_in,
    pay,
    press_pay,
)
from ecomgate.web import buyer_texts
from ecomgate.web.payment_page import i18n

pytestmark = pytest.mark.browser

EN = i18n.strings("en")


def test_a_buyer_pays_a_one_stage_order_and_the_shop_sees_it_paid(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo)
    assert "/payment_en.html" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#summary-amount")).to_have_text("20.00\u00a0₽")

    assert pay(page, demo) == "paid"

    expect(page.locator("#verdict")).to_contain_text("paid")
    expect(page.locator("#masked-pan")).to_have_text("411111**1111")
    assert order_id_in(page.url) == order_id
    status = demo.status(order_id)
    assert status["orderStatus"] == 2
    assert status["actionCode"] == 0
    assert status["cardAuthInfo"]["maskedPan"] == "411111**1111"
    # ... and the shop got the gateway's signed callback, and shows it with the order
    assert demo.callbacks(order_id, 1) == [{"operation": "deposited", "status": "1", "valid": True}]
    page.reload()
    expect(page.locator("#callbacks li")).to_have_text("deposited (status 1) — checksum valid")


def test_a_two_stage_order_ends_held_at_the_shop(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo, reserve=True)

    assert pay(page, demo) == "held"

    expect(page.locator("#masked-pan")).to_have_text("411111**1111")
    status = demo.status(order_id)
    assert status["orderStatus"] == 1
    assert status["paymentAmountInfo"]["paymentState"] == "APPROVED"


def test_a_declined_card_keeps_the_buyer_on_the_form_and_a_good_card_then_pays(
    page: Page, demo: Demo
) -> None:
    order_id = choose_at_shop(page, demo)
    payment_url = page.url

    fill_card(page, LIMIT_CARD)
    press_pay(page)

    alert = page.locator("#form-alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(buyer_texts.decline_message(-20010, "en"))
    assert page.url == payment_url
    expect(page.locator("#pay-button")).to_be_enabled()
    expect(page.locator("#cvc")).to_have_value("")  # cleared for the next attempt
    assert demo.status(order_id)["orderStatus"] == 0  # the merchant allows 3 attempts

    assert pay(page, demo) == "paid"  # the second attempt, with a good card
    assert demo.status(order_id)["orderStatus"] == 2


def test_a_wrong_3ds_password_declines_until_the_attempts_run_out(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo)
    auth_failed = buyer_texts.decline_message(codes.THREE_DS_REJECTED, "en")

    for attempt in (1, 2):  # the demo merchant allows three attempts
        fill_card(page, THREE_DS1_CARD)
        press_pay(page)
        answer_acs(page, WRONG_ACS_PASSWORD)
        page.wait_for_url(f"**/payment_en.html?mdOrder={order_id}")
        expect(page.locator("#form-alert")).to_have_text(auth_failed)
        assert demo.status(order_id)["orderStatus"] == 0, f"after attempt {attempt}"

    fill_card(page, THREE_DS1_CARD)
    press_pay(page)
    answer_acs(page, WRONG_ACS_PASSWORD)

    assert back_at_shop(page, demo) == "declined"
    assert page.url.startswith(f"{demo.shop_url}/return?failed=1&orderId={order_id}")
    status = demo.status(order_id)
    assert status["orderStatus"] == 6
    assert status["actionCode"] == codes.THREE_DS_REJECTED
    expect(page.locator("#order-status")).to_have_text("6")


def test_an_order_opened_after_its_lifetime_shows_the_expired_page(page: Page, demo: Demo) -> None:
    registered = demo.register(sessionTimeoutSecs=1, description="expires at once")
    time.sleep(1.5)

    page.goto(registered["formUrl"])

    expect(page.locator(".result-expired")).to_be_visible()
    expect(page.locator("#result-title")).to_have_text(EN["result_expired_title"])
    expect(page.locator("#pay-form")).to_have_count(0)
    status = demo.status(registered["orderId"])
    assert status["orderStatus"] == 6
    assert status["actionCode"] == codes.ORDER_EXPIRED
