"""The back office in headless Chromium against a real ``ecomgate serve`` (sandbox mode,
so callbacks may go to a receiver on 127.0.0.1), on SQLite and on PostgreSQL.

Set-up goes the way an operator and a shop go: the CLI for merchants and users, the API
over HTTP for orders and payments, the sandbox clock to make them yesterday's.  With
``ECOMGATE_SCREENSHOTS=1`` the SQLite run also saves each screen under
``docs/screenshots/dashboard-*.png`` (``scripts/dashboard-screenshots.sh``).
"""

from __future__ import annotations

import concurrent.futures
import csv
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from ecomgate.testing.buyer import card_fields
from ecomgate.testing.demo_flow import DESKTOP, MOBILE
from ecomgate.testing.postgres import drop_pg_database
from ecomgate.testing.processes import start_gateway

from ..conftest import fresh_database
from ..support import run_cli
from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser
T = TypeVar("T")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "dashboard-pass-1"
#: approved without 3-D Secure (the emulator's card table)
CARD_3333 = ("4444555511113333", "123")
CARD_1999 = ("4563960122001999", "347")
FUTURE_YEAR = str(datetime.now(UTC).year + 3)
NBSP = "\u00a0"


class Receiver:
    """A shop's callback endpoint on 127.0.0.1: answers 200 and remembers each query."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                with receiver.arrived:
                    receiver.received.append(query)
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, order_id: str, operation: str, timeout: float = 15) -> dict[str, str]:
        def found() -> dict[str, str] | None:
            for q in self.received:
                if q.get("mdOrder") == order_id and q.get("operation") == operation:
                    return q
            return None

        with self.arrived:
            self.arrived.wait_for(lambda: found() is not None, timeout=timeout)
            hit = found()
        assert hit is not None, f"no {operation} callback for {order_id}: {self.received}"
        return hit

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Shop:
    login: str
    password: str

    @property
    def auth(self) -> dict[str, str]:
        return {"userName": self.login, "password": self.password}


@dataclass
class Site:
    """The gateway under test and what a test sets up on it."""

    base_url: str
    database_url: str
    engine: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def cli(self, *args: str) -> str:
        done = run_cli(self.database_url, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def merchant(self, *, callback_url: str = "") -> Shop:
        shop = Shop(f"shop-{secrets.token_hex(4)}", secrets.token_urlsafe(12))
        self.cli(
            "merchant", "create", "--login", shop.login, "--password", shop.password,
            "--permission", "card-payment-api",
        )  # fmt: skip
        settings = ["--set", "language=en"]
        if callback_url:
            settings += ["--set", f"callback_url={callback_url}"]
        self.cli("merchant", "update", shop.login, *settings)
        return shop

    def user(self, shop: Shop, role: str) -> str:
        email = f"{role}-{secrets.token_hex(4)}@shop.test"
        self.cli(
            "merchant", "user", "add", shop.login, "--email", email,
            "--password", PASSWORD, "--role", role,
        )  # fmt: skip
        return email

    def api(self, method: str, shop: Shop, **params: Any) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base_url}/payment/rest/{method}.do", data={**shop.auth, **params}
        )
        body: dict[str, Any] = response.json()
        return body

    def paid_order(self, shop: Shop, card: tuple[str, str], amount: int = 2000) -> dict[str, Any]:
        registered = self.api(
            "register", shop, amount=amount, returnUrl="https://shop.example/ok", language="en"
        )
        pan, cvc = card
        paid = self.api(
            "paymentorder",
            shop,
            MDORDER=registered["orderId"],
            **card_fields(pan, cvc, FUTURE_YEAR, "12", "TEST CARDHOLDER"),
        )
        assert paid["errorCode"] == "0", paid
        return self.api("getOrderStatusExtended", shop, orderId=registered["orderId"])

    def advance_clock(self, shop: Shop, days: int) -> None:
        response = self.http.post(
            f"{self.base_url}/sandbox/clock/advance", data={**shop.auth, "seconds": days * 86400}
        )
        assert response.json()["errorCode"] == "0", response.text


def off_the_loop(work: Callable[..., T], *args: Any) -> T:
    """``work`` in a thread of its own: once Playwright's sync API runs, this thread has a
    running event loop, and the PostgreSQL helpers' ``asyncio.run`` would refuse it."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args).result()


@pytest.fixture(scope="module")
def site(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp(f"dashboard-{engine}")
    url = off_the_loop(fresh_database, engine, str(workdir))
    gateway = start_gateway(url, workdir, extra_env={"ECOMGATE_SANDBOX": "1"})
    running = Site(gateway.base_url, url, engine)
    try:
        yield running
    finally:
        running.http.close()
        gateway.stop()
        if engine == "postgresql":
            off_the_loop(drop_pg_database, url)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, locale="en-US", accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, site: Site, name: str) -> None:
    """Save the screen for docs/dashboard.md (on request, from one engine's run)."""
    if os.environ.get("ECOMGATE_SCREENSHOTS") and site.engine == "sqlite":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)


