"""Saved cards on the hosted page: a first payment with ``clientId`` offers "save card"
(ticked), the next order of that client offers the saved card (masked, with expiry), and an
order registered with ``bindingId`` asks for nothing but that card's CVC.  Unticking "save
card" stores nothing.  Runs against ``ecomgate demo``, whose sandbox generated its own
vault key (no ECOMGATE_VAULT_KEYS)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from ecomgate.testing.demo_flow import EXPIRY, Demo, fill_card, press_pay
from ecomgate.web.payment_page import i18n

pytestmark = pytest.mark.browser

EN = i18n.strings("en")
RU = i18n.strings("ru")
PAN, CVC = "4563960122001999", "347"  # approved without 3-D Secure


class Shop:
    """A merchant with the ``bindings`` permission in the demo's database."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.login = f"saved-{secrets.token_hex(4)}-api"
        self.password = secrets.token_urlsafe(12)
        env = {**os.environ, "ECOMGATE_DATA_DIR": str(demo.log_path.parent)}
        env.pop("ECOMGATE_DATABASE_URL", None)
        subprocess.run(
            [
                sys.executable, "-m", "ecomgate.cli", "merchant", "create",
                "--login", self.login, "--password", self.password,
                "--permission", "card-payment-api", "--permission", "bindings",
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip

    def api(self, method: str, **params: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.demo.gateway_url}/payment/rest/{method}.do",
            data={"userName": self.login, "password": self.password, **params},
            timeout=30,
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    def register(self, **params: Any) -> dict[str, Any]:
        body = self.api(
            "register",
            amount=2000,
            returnUrl=f"{self.demo.shop_url}/?paid",
            language=params.pop("language", "en"),
            **params,
        )
        assert "formUrl" in body, body
        return body


@pytest.fixture(scope="module")
def shop(demo: Demo) -> Shop:
    return Shop(demo)


def paid_back(page: Page, shop: Shop, order_id: str) -> dict[str, Any]:
    page.wait_for_url(f"{shop.demo.shop_url}/?paid*")
    return shop.api("getOrderStatusExtended", orderId=order_id)


def test_save_a_card_then_pay_with_its_cvc_only(page: Page, shop: Shop) -> None:
    client = f"buyer-{uuid.uuid4().hex[:8]}"
    first = shop.register(clientId=client)
    page.goto(first["formUrl"])
    expect(page.locator("#saved-cards")).to_have_count(0)
    expect(page.locator("#save-card")).to_be_checked()
    expect(page.locator("label.save-card")).to_contain_text(EN["save_card"])
    fill_card(page, PAN, cvc=CVC)
    press_pay(page)
    status = paid_back(page, shop, first["orderId"])
    assert status["orderStatus"] == 2
    binding_id = status["bindingInfo"]["bindingId"]
    month, year = EXPIRY.split("/")
    label = f"456396**1999, expires {month}/20{year}"

    # the client's next order offers the saved card, and a new one
    second = shop.register(clientId=client)
    page.goto(second["formUrl"])
    saved = page.locator(f"input[name=saved-card][value='{binding_id}']")
    expect(saved).to_be_checked()
    expect(page.locator("#saved-cards")).to_contain_text(label)
    expect(page.locator("#pan")).to_be_hidden()
    page.check("#new-card")
    expect(page.locator("#pan")).to_be_visible()
    expect(page.locator("#save-card")).to_be_visible()
    saved.check()
    expect(page.locator("#pan")).to_be_hidden()
    expect(page.locator("#cvc-hint")).to_have_text(
        EN["saved_card_cvc"].replace("{pan}", "456396**1999")
    )

    # register.do with bindingId: the CVC of that card is all the page asks
    third = shop.register(clientId=client, bindingId=binding_id)
    page.goto(third["formUrl"])
    expect(page.locator("#new-card")).to_have_count(0)
    for hidden in ("#pan", "#expiry", "#cardholder"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#cvc")).to_be_visible()
    expect(page.locator("#saved-cards")).to_contain_text(label)
    page.fill("#cvc", CVC)
    press_pay(page)
    status = paid_back(page, shop, third["orderId"])
    assert status["orderStatus"] == 2
    assert status["paymentWay"] == "CARD_BINDING"
    assert status["bindingInfo"] == {"clientId": client, "bindingId": binding_id}

    # in Russian too
    fourth = shop.register(clientId=client, bindingId=binding_id, language="ru")
    page.goto(fourth["formUrl"])
    expect(page.locator("#saved-cards-title")).to_have_text(RU["saved_cards"])
    expect(page.locator("#saved-cards")).to_contain_text(
        f"456396**1999, действует до {month}/20{year}"
    )


def test_unticked_save_card_stores_nothing(page: Page, shop: Shop) -> None:
    client = f"buyer-{uuid.uuid4().hex[:8]}"
    order = shop.register(clientId=client)
    page.goto(order["formUrl"])
    fill_card(page, PAN, cvc=CVC)
    page.uncheck("#save-card")
    press_pay(page)
    status = paid_back(page, shop, order["orderId"])
    assert status["orderStatus"] == 2
    assert "bindingId" not in status["bindingInfo"]
    assert shop.api("getBindings", clientId=client)["errorCode"] == "2"
