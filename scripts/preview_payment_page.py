"""Render the hosted payment page templates with sample contexts and screenshot them.

Usage:  .venv/bin/python scripts/preview_payment_page.py [--out DIR] [--no-shots]

Pages are written to a temp folder (or --out) together with the static files and served from
a throw-away local HTTP server; ``processform.do`` is answered by a Playwright route so the
JS flows (validation, declined attempt, redirect) can be exercised.  The README's screenshots
come from a running demo instead (``scripts/screenshots.py``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ecomgate.web import buyer_texts  # noqa: E402
from ecomgate.web.payment_page import i18n, rendering  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": (1280, 860), "m360": (360, 780), "m320": (320, 700)}


def sample_order(lang: str, **over: object) -> dict[str, object]:
    now_ms = int(time.time() * 1000)
    order: dict[str, object] = {
        "id": "01491d0b-c848-7dd6-a20d-e96900a7d8c0",
        "number": "SHOP-2024-000187",
        "description": "Order #187: wireless headphones, 1 pc."
        if lang == "en"
        else "Заказ №187: беспроводные наушники, 1 шт.",
        "amount": 249000,
        "currency": "643",
        "merchant_name": "Demo Electronics Store",
        "expires_at_ms": now_ms + 19 * 60_000 + 42_000,
        "cardholder_name": "",
        "email": "",
        "back_to_shop_url": "/shop/cart",
        "back_to_shop_name": "Demo Electronics",
    }
    order.update(over)
    order["amount_formatted"] = rendering.format_amount(
        int(order["amount"]),  # type: ignore[call-overload]
        str(order["currency"]),
        lang,
    )
    return order


def pages() -> dict[str, tuple[str, dict[str, object]]]:
    out: dict[str, tuple[str, dict[str, object]]] = {}
    for lang in ("en", "ru"):
        t = i18n.strings(lang)
        common = {"lang": lang, "t": t, "static_url": "static"}
        pay = {
            **common,
            "mobile": False,
            "order": sample_order(lang),
            "process_url": "/payment/rest/processform.do",
            "lang_urls": {"en": "payment_en.html", "ru": "payment_ru.html"},
            "error": "",
            "now_ms": int(time.time() * 1000),
        }
        out[f"payment_{lang}"] = ("payment.html", pay)
        out[f"mobile_payment_{lang}"] = ("payment.html", {**pay, "mobile": True})
        out[f"payment_error_{lang}"] = (
            "payment.html",
            {
                **pay,
                "error": buyer_texts.decline_message(116, lang),
                "order": sample_order(lang, currency="840", amount=2000, email="a@b.example"),
            },
        )
        out[f"payment_expiring_{lang}"] = (
            "payment.html",
            {**pay, "order": sample_order(lang, expires_at_ms=int(time.time() * 1000) + 3000)},
        )
        for kind in ("paid", "declined", "expired", "not_found", "processing"):
            ctx = {
                **common,
                "kind": kind,
                "message": buyer_texts.decline_message(116, lang) if kind == "declined" else "",
                "order": None if kind == "not_found" else sample_order(lang),
                "return_url": "/shop/return",
                "lang_urls": {"en": f"result_{kind}_en.html", "ru": f"result_{kind}_ru.html"},
            }
            out[f"result_{kind}_{lang}"] = ("result.html", ctx)
        out[f"finish_{lang}"] = (
            "finish.html",
            {**common, "redirect_url": "/shop/return?orderId=x&lang=" + lang},
        )
    return out


def render_all(out_dir: Path) -> list[str]:
    env = rendering.make_environment()
    shutil.copytree(rendering.STATIC_DIR, out_dir / "static", dirs_exist_ok=True)
    names = []
    for name, (template, ctx) in pages().items():
        (out_dir / f"{name}.html").write_text(env.get_template(template).render(**ctx), "utf-8")
        names.append(name)
    return names


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def screenshots(out_dir: Path, names: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    shots = out_dir / "shots"
    shots.mkdir(exist_ok=True)
    server, base = serve(out_dir)
    answers: list[dict[str, object]] = []
    posted: list[str] = []

    def fulfil(route):  # type: ignore[no-untyped-def]
        posted.append(route.request.post_data or "")
        body = (
            answers.pop(0) if answers else {"errorCode": "0", "redirect": base + "/finish_en.html"}
        )
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for vp, (w, h) in VIEWPORTS.items():
                ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
                page = ctx.new_page()
                page.route("**/processform.do", fulfil)
                for name in names:
                    if vp != "desktop" and not name.startswith(
                        ("mobile_payment", "result", "finish", "payment_error")
                    ):
                        continue
                    page.goto(f"{base}/{name}.html")
                    page.wait_for_timeout(150)
                    page.screenshot(path=str(shots / f"{name}-{vp}.png"), full_page=True)
                ctx.close()

            # interaction states (desktop + 360)
            for vp in ("desktop", "m360"):
                w, h = VIEWPORTS[vp]
                ctx = browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                page.route("**/processform.do", fulfil)
                page.goto(f"{base}/payment_en.html")
                page.fill("#pan", "4111 1111 1111 1112")
                page.fill("#expiry", "")
                page.type("#expiry", "0120")
                page.type("#cvc", "12")
                page.type("#cardholder", "иван")
                page.click("#pay-button")
                page.wait_for_timeout(100)
                page.screenshot(path=str(shots / f"state-errors-{vp}.png"), full_page=True)
                # typed input formatting + a declined attempt
                page.fill("#pan", "")
                page.type("#pan", "5555555555555599")
                page.fill("#expiry", "")
                page.type("#expiry", "1230")
                page.fill("#cvc", "123")
                page.fill("#cardholder", "")
                page.type("#cardholder", "test cardholder")
                page.locator("#cardholder").blur()
                answers.append(
                    {
                        "errorCode": "0",
                        "displayErrorMessage": buyer_texts.decline_message(71015, "en"),
                    }
                )
                page.click("#pay-button")
                page.wait_for_timeout(300)
                page.screenshot(path=str(shots / f"state-declined-{vp}.png"), full_page=True)
                ctx.close()

            # countdown reaching zero disables the form
            for vp in ("desktop", "m320"):
                w, h = VIEWPORTS[vp]
                ctx = browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                page.goto(f"{base}/payment_expiring_en.html")
                page.wait_for_timeout(3600)
                assert page.is_disabled("#pay-button"), "form must be disabled after expiry"
                page.screenshot(path=str(shots / f"state-expired-{vp}.png"), full_page=True)
                ctx.close()

            browser.close()
    finally:
        server.shutdown()

    print("shots in", shots)
    for line in posted:
        print("POST", line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-shots", action="store_true")
    args = ap.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="payment-page-preview-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    names = render_all(out_dir)
    print("rendered", len(names), "pages into", out_dir)
    if not args.no_shots:
        screenshots(out_dir, names)


if __name__ == "__main__":
    main()
