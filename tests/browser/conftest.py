"""Browser fixtures: one ``ecomgate demo`` process and one Chromium for all the browser tests,
a fresh browser context (cookies, storage, viewport) for every test.

Both are package-scoped, not session-scoped: Playwright's sync API runs its own event loop
(in a greenlet) while it is started, and pytest-asyncio cannot run a coroutine test while
that loop counts as running.  Stopping Playwright after the last test of ``tests/browser``
keeps the async tests that follow in the same session working.

Chromium is Debian's (``/usr/bin/chromium``, see ``scripts/install-browser.sh``); Playwright
never downloads a browser.  Where it is missing the browser tests are skipped with the reason,
except under CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from ecomgate.testing.demo_flow import CHROMIUM, DESKTOP, Demo, launch_browser, start_demo

#: how long a Playwright action or expectation may wait before the test fails
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install it with scripts/install-browser.sh"
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    _require_chromium()
    running = start_demo(tmp_path_factory.mktemp("demo"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    _require_chromium()
    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser: Browser, viewport: dict[str, int], **options: Any) -> BrowserContext:
    context = browser.new_context(viewport=viewport, locale="en-US", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """A desktop page (1280 wide) in its own context."""
    context = _context(browser, DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def new_page(browser: Browser, demo: Demo) -> Iterator[Callable[..., Page]]:
    """A factory of pages in fresh contexts with other options (viewport, touch, ...)."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Page:
        context = _context(browser, viewport, **options)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
