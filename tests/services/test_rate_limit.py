"""The hosted page's submissions per order and per address, counted in the database so
every process shares them (services/rate_limit.py), on both engines."""

from __future__ import annotations

import uuid

import pytest

from ecomgate.services import rate_limit
from ecomgate.services.context import Services
from ecomgate.services.rate_limit import RateLimited

WINDOW = 60_000


async def test_a_key_over_its_limit_waits_for_the_next_window(services: Services) -> None:
    key = f"pay-address:{uuid.uuid4()}"
    for second in range(3):
        await rate_limit.admit(services.store, {key: 3}, WINDOW, 1_000_000 + second * 1000)
    with pytest.raises(RateLimited) as refused:
        await rate_limit.admit(services.store, {key: 3}, WINDOW, 1_010_000)
    assert refused.value.params == {"seconds": 50}
    await rate_limit.admit(services.store, {key: 3}, WINDOW, 1_000_000 + WINDOW)


async def test_a_refused_request_counts_for_no_key(services: Services) -> None:
    order, address = f"pay-order:{uuid.uuid4()}", f"pay-address:{uuid.uuid4()}"
    await rate_limit.admit(services.store, {order: 1, address: 5}, WINDOW, 2_000_000)
    with pytest.raises(RateLimited):
        await rate_limit.admit(services.store, {order: 1, address: 5}, WINDOW, 2_000_001)
    async with services.store.transaction() as repos:
        assert (await repos.auth_throttle.failures(address))[0] == 1


async def test_a_limit_of_zero_counts_nothing(services: Services) -> None:
    key = f"pay-address:{uuid.uuid4()}"
    for _ in range(5):
        await rate_limit.admit(services.store, {key: 0}, WINDOW, 3_000_000)
    async with services.store.transaction() as repos:
        assert await repos.auth_throttle.failures(key) == (0, 0)
