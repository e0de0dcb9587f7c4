"""The merchant's callback_url setting is an absolute http(s) URL, or refused (issue 16)."""

from __future__ import annotations

import pytest

from ecomgate.domain.callbacks import check_settings


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "//evil.example/cb",
        "/relative",
        "https://shop.example/a b",
        "https://shop.example/\r\nX-Injected: 1",
        "ftp://shop.example/",
        "https://shop.example:99999/",
    ],
)
def test_a_callback_url_that_is_not_absolute_http_is_refused(url: str) -> None:
    assert check_settings({"callback_url": url}) == "bad_callback_url"


def test_an_absolute_https_callback_url_is_accepted() -> None:
    assert check_settings({"callback_url": "https://shop.example/cb?x=1"}) is None
