"""Merchant authentication (spec §1.4) with a short-lived cache of verified credentials.

The password hash is deliberately slow; paying it on every API call would cap the gateway at
a few dozen requests per second.  A verified (login, password) pair is remembered for
``ttl`` seconds, keyed by a digest so the password itself is not kept in memory.

The cache is only a cache: every change of a merchant (password, token, permissions,
disabling) bumps a version in the database, which each process reads at most every
``VERSION_CHECK_SECONDS``; a changed version empties the cache, so the change takes effect
on every process within a second.

Against guessing (``auth_throttle.py``): failed logins are counted per login and per client
address in the database; a blocked key is refused before any lookup or hash.  The slow hash
runs in a small pool of its own with a bounded queue, so a burst of wrong passwords cannot
take the CPU from requests whose credentials are cached.  An unknown login is hashed
against a dummy, so it costs what a wrong password costs: timing does not tell which
logins exist.

Concurrent checks of the same (login, password) share one verification: a burst of calls
from one shop against a cold cache (a fresh worker, a deploy) costs one slow hash, not one
per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ecomgate.domain.errors import AccessDenied, GatewayError
from ecomgate.domain.merchant import Merchant

from .auth_throttle import Throttle, ThrottlePolicy, address_key, login_key
from .credentials import hash_password, token_hash, verify_password
from .ports import DatabaseUnavailable, Store

#: how stale a process's view of the credentials version may be
VERSION_CHECK_SECONDS = 0.25


class AuthThrottled(GatewayError):
    def __init__(self, wait_ms: int) -> None:
        super().__init__(5, "auth_throttled", seconds=max(1, math.ceil(wait_ms / 1000)))


class HashPool:
    """The slow hash, off the event loop, ``threads`` at a time; beyond ``queue`` waiting
    checks a new one is refused at once instead of queueing behind a guessing burst."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        self._executor = ThreadPoolExecutor(max(1, threads), thread_name_prefix="ecomgate-hash")
        self._limit = max(1, threads) + max(0, queue)
        self._in_use = 0
        self._dummy_hash: str | None = None
        #: slow hashes run so far (docs/security.md reports it under a guessing burst)
        self.runs = 0

    async def verify(self, password: str, stored: str | None) -> bool:
        """``stored`` None: an unknown login, checked against a dummy hash (same cost)."""
        if self._in_use >= self._limit:
            raise AccessDenied("auth_busy")
        self._in_use += 1
        self.runs += 1
        try:
            loop = asyncio.get_running_loop()
            if stored is None:
                if self._dummy_hash is None:
                    self._dummy_hash = await loop.run_in_executor(
                        self._executor, hash_password, secrets.token_urlsafe(16)
                    )
                await loop.run_in_executor(
                    self._executor, verify_password, password, self._dummy_hash
                )
                return False
            return await loop.run_in_executor(self._executor, verify_password, password, stored)
        finally:
            self._in_use -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class Authenticator:
    def __init__(
        self,
        store: Store,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        throttle: ThrottlePolicy | None = None,
        hash_pool: HashPool | None = None,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self.throttle = Throttle(store, throttle or ThrottlePolicy())
        self.hash_pool = hash_pool or HashPool()
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._cache: dict[bytes, tuple[Merchant, float]] = {}
        self._verifying: dict[bytes, asyncio.Task[Merchant]] = {}
        self._version: int | None = None
        self._version_read_at = -math.inf
        self._version_lock = asyncio.Lock()
        #: the clock of the version checks (a test moves it instead of sleeping)
        self.monotonic: Callable[[], float] = time.monotonic

    async def _current_cache(self) -> None:
        """Empty the cache when a merchant changed since the version last read."""
        if self.monotonic() - self._version_read_at < VERSION_CHECK_SECONDS:
            return
        async with self._version_lock:
            if self.monotonic() - self._version_read_at < VERSION_CHECK_SECONDS:
                return  # read by another caller meanwhile
            try:
                async with self.store.transaction() as repos:
                    version = await repos.auth_throttle.credentials_version()
            except DatabaseUnavailable:
                # nothing changes credentials while the database is away; the call fails
                # at its own next step, answered in the merchant's language
                return
            if version != self._version:
                self._cache.clear()
                self._version = version
            self._version_read_at = self.monotonic()

    async def _cached(self, key: bytes) -> Merchant | None:
        if not self._cache:
            return None
        await self._current_cache()
        hit = self._cache.get(key)
        if hit is None:
            return None
        merchant, expires = hit
        if time.monotonic() >= expires:
            del self._cache[key]
            return None
        return merchant

    def _remember(self, key: bytes, merchant: Merchant) -> None:
        if self.ttl <= 0:
            return
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (merchant, time.monotonic() + self.ttl)

    def forget_all(self) -> None:
        self._cache.clear()

    async def by_password(self, login: str, password: str, address: str = "") -> Merchant:
        key = hashlib.sha256(f"p\0{login}\0{password}".encode()).digest()
        merchant = await self._cached(key)
        if merchant is not None:
            return merchant
        task = self._verifying.get(key)
        if task is None:
            task = asyncio.create_task(self._verify_password(key, login, password, address))
            self._verifying[key] = task
            task.add_done_callback(lambda done: self._verified(key, done))
        # shielded: a caller that goes away must not cancel the others' verification
        return await asyncio.shield(task)

    def _verified(self, key: bytes, task: asyncio.Task[Merchant]) -> None:
        if self._verifying.get(key) is task:
            del self._verifying[key]
        if not task.cancelled():
            task.exception()  # retrieved here, in case every caller has gone

    def _limits(self, login: str | None, address: str) -> dict[str, int]:
        policy = self.throttle.policy
        limits: dict[str, int] = {}
        if login is not None:
            limits[login_key(login)] = policy.failures_per_login
        if address:
            limits[address_key(address)] = policy.failures_per_address
        return limits

    async def _refuse_if_throttled(self, limits: dict[str, int]) -> None:
        wait = await self.throttle.wait_ms(list(limits), self._now_ms())
        if wait > 0:
            raise AuthThrottled(wait)

    async def _verify_password(
        self, key: bytes, login: str, password: str, address: str
    ) -> Merchant:
        # read the version before the merchant: a change committed after this read is
        # seen by the next check, so what is remembered is never older than the version
        await self._current_cache()
        limits = self._limits(login, address)
        await self._refuse_if_throttled(limits)
        async with self.store.transaction() as repos:
            merchant = await repos.merchants.get_by_login(login)
        usable = merchant is not None and not merchant.settings.disabled
        stored = merchant.password_hash if merchant is not None and usable else None
        ok = await self.hash_pool.verify(password, stored)
        if not ok or merchant is None:
            await self.throttle.failed(limits, self._now_ms())
            raise AccessDenied()
        await self.throttle.succeeded(login_key(login))
        self._remember(key, merchant)
        return merchant

    async def by_token(self, token: str, address: str = "") -> Merchant:
        key = hashlib.sha256(f"t\0{token}".encode()).digest()
        merchant = await self._cached(key)
        if merchant is not None:
            return merchant
        await self._current_cache()
        # tokens are too long to guess, but a client trying many still pays by address
        limits = self._limits(None, address)
        await self._refuse_if_throttled(limits)
        async with self.store.transaction() as repos:
            merchant = await repos.merchants.get_by_token_hash(token_hash(token))
        if merchant is None or merchant.settings.disabled:
            await self.throttle.failed(limits, self._now_ms())
            raise AccessDenied()
        self._remember(key, merchant)
        return merchant

    async def acting_as(self, caller: Merchant, merchant_login: str) -> Merchant:
        """``merchantLogin``: act for another merchant, one declared the caller's child
        (with the permission).  Any other login is answered as unknown, so the answer
        does not tell which merchants exist."""
        if not merchant_login or merchant_login == caller.login:
            return caller
        if not caller.may_act_for_someone():
            raise AccessDenied()
        async with self.store.transaction() as repos:
            other = await repos.merchants.get_by_login(merchant_login)
        if other is None or other.settings.disabled or not caller.may_act_for(other):
            raise AccessDenied("unknown_merchant_login")
        return other
