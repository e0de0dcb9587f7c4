"""The redirect integration as a buyer walks it: the demo process, the browser, the steps.

Shared by the browser tests (``tests/browser``) and ``scripts/screenshots.py``; nothing here
depends on pytest (Playwright comes with the ``dev`` extra).  ``ecomgate demo`` runs the gateway and the demo shop in one process; the
steps below drive Debian's Chromium through Playwright's sync API.
"""

from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, Playwright, expect

from ecomgate.cli import DEMO_LOGIN, DEMO_PASSWORD

from .processes import Startup, stop_process

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 360, "height": 760}

GOOD_CARD = "4111 1111 1111 1111"  # 3-D Secure 2 frictionless (3DS1 setting: password)
#: 3-D Secure 2 challenge, one-time code ``ACS_OTP`` (3DS1 setting: password); 16 digits
MASTERCARD = "5555 5555 5555 5599"
THREE_DS1_CARD = "4012 0010 3816 6662"  # 3-D Secure 1 only: the password page
LIMIT_CARD = "4444 4444 4444 6666"  # declined by the issuer: blocked by limit (-20010)
CVC = "123"
CARDHOLDER = "TEST CARDHOLDER"
ACS_PASSWORD = "12345678"
WRONG_ACS_PASSWORD = "00000000"
ACS_OTP = "123456"
WRONG_ACS_OTP = "000000"
#: December, three years ahead: always in the future, never too far
EXPIRY = f"12/{(datetime.date.today().year + 3) % 100:02d}"

PAYMENT_PAGE = "**/payment/merchants/*/payment_*.html?mdOrder=*"
ACS_PAGE = "**/acs/emulator/challenge"
ACS2_PAGE = "**/acs/emulator/3ds2/challenge"


@dataclass
class Demo:
    """A running ``ecomgate demo``: the gateway at ``gateway_url``, the shop at ``shop_url``."""

    gateway_url: str
    shop_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def api(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``<gateway>/payment/rest/<method>.do`` as the demo shop's server does."""
        response = httpx.post(
            f"{self.gateway_url}/payment/rest/{method}.do",
            data={"userName": DEMO_LOGIN, "password": DEMO_PASSWORD, **params},
            timeout=15,
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def status(self, order_id: str) -> dict[str, Any]:
        return self.api("getOrderStatusExtended", orderId=order_id, language="en")

    def register(self, **params: Any) -> dict[str, Any]:
        params.setdefault("amount", 2000)
        params.setdefault("returnUrl", f"{self.shop_url}/return")
        params.setdefault("language", "en")
        body = self.api("register", **params)
        assert "formUrl" in body, body
        return body

    def callbacks(self, order_id: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The callbacks the demo shop received for the order, once ``count`` have come
        (the gateway's dispatcher sends them within its poll interval); bounded."""
        deadline = time.monotonic() + timeout
        while True:
            got: list[dict[str, Any]] = httpx.get(
                f"{self.shop_url}/callbacks/{order_id}", timeout=5
            ).json()
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} callback(s) for {order_id}: got {got}")
            time.sleep(0.05)

    def set_merchant_setting(self, name: str, value: str) -> None:
        """``ecomgate merchant update`` of the demo merchant, on the demo's database (read
        again by every payment, so it applies at once)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMGATE_")}
        subprocess.run(
            [
                sys.executable, "-m", "ecomgate.cli", "merchant", "update", DEMO_LOGIN,
                "--set", f"{name}={value}",
            ],
            env={**env, "ECOMGATE_DATA_DIR": str(self.log_path.parent)},
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


def start_demo(workdir: Path) -> Demo:
    """``python -m ecomgate.cli demo --port 0 --shop-port 0 --port-file ...`` with a fresh
    SQLite database in ``workdir``: the system picks both ports, the demo writes them to a
    file we read back, and builds the gateway's public URL (which the shop uses) from the
    port it bound.  Returns once the gateway's /health and the shop's / answer."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / f"demo-ports-{secrets.token_hex(4)}.json"
    env = {
        **os.environ,
        "ECOMGATE_DATA_DIR": str(workdir),
        "ECOMGATE_HOST": "127.0.0.1",
        "ECOMGATE_LOG_LEVEL": "warning",
    }
    env.pop("ECOMGATE_DATABASE_URL", None)  # SQLite in ECOMGATE_DATA_DIR, whatever the shell has
    env.pop("ECOMGATE_PUBLIC_URL", None)  # built from the bound port
    log_path = workdir / f"{port_file.stem}.log"
    with log_path.open("wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                sys.executable, "-m", "ecomgate.cli", "demo",
                "--port", "0", "--shop-port", "0", "--port-file", str(port_file),
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    demo = Demo("", "", process, log_path)
    try:
        started = Startup("ecomgate demo", process, demo.log)
        ports = started.port_file(port_file)
        demo.gateway_url = f"http://127.0.0.1:{int(ports['port'])}"
        demo.shop_url = f"http://127.0.0.1:{int(ports['shop_port'])}"
        started.answering(f"{demo.gateway_url}/health", f"{demo.shop_url}/")
        return demo
    except BaseException:
        demo.stop()
        raise


def launch_browser(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# -- the buyer's steps ------------------------------------------------------------------


def choose_at_shop(
    page: Page, demo: Demo, *, product: str = "tea", reserve: bool = False, language: str = "en"
) -> str:
    """Open the shop, press Buy (or Reserve) and land on the payment page; its mdOrder."""
    page.goto(f"{demo.shop_url}/")
    product_form = page.locator("form.product").filter(has=page.locator(f"#buy-{product}"))
    product_form.locator("select[name=language]").select_option(language)
    page.click(f"#hold-{product}" if reserve else f"#buy-{product}")
    page.wait_for_url(PAYMENT_PAGE)
    expect(page.locator("#pay-form")).to_be_visible()
    return order_id_in(page.url, "mdOrder")


def order_id_in(url: str, name: str = "orderId") -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def fill_card(
    page: Page,
    pan: str = GOOD_CARD,
    *,
    expiry: str = EXPIRY,
    cvc: str = CVC,
    cardholder: str = CARDHOLDER,
) -> None:
    page.fill("#pan", pan)
    page.fill("#expiry", expiry)
    page.fill("#cvc", cvc)
    page.fill("#cardholder", cardholder)


def press_pay(page: Page) -> None:
    page.click("#pay-button")


def answer_acs(page: Page, password: str = ACS_PASSWORD) -> None:
    """On the emulator's 3-D Secure page: type the password and submit it."""
    page.wait_for_url(ACS_PAGE)
    page.fill("#password", password)
    page.click("button[name=action][value=submit]")


def answer_challenge(page: Page, code: str = ACS_OTP) -> None:
    """On the emulator's 3-D Secure 2 challenge page: type the one-time code, submit it."""
    page.wait_for_url(ACS2_PAGE)
    page.fill("#otp", code)
    page.click("button[name=action][value=submit]")


def back_at_shop(page: Page, demo: Demo) -> str:
    """Wait for the return to the shop; the verdict element's data-verdict."""
    page.wait_for_url(f"{demo.shop_url}/return?*")
    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    return str(verdict.get_attribute("data-verdict"))


def pay(page: Page, demo: Demo, *, pan: str = GOOD_CARD) -> str:
    """Fill the form with a good card (3-D Secure 2 frictionless: the page runs the method
    step itself, no issuer's page), come back to the shop; the verdict."""
    fill_card(page, pan)
    press_pay(page)
    return back_at_shop(page, demo)
