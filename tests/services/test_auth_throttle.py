"""Authentication against abuse, on both engines: failed logins throttled per login and per
client address across processes (two authenticators on one database), the slow hash in a
bounded pool, credential changes seen by every process within a second, and
``merchantLogin`` reaching declared children only (issue 16)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from ecomgate.domain.errors import AccessDenied
from ecomgate.domain.merchant import Permission
from ecomgate.services import merchants as merchant_service
from ecomgate.services.auth import VERSION_CHECK_SECONDS, Authenticator, AuthThrottled, HashPool
from ecomgate.services.auth_throttle import ThrottlePolicy
from ecomgate.services.context import Services

from ..support import make_merchant

POLICY = ThrottlePolicy(
    failures_per_login=3, failures_per_address=5, backoff_ms=1_000, max_backoff_ms=60_000
)


class Clocks:
    """The wall clock (epoch ms) of the throttle and the monotonic clock of the version
    checks, both moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self._monotonic_base = time.monotonic()

    def now_ms(self) -> int:
        return int((time.time() + self.offset_s) * 1000)

    def monotonic(self) -> float:
        # stands still between advances: a slow machine cannot pass the check interval
        return self._monotonic_base + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def process(services: Services, clocks: Clocks) -> Callable[[], Authenticator]:
    """A new gateway process's authenticator on the shared database."""

    def make() -> Authenticator:
        authenticator = Authenticator(services.store, throttle=POLICY, now_ms=clocks.now_ms)
        authenticator.monotonic = clocks.monotonic
        return authenticator

    return make


