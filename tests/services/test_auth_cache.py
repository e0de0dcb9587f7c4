"""The credential cache is only a cache: per process, bounded in time, and a burst against a
cold cache pays the slow hash once."""

from __future__ import annotations

import asyncio

import pytest

from ecomgate.domain.errors import AccessDenied
from ecomgate.services import auth
from ecomgate.services.auth import Authenticator
from ecomgate.services.context import Services

from ..support import make_merchant


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth.verify_password

    def counting(password: str, stored: str) -> bool:
        calls.append(password)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    return calls


async def test_a_burst_of_calls_against_a_cold_cache_verifies_the_password_once(
    services: Services, hash_calls: list[str]
) -> None:
    creds = await make_merchant(services)
    authenticator = Authenticator(services.store)
    found = await asyncio.gather(
        *(authenticator.by_password(creds.login, creds.password) for _ in range(30))
    )
    assert {m.login for m in found} == {creds.login}
    assert len(hash_calls) == 1


async def test_a_wrong_password_is_refused_for_every_concurrent_caller_and_not_cached(
    services: Services, hash_calls: list[str]
) -> None:
    creds = await make_merchant(services)
    authenticator = Authenticator(services.store)
    results = await asyncio.gather(
        *(authenticator.by_password(creds.login, "wrong") for _ in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, AccessDenied) for r in results)
    with pytest.raises(AccessDenied):
        await authenticator.by_password(creds.login, "wrong")
    assert len(hash_calls) == 2  # one per burst, never remembered


async def test_a_ttl_of_zero_turns_the_cache_off(services: Services, hash_calls: list[str]) -> None:
    creds = await make_merchant(services)
    authenticator = Authenticator(services.store, ttl=0)
    await authenticator.by_password(creds.login, creds.password)
    await authenticator.by_password(creds.login, creds.password)
    assert len(hash_calls) == 2


async def test_a_cancelled_caller_does_not_cancel_the_others(
    services: Services, hash_calls: list[str]
) -> None:
    creds = await make_merchant(services)
    authenticator = Authenticator(services.store)
    first = asyncio.ensure_future(authenticator.by_password(creds.login, creds.password))
    second = asyncio.ensure_future(authenticator.by_password(creds.login, creds.password))
    await asyncio.sleep(0)
    first.cancel()
    merchant = await second
    assert merchant.login == creds.login
    assert len(hash_calls) == 1
