"""Abuse against real gateway processes, on both engines (issue 16): a password-guessing
burst is throttled and does not slow a shop whose credentials are cached; a changed
password or a disabled merchant is refused by every process within a second; a gateway
outside the sandbox refuses to start on the emulator unless told, and says so in /health.

Each test has a database of its own: throttling is stored there, and a burst from
127.0.0.1 must not block the session's other tests."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess, gateway_env, start_gateway

from ..support import Api, MerchantCredentials, make_merchant, run_cli

RETURN_URL = "https://shop.example/ok"


#: wrong passwords of the burst, and the per-address limit of its gateway (scaled down from
#: the issue's 400 and the default 100, to keep the suite short)
GUESSES, ADDRESS_LIMIT = 200, 50


@pytest.fixture
def own_gateway(own_database_url: str, tmp_path: Path) -> Iterator[GatewayProcess]:
    gateway = start_gateway(
        own_database_url,
        tmp_path / "gw",
        extra_env={"ECOMGATE_AUTH_FAILURES_PER_ADDRESS": str(ADDRESS_LIMIT)},
    )
    yield gateway
    gateway.stop()


async def _median_register_ms(shop: Api, count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        assert "orderId" in await shop.register(returnUrl=RETURN_URL)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def test_a_guessing_burst_is_throttled_and_a_cached_shop_keeps_its_latency(
    own_gateway: GatewayProcess, own_services: Services
) -> None:
    shop = Api(own_gateway.base_url, await make_merchant(own_services))
    await shop.register(returnUrl=RETURN_URL)  # cached from now on
    quiet = await _median_register_ms(shop, 30)
    answers: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=own_gateway.base_url, timeout=30) as attacker:

        async def guess(n: int) -> None:
            r = await attacker.post(
                "/payment/rest/register.do",
                data={"userName": f"guess-{n % 40}", "password": f"p{n}", "amount": "1",
                      "returnUrl": RETURN_URL, "language": "en"},
            )  # fmt: skip
            text = r.json()["errorMessage"]
            answers[text] = answers.get(text, 0) + 1

        async def burst() -> None:
            pending = set()
            for n in range(GUESSES):
                pending.add(asyncio.ensure_future(guess(n)))
                if len(pending) >= 16:
                    _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.gather(*pending)

        started = time.perf_counter()
        attack = asyncio.ensure_future(burst())
        during = await _median_register_ms(shop, 30)
        await attack
        burst_seconds = time.perf_counter() - started
    await shop.aclose()
    throttled = sum(n for text, n in answers.items() if text.startswith("Access denied: too many"))
    print(
        f"\n{GUESSES} wrong passwords in {burst_seconds:.1f} s: {throttled} throttled, "
        f"{answers.get('Access denied', 0)} checked; cached shop's register.do median "
        f"{quiet:.1f} ms quiet, {during:.1f} ms during the burst"
    )
    assert sum(answers.values()) == GUESSES
    # the address limit, give or take the 16 checks already under way
    assert throttled >= GUESSES - ADDRESS_LIMIT - 16
    # before throttling and the bounded pool: 3 ms quiet, 385 ms during such a burst
    assert during < max(5 * quiet, 100)


def _refused_within(gateways: list[GatewayProcess], auth: dict[str, str], limit: float) -> float:
    """Seconds until every gateway refuses ``auth``: a status call (no write) to each in
    turn, every 20 ms, at most ``limit`` seconds."""
    started = time.monotonic()
    waiting = list(gateways)
    refused_at = started
    while waiting:
        for gateway in list(waiting):
            r = httpx.post(
                f"{gateway.base_url}/payment/rest/getOrderStatusExtended.do",
                data={**auth, "orderId": "01920000-0000-7000-8000-000000000000"},
                timeout=10,
            )
            if r.json()["errorCode"] == "5":  # access denied; "6" (not found) while accepted
                waiting.remove(gateway)
                refused_at = time.monotonic()
        if time.monotonic() - started > limit:
            raise AssertionError(f"still accepted after {limit} s by {waiting}")
        time.sleep(0.02)
    return refused_at - started


async def test_a_changed_password_and_a_disabled_merchant_reach_every_process_within_a_second(
    own_database_url: str, own_services: Services, tmp_path: Path
) -> None:
    a = start_gateway(own_database_url, tmp_path / "a")
    b = start_gateway(own_database_url, tmp_path / "b")
    try:
        creds = await make_merchant(own_services)
        for gateway in (a, b):  # cached in both
            shop = Api(gateway.base_url, creds)
            assert "orderId" in await shop.register(returnUrl=RETURN_URL)
            await shop.aclose()
        done = run_cli(
            own_database_url, "merchant", "update", creds.login, "--password", "n3w-pass"
        )
        assert done.returncode == 0, done.stderr
        changed = _refused_within([a, b], creds.auth, limit=3)
        new = MerchantCredentials(creds.login, "n3w-pass")
        for gateway in (a, b):
            shop = Api(gateway.base_url, new)
            assert "orderId" in await shop.register(returnUrl=RETURN_URL)
            await shop.aclose()
        done = run_cli(own_database_url, "merchant", "update", creds.login, "--disable")
        assert done.returncode == 0, done.stderr
        disabled = _refused_within([a, b], new.auth, limit=3)
    finally:
        a.stop()
        b.stop()
    print(f"\nrefused on both processes {changed:.2f} s after the password change, "
          f"{disabled:.2f} s after disabling")  # fmt: skip
    # the design bound is VERSION_CHECK_SECONDS (0.25 s) plus one verification (exact, with
    # moved clocks: tests/services/test_auth_throttle.py); the margin here is for this
    # test's own requests and the CLI's exit on a loaded shared machine (load 4-6)
    assert changed < 2.0 and disabled < 2.0


def test_outside_the_sandbox_the_emulator_needs_an_explicit_flag(
    own_database_url: str, tmp_path: Path
) -> None:
    env = gateway_env(own_database_url, tmp_path, {"ECOMGATE_SANDBOX": "false"})
    refused = subprocess.run(
        [sys.executable, "-m", "ecomgate.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "ECOMGATE_ALLOW_EMULATOR_IN_PRODUCTION" in refused.stderr
    allowed = start_gateway(
        own_database_url,
        tmp_path / "allowed",
        extra_env={"ECOMGATE_SANDBOX": "false", "ECOMGATE_ALLOW_EMULATOR_IN_PRODUCTION": "true"},
    )
    try:
        health = httpx.get(f"{allowed.base_url}/health", timeout=10).json()
    finally:
        allowed.stop()
    assert health["emulatorInProduction"] is True and health["sandbox"] is False


async def test_the_cli_declares_and_removes_a_parent(
    own_database_url: str, own_services: Services
) -> None:
    parent, child = await make_merchant(own_services), await make_merchant(own_services)
    done = run_cli(own_database_url, "merchant", "update", child.login, "--parent", parent.login)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parent_id"] is not None
    done = run_cli(own_database_url, "merchant", "update", child.login, "--parent", "")
    assert json.loads(done.stdout)["parent_id"] is None
    refused = run_cli(own_database_url, "merchant", "update", child.login, "--parent", child.login)
    assert refused.returncode != 0 and "own parent" in refused.stderr