def sign_in(page: Page, site: Site, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{site.base_url}/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def utc_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def csrf_of(page: Page) -> str:
    return str(page.locator("input[name=csrf]").first.get_attribute("value"))


def reload_until(page: Page, selector: str, text: str, timeout: float = 15) -> None:
    """Reload until ``selector`` shows ``text`` (the dispatcher writes what it did a
    moment after the shop answered); bounded."""
    deadline = time.monotonic() + timeout
    while text not in page.locator(selector).all_inner_texts():
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        page.wait_for_timeout(200)
        page.reload()


def test_a_manager_finds_yesterdays_order_by_card_refunds_part_and_exports_it(
    site: Site, receiver: Receiver, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    shop = site.merchant(callback_url=receiver.url)
    manager = site.user(shop, "manager")
    wanted = site.paid_order(shop, CARD_3333)
    site.paid_order(shop, CARD_1999)  # yesterday too, another card
    site.advance_clock(shop, days=1)  # the shop's orders so far are yesterday's now
    today = site.paid_order(shop, CARD_3333)  # today, the same card
    status = site.api("getOrderStatusExtended", shop, orderNumber=wanted["orderNumber"])
    yesterday = utc_day(int(status["date"]))
    order_id = status["attributes"][0]["value"]
    assert (
        utc_day(
            int(site.api("getOrderStatusExtended", shop, orderNumber=today["orderNumber"])["date"])
        )
        != yesterday
    )

    page = new_page()
    sign_in(page, site, manager)
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    page.get_by_label("Card last 4 digits").fill("3333")
    page.get_by_label("Created from").fill(yesterday)
    page.get_by_label("Created to (inclusive)").fill(yesterday)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(wanted["orderNumber"])
    expect(rows.first).to_contain_text("444455**3333")
    shot(page, site, "orders")

    rows.first.get_by_role("link").click()
    expect(page.locator("#order-status")).to_have_text("Paid")
    page.get_by_label("Amount").last.fill("5.00")
    page.locator("#action-refund").click()
    expect(page.locator("#question")).to_have_text(
        f"Refund 5.00{NBSP}₽ on order {wanted['orderNumber']}?"
    )
    shot(page, site, "confirm")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#notice")).to_have_text("Done: Refund.")
    expect(page.locator("#order-status")).to_have_text("Refunded")
    expect(page.locator("#refunded-amount")).to_have_text(f"5.00{NBSP}₽")
    expect(page.locator("#deposited-amount")).to_have_text(f"15.00{NBSP}₽")
    expect(page.locator("#timeline li").last).to_contain_text(f"Refund 5.00{NBSP}₽ — approved")

    # the refund's callback reaches the shop, and its delivery shows on the page
    receiver.wait_for(order_id, "refunded")
    refunded = "#h-callbacks ~ .callback:has-text('refunded') .delivery-state"
    reload_until(page, refunded, "delivered")
    expect(page.locator("#h-callbacks ~ .callback:has-text('refunded') table")).to_contain_text(
        "200"
    )
    shot(page, site, "order")

    page.goto(f"{site.base_url}/dashboard/orders?last4=3333&from={yesterday}&to={yesterday}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "orders.csv"
    download.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    assert [line["orderId"] for line in lines] == [order_id]
    assert lines[0]["orderNumber"] == wanted["orderNumber"]
    assert (lines[0]["amount"], lines[0]["refundedAmount"], lines[0]["depositedAmount"]) == (
        "20.00",
        "5.00",
        "15.00",
    )
    assert lines[0]["maskedPan"] == "444455**3333"

    page.get_by_role("link", name="Money at a glance").click()
    page.get_by_role("link", name="7 days").click()
    expect(page.locator("svg.chart rect.bar")).to_have_count(7)
    expect(page.locator("#total-paid")).to_have_text("3")
    expect(page.locator("#total-turnover")).to_have_text(f"60.00{NBSP}₽")
    expect(page.locator("table.days tbody tr").nth(1)).to_contain_text(yesterday)
    shot(page, site, "overview")


def test_a_viewer_sees_the_order_but_cannot_act_on_it_even_on_a_phone(
    site: Site, new_page: Callable[..., Page]
) -> None:
    shop = site.merchant()
    viewer = site.user(shop, "viewer")
    paid = site.paid_order(shop, CARD_3333)
    order_id = site.api("getOrderStatusExtended", shop, orderNumber=paid["orderNumber"])[
        "attributes"
    ][0]["value"]

    page = new_page(MOBILE)
    sign_in(page, site, viewer)
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    page.locator("a.order-link").click()
    expect(page.locator("#viewer-note")).to_have_text("You may look but not act: ask a manager.")
    expect(page.locator("form.action")).to_have_count(0)
    expect(page.get_by_role("button", name="Re-send")).to_have_count(0)
    shot(page, site, "viewer-phone")

    # not through the confirmation page, nor by posting the form with a valid token
    confirm = page.request.get(f"{site.base_url}/dashboard/orders/{order_id}/refund?amount=1.00")
    assert confirm.status == 403
    posted = page.request.post(
        f"{site.base_url}/dashboard/orders/{order_id}/refund",
        form={"csrf": csrf_of(page), "amount": "1.00"},
    )
    assert posted.status == 403
    assert "You may not do this." in posted.text()
    assert site.api("getOrderStatusExtended", shop, orderId=order_id)["orderStatus"] == 2


def test_a_merchant_user_never_sees_another_merchants_orders(
    site: Site, new_page: Callable[..., Page]
) -> None:
    mine, theirs = site.merchant(), site.merchant()
    manager = site.user(mine, "manager")
    own = site.paid_order(mine, CARD_3333)
    foreign = site.paid_order(theirs, CARD_3333)
    foreign_id = site.api("getOrderStatusExtended", theirs, orderNumber=foreign["orderNumber"])[
        "attributes"
    ][0]["value"]

    page = new_page()
    sign_in(page, site, manager)
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    expect(page.locator("table.orders")).to_contain_text(own["orderNumber"])

    opened = page.goto(f"{site.base_url}/dashboard/orders/{foreign_id}")
    assert opened is not None and opened.status == 404
    expect(page.locator("#problem")).to_have_text("Not found.")
    refund = page.goto(f"{site.base_url}/dashboard/orders/{foreign_id}/refund?amount=1.00")
    assert refund is not None and refund.status == 404

    page.goto(f"{site.base_url}/dashboard/orders?orderId={foreign_id}")
    expect(page.locator(".empty")).to_have_text("No orders match.")
    for query in (f"orderId={foreign_id}", f"orderNumber={foreign['orderNumber']}", "last4=3333"):
        exported = page.request.get(f"{site.base_url}/dashboard/orders.csv?{query}")
        assert exported.status == 200
        assert foreign_id not in exported.text()
    everything = page.request.get(f"{site.base_url}/dashboard/orders.csv").text()
    assert own["orderNumber"] in everything and foreign["orderNumber"] not in everything


def test_a_form_without_its_token_is_refused_and_guessing_locks_the_account(
    site: Site, new_page: Callable[..., Page]
) -> None:
    shop = site.merchant()
    manager = site.user(shop, "manager")
    page = new_page()

    # another site's form posting to the sign-in has no token
    forged = page.request.post(
        f"{site.base_url}/dashboard/login", form={"email": manager, "password": PASSWORD}
    )
    assert forged.status == 403
    sign_in(page, site, manager)
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    forged_logout = page.request.post(f"{site.base_url}/dashboard/logout", form={"csrf": "x"})
    assert forged_logout.status == 403
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # with the keyboard alone: type, Tab, type, Enter
    for _ in range(5):
        page.get_by_label("Email").fill(manager)
        page.keyboard.press("Tab")
        page.keyboard.type("not-the-password")
        page.keyboard.press("Enter")
        expect(page.locator("#problem")).to_have_text("Wrong email or password")
    sign_in(page, site, manager)
    expect(page.locator("#problem")).to_have_text("Too many failed attempts: try again in 30 s")
    shot(page, site, "locked")
    assert page.request.get(f"{site.base_url}/dashboard/orders").url.endswith(
        "/dashboard/login?next=/dashboard/orders"
    )


def test_an_operator_creates_a_merchant_sets_its_callback_url_and_its_api_works(
    site: Site, new_page: Callable[..., Page]
) -> None:
    operator = f"op-{secrets.token_hex(4)}@gateway.test"
    site.cli("operator", "add", "--email", operator, "--password", PASSWORD)
    login, password = f"new-{secrets.token_hex(4)}", "merchant-pass"

    page = new_page()
    sign_in(page, site, operator)
    expect(page.get_by_role("heading", name="Merchants")).to_be_visible()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Name").fill("New Shop")
    page.get_by_role("button", name="Create").first.click()
    expect(page.locator("#notice")).to_have_text(f"Merchant {login} created.")
    page.get_by_label("callback_url").fill("https://shop.example/callback")
    page.locator("#save-settings").click()
    expect(page.locator("#notice")).to_have_text("Saved.")
    expect(page.get_by_label("callback_url")).to_have_value("https://shop.example/callback")
    shot(page, site, "console-merchant")

    # the merchant's API credentials work at once
    created = Shop(login, password)
    registered = site.api("register", created, amount=1000, returnUrl="https://shop.example/ok")
    assert "orderId" in registered, registered

    # it sees the order read-only, then acts as the merchant: both audited
    page.locator("#view-orders").click()
    expect(page.locator(".banner")).to_contain_text(f"Viewing {login} read-only.")
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Back to the console").click()
    page.get_by_role("link", name=login).click()
    page.locator("#act-as").click()
    expect(page.locator(".banner")).to_contain_text(f"Acting as {login}")
    page.locator("a.order-link").click()
    expect(page.locator("#action-decline")).to_be_visible()
    page.get_by_role("button", name="Back to the console").click()
    shot(page, site, "console")

    page.get_by_role("link", name="Audit trail").click()
    trail = page.locator("table.audit tbody")
    for action in ("create_merchant", "change_settings", "view_merchant", "act_as_merchant"):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text(operator)
    expect(trail).to_contain_text("cli:")  # the operator's own creation, from the CLI
    shot(page, site, "audit")

    # and in Russian
    page.goto(f"{site.base_url}/dashboard/console?lang=ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Магазины")).to_be_visible()
