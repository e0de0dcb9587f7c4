"""Screenshots of the real redirect flow for the README, taken from a running ``ecomgate demo``.

Usage:  .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts ``ecomgate demo`` on ports the system picks, with a throw-away SQLite database, walks
the same steps as the browser tests (``ecomgate.testing.demo_flow``) in headless Chromium and
writes:

  page-desktop.png         the card form, 1280 px wide, filled in
  page-mobile.png          the card form on a 360 px wide phone
  acs.png                  the emulator's 3-D Secure page
  shop-paid.png            the demo shop's verdict after the payment
  page-result-paid.png     formUrl opened again after the payment
  page-result-expired.png  formUrl opened after the order's lifetime
  page-ru.png              the card form in Russian

Run it by hand after changing the page, look at the pictures, and commit them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # also from a checkout without `pip install -e .`

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from ecomgate.testing.demo_flow import (  # noqa: E402
    ACS_PAGE,
    DESKTOP,
    MOBILE,
    THREE_DS1_CARD,
    Demo,
    answer_acs,
    back_at_shop,
    choose_at_shop,
    fill_card,
    launch_browser,
    order_id_in,
    press_pay,
    start_demo,
)


def new_page(browser: Browser, viewport: dict[str, int], **options: Any) -> Page:
    context = browser.new_context(viewport=viewport, locale="en-US", **options)
    context.set_default_timeout(15_000)
    return context.new_page()


def settle(page: Page) -> None:
    """No caret, focus ring or running transition in the picture."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    page.wait_for_timeout(250)


def shoot(page: Page, out: Path, name: str) -> None:
    path = out / name
    page.screenshot(path=str(path), full_page=True)
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def desktop_flow(browser: Browser, demo: Demo, out: Path) -> None:
    page = new_page(browser, DESKTOP)
    order_id = choose_at_shop(page, demo)
    payment_url = page.url
    fill_card(page, THREE_DS1_CARD)  # the card with the password page
    settle(page)
    shoot(page, out, "page-desktop.png")

    press_pay(page)
    page.wait_for_url(ACS_PAGE)
    page.fill("#password", "12345678")
    settle(page)
    shoot(page, out, "acs.png")
    answer_acs(page)

    back_at_shop(page, demo)
    assert order_id_in(page.url) == order_id
    settle(page)
    shoot(page, out, "shop-paid.png")

    page.goto(payment_url)
    page.wait_for_selector(".result-paid")
    settle(page)
    shoot(page, out, "page-result-paid.png")
    page.context.close()


def mobile_flow(browser: Browser, demo: Demo, out: Path) -> None:
    page = new_page(browser, MOBILE, is_mobile=True, has_touch=True)
    choose_at_shop(page, demo)
    fill_card(page)
    settle(page)
    shoot(page, out, "page-mobile.png")
    page.context.close()


def russian_page(browser: Browser, demo: Demo, out: Path) -> None:
    page = new_page(browser, DESKTOP)
    choose_at_shop(page, demo, language="ru")
    settle(page)
    shoot(page, out, "page-ru.png")
    page.context.close()


def expired_page(browser: Browser, demo: Demo, out: Path) -> None:
    registered = demo.register(
        sessionTimeoutSecs=1, orderNumber="DEMO-EXPIRED", description="Green tea, 100 g"
    )
    time.sleep(1.5)
    page = new_page(browser, DESKTOP)
    page.goto(registered["formUrl"])
    page.wait_for_selector(".result-expired")
    settle(page)
    shoot(page, out, "page-result-expired.png")
    page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ecomgate-shots-") as workdir:
        demo = start_demo(Path(workdir))
        try:
            with sync_playwright() as playwright:
                browser = launch_browser(playwright)
                try:
                    print(f"ecomgate demo at {demo.gateway_url} (shop {demo.shop_url}); writing:")
                    desktop_flow(browser, demo, out)
                    mobile_flow(browser, demo, out)
                    russian_page(browser, demo, out)
                    expired_page(browser, demo, out)
                finally:
                    browser.close()
        finally:
            demo.stop()


if __name__ == "__main__":
    main()