async def test_failures_on_one_process_throttle_the_login_on_another(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    creds = await make_merchant(services)
    first, second = process(), process()
    for authenticator in (first, second, first):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(creds.login, "wrong", "192.0.2.1")
    with pytest.raises(AuthThrottled):
        await second.by_password(creds.login, creds.password, "192.0.2.2")
    clocks.advance(1.1)
    assert (await second.by_password(creds.login, creds.password, "192.0.2.2")).login == creds.login


async def test_an_address_guessing_many_logins_is_throttled_and_others_are_not(
    services: Services, process: Callable[[], Authenticator]
) -> None:
    authenticator = process()
    victim = await make_merchant(services)
    for n in range(5):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(f"guess-{n}-{victim.login}", "x", "198.51.100.7")
    with pytest.raises(AuthThrottled):
        await authenticator.by_password(victim.login, victim.password, "198.51.100.7")
    # the shop itself, from its own address, is not affected
    assert (await authenticator.by_password(victim.login, victim.password, "203.0.113.9")).login


async def test_a_throttled_login_never_reaches_the_slow_hash(
    services: Services, process: Callable[[], Authenticator]
) -> None:
    creds = await make_merchant(services)
    authenticator = process()
    for _ in range(3):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(creds.login, "wrong")
    runs = authenticator.hash_pool.runs
    for _ in range(20):
        with pytest.raises(AuthThrottled):
            await authenticator.by_password(creds.login, "still-wrong")
    assert authenticator.hash_pool.runs == runs


async def test_old_failures_are_forgotten(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    creds = await make_merchant(services)
    authenticator = process()
    for _ in range(2):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(creds.login, "wrong")
    clocks.advance(61)  # longer than the longest wait: the count starts again
    for _ in range(2):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(creds.login, "wrong")
    assert (await authenticator.by_password(creds.login, creds.password)).login == creds.login


async def test_the_hash_pool_refuses_beyond_its_queue(services: Services) -> None:
    creds = await make_merchant(services)
    authenticator = Authenticator(
        services.store,
        throttle=ThrottlePolicy(failures_per_login=0, failures_per_address=0),
        hash_pool=HashPool(threads=1, queue=1),
    )
    results = await asyncio.gather(
        *(authenticator.by_password(creds.login, f"wrong-{n}") for n in range(6)),
        return_exceptions=True,
    )
    keys = sorted(r.key for r in results if isinstance(r, AccessDenied))
    assert len(keys) == 6
    assert "auth_busy" in keys and "access_denied" in keys
    assert authenticator.hash_pool.runs <= 6


async def test_a_changed_password_reaches_every_process_within_a_second(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    creds = await make_merchant(services)
    first, second = process(), process()
    for authenticator in (first, second):
        await authenticator.by_password(creds.login, creds.password)  # cached in both
    await merchant_service.update_merchant(services, creds.login, password="new-password-1")
    clocks.advance(VERSION_CHECK_SECONDS)
    for authenticator in (first, second):
        with pytest.raises(AccessDenied):
            await authenticator.by_password(creds.login, creds.password)
        assert (await authenticator.by_password(creds.login, "new-password-1")).login


async def test_a_rotated_token_stops_working_within_a_second(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    creds = await make_merchant(services)
    old = await merchant_service.issue_token(services, creds.login)
    other = process()
    assert (await other.by_token(old)).login == creds.login
    new = await merchant_service.issue_token(services, creds.login)
    clocks.advance(VERSION_CHECK_SECONDS)
    with pytest.raises(AccessDenied):
        await other.by_token(old)
    assert (await other.by_token(new)).login == creds.login


async def test_a_revoked_permission_and_a_disabled_merchant_take_effect_within_a_second(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    creds = await make_merchant(services, permissions=("card-payment-api",))
    other = process()
    assert (await other.by_password(creds.login, creds.password)).may(Permission.CARD_PAYMENT_API)
    await merchant_service.update_merchant(services, creds.login, revoke=["card-payment-api"])
    clocks.advance(VERSION_CHECK_SECONDS)
    merchant = await other.by_password(creds.login, creds.password)
    assert not merchant.may(Permission.CARD_PAYMENT_API)
    await merchant_service.update_merchant(services, creds.login, settings={"disabled": True})
    clocks.advance(VERSION_CHECK_SECONDS)
    with pytest.raises(AccessDenied):
        await other.by_password(creds.login, creds.password)


async def test_within_the_check_interval_the_cache_answers_without_the_database(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    """The version is read at most every VERSION_CHECK_SECONDS: a cached shop's call costs
    no query in between."""
    creds = await make_merchant(services)
    authenticator = process()
    await authenticator.by_password(creds.login, creds.password)
    await merchant_service.update_merchant(services, creds.login, name="renamed")
    assert (await authenticator.by_password(creds.login, creds.password)).name != "renamed"
    clocks.advance(VERSION_CHECK_SECONDS)
    assert (await authenticator.by_password(creds.login, creds.password)).name == "renamed"


async def test_merchant_login_reaches_declared_children_only(
    services: Services, process: Callable[[], Authenticator]
) -> None:
    parent = await make_merchant(services, permissions=("other-merchants",))
    child, stranger = await make_merchant(services), await make_merchant(services)
    await merchant_service.update_merchant(services, child.login, parent=parent.login)
    authenticator = process()
    caller = await authenticator.by_password(parent.login, parent.password)
    assert (await authenticator.acting_as(caller, child.login)).login == child.login
    for login in (stranger.login, "no-such-merchant"):
        with pytest.raises(AccessDenied) as refused:
            await authenticator.acting_as(caller, login)
        assert refused.value.key == "unknown_merchant_login"  # a stranger looks unknown
    # the child cannot act for its parent, nor can a parent without the permission
    child_caller = await authenticator.by_password(child.login, child.password)
    with pytest.raises(AccessDenied):
        await authenticator.acting_as(child_caller, parent.login)
    await merchant_service.update_merchant(services, parent.login, revoke=["other-merchants"])
    without = await process().by_password(parent.login, parent.password)
    with pytest.raises(AccessDenied) as refused:
        await authenticator.acting_as(without, child.login)
    assert refused.value.key == "access_denied"


async def test_a_merchant_cannot_be_its_own_parent(services: Services) -> None:
    creds = await make_merchant(services)
    with pytest.raises(merchant_service.MerchantError) as refused:
        await merchant_service.update_merchant(services, creds.login, parent=creds.login)
    assert refused.value.key == "parent_is_self"


async def test_keys_quiet_for_longer_than_the_longest_wait_are_pruned(
    services: Services, process: Callable[[], Authenticator], clocks: Clocks
) -> None:
    authenticator = process()
    login = f"pruned-{time.monotonic_ns()}"
    with pytest.raises(AccessDenied):
        await authenticator.by_password(login, "x")
    clocks.advance(61)
    with pytest.raises(AccessDenied):
        await authenticator.by_password(f"{login}-other", "x")  # any failure prunes
    async with services.store.transaction() as repos:
        assert await repos.auth_throttle.failures(f"login:{login}") == (0, 0)
        assert (await repos.auth_throttle.failures(f"login:{login}-other"))[0] == 1
