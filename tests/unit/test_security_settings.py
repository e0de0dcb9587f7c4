"""The security settings read from the environment (docs/deployment.md names them)."""

from __future__ import annotations

import pytest

from ecomgate import config
from ecomgate.config import Settings

NAMES = {
    "ECOMGATE_REQUEST_TIMEOUT_SECONDS": ("request_timeout_seconds", "3", 3.0),
    "ECOMGATE_KEEP_ALIVE_SECONDS": ("keep_alive_seconds", "2", 2),
    "ECOMGATE_MAX_CONNECTIONS": ("max_connections", "50", 50),
    "ECOMGATE_AUTH_FAILURES_PER_LOGIN": ("auth_failures_per_login", "7", 7),
    "ECOMGATE_AUTH_FAILURES_PER_ADDRESS": ("auth_failures_per_address", "0", 0),
    "ECOMGATE_AUTH_BACKOFF_SECONDS": ("auth_backoff_seconds", "0.5", 0.5),
    "ECOMGATE_AUTH_MAX_BACKOFF_SECONDS": ("auth_max_backoff_seconds", "60", 60.0),
    "ECOMGATE_AUTH_HASH_THREADS": ("auth_hash_threads", "2", 2),
    "ECOMGATE_AUTH_HASH_QUEUE": ("auth_hash_queue", "8", 8),
    "ECOMGATE_PAYMENT_REQUESTS_PER_ORDER": ("payment_requests_per_order", "9", 9),
    "ECOMGATE_PAYMENT_REQUESTS_PER_ADDRESS": ("payment_requests_per_address", "11", 11),
    "ECOMGATE_PAYMENT_RATE_WINDOW_SECONDS": ("payment_rate_window_seconds", "120", 120.0),
    "ECOMGATE_ALLOW_EMULATOR_IN_PRODUCTION": ("allow_emulator_in_production", "true", True),
}


def test_every_security_setting_has_its_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, (_, raw, _) in NAMES.items():
        monkeypatch.setenv(name, raw)
    settings = config.from_env()
    assert {name: getattr(settings, attr) for name, (attr, _, _) in NAMES.items()} == {
        name: value for name, (_, _, value) in NAMES.items()
    }


def test_the_card_form_address_limit_is_off_in_the_sandbox_only() -> None:
    assert Settings(sandbox=True).resolved_payment_requests_per_address == 0
    assert Settings(sandbox=False).resolved_payment_requests_per_address == 60
    assert Settings(payment_requests_per_address=5).resolved_payment_requests_per_address == 5


def test_hsts_follows_an_https_public_url() -> None:
    assert Settings(public_url="https://pay.example").https_public_url
    assert not Settings(public_url="http://pay.example").https_public_url
