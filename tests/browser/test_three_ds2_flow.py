"""3-D Secure on the hosted page, both versions, through the demo shop: the page runs the
3DS2 method step in a hidden frame, continues, shows the issuer's challenge when there is
one, and the buyer ends on the shop's returnUrl (or failUrl) — the redirect integration is
the same as without 3-D Secure.  With the merchant's ``three_ds_protocol=3ds1`` the same
card gets the 3DS1 password page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ecomgate.domain import codes
from ecomgate.testing.demo_flow import (
    ACS2_PAGE,
    GOOD_CARD,
    MASTERCARD,
    WRONG_ACS_OTP,
    Demo,
    answer_acs,
    answer_challenge,
    back_at_shop,
    choose_at_shop,
    fill_card,
    order_id_in,
    press_pay,
)
from ecomgate.web import buyer_texts

pytestmark = pytest.mark.browser

METHOD_PAGE = "**/acs/emulator/3ds2/method"


def secure_auth(demo: Demo, order_id: str) -> dict[str, object]:
    info: dict[str, object] = demo.status(order_id)["cardAuthInfo"]["secureAuthInfo"]
    return info


def test_a_3ds2_frictionless_card_pays_after_the_hidden_method_step(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo)
    fill_card(page, GOOD_CARD)
    with page.expect_request(METHOD_PAGE) as method:
        press_pay(page)
    assert method.value.method == "POST"
    assert back_at_shop(page, demo) == "paid"
    assert order_id_in(page.url) == order_id
    status = demo.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(demo, order_id)
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("05", "2.2.0")


def test_a_3ds2_challenge_with_the_right_code_pays_the_order(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo)
    fill_card(page, MASTERCARD)
    press_pay(page)

    page.wait_for_url(ACS2_PAGE)
    details = page.locator("dl")
    expect(details).to_contain_text("Demo tea shop")
    expect(details).to_contain_text("20.00 RUB")
    expect(details).to_contain_text("5555 55** **** 5599")
    expect(page.locator("label[for=otp]")).to_have_text("One-time code")
    assert "5555555555555599" not in page.content()
    answer_challenge(page)

    assert back_at_shop(page, demo) == "paid"
    status = demo.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(demo, order_id)
    assert secure["eci"] == "02"
    assert secure["threeDSInfo"]["transStatus"] == "Y"  # type: ignore[index]


def test_a_two_stage_order_through_a_3ds2_challenge_ends_held(page: Page, demo: Demo) -> None:
    order_id = choose_at_shop(page, demo, reserve=True)
    fill_card(page, MASTERCARD)
    press_pay(page)
    answer_challenge(page)
    assert back_at_shop(page, demo) == "held"
    assert demo.status(order_id)["orderStatus"] == 1


def test_a_wrong_one_time_code_declines_until_the_attempts_run_out_then_the_fail_url(
    page: Page, demo: Demo
) -> None:
    order_id = choose_at_shop(page, demo)
    auth_failed = buyer_texts.decline_message(codes.THREE_DS_REJECTED, "en")
    for attempt in (1, 2):  # the demo merchant allows three attempts
        fill_card(page, MASTERCARD)
        press_pay(page)
        answer_challenge(page, WRONG_ACS_OTP)
        page.wait_for_url(f"**/payment_en.html?mdOrder={order_id}")
        expect(page.locator("#form-alert")).to_have_text(auth_failed)
        assert demo.status(order_id)["orderStatus"] == 0, f"after attempt {attempt}"

    fill_card(page, MASTERCARD)
    press_pay(page)
    answer_challenge(page, WRONG_ACS_OTP)

    assert back_at_shop(page, demo) == "declined"
    assert page.url.startswith(f"{demo.shop_url}/return?failed=1&orderId={order_id}")
    status = demo.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (6, codes.THREE_DS_REJECTED)
    assert secure_auth(demo, order_id)["threeDSInfo"]["transStatus"] == "N"  # type: ignore[index]


@pytest.fixture
def speaking_3ds1(demo: Demo) -> Iterator[None]:
    """The demo merchant's issuers speak 3-D Secure 1 for the test, then its default again."""
    demo.set_merchant_setting("three_ds_protocol", "3ds1")
    try:
        yield
    finally:
        demo.set_merchant_setting("three_ds_protocol", "")


@pytest.mark.usefixtures("speaking_3ds1")
def test_with_the_3ds1_setting_a_card_enrolled_in_both_gets_the_password_page(
    page: Page, demo: Demo
) -> None:
    order_id = choose_at_shop(page, demo)
    fill_card(page, MASTERCARD)
    press_pay(page)
    answer_acs(page)  # the 3DS1 page, password 12345678
    assert back_at_shop(page, demo) == "paid"
    status = demo.status(order_id)
    assert (status["orderStatus"], status["actionCode"]) == (2, 0)
    secure = secure_auth(demo, order_id)
    assert (secure["eci"], secure["threeDSProtocolVersion"]) == ("02", "1.0.2")
