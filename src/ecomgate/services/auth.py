"""Merchant authentication (spec §1.4) with a short-lived cache of verified credentials.

The password hash is deliberately slow; paying it on every API call would cap the gateway at
a few dozen requests per second.  A verified (login, password) pair is remembered for
``ttl`` seconds, keyed by a digest so the password itself is not kept in memory.

The cache is only a cache: every gateway process has its own, and a changed or revoked
password (or token) reaches the other processes within ``ttl`` seconds
(``ECOMGATE_AUTH_CACHE_SECONDS``, 30 by default; 0 turns the cache off).

Concurrent checks of the same (login, password) share one verification: a burst of calls
from one shop against a cold cache (a fresh worker, a deploy) costs one slow hash, not one
per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from ecomgate.domain.errors import AccessDenied
from ecomgate.domain.merchant import Merchant, Permission

from .credentials import token_hash, verify_password
from .ports import Store


class Authenticator:
    def __init__(self, store: Store, *, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[bytes, tuple[Merchant, float]] = {}
        self._verifying: dict[bytes, asyncio.Task[Merchant]] = {}

    def _cached(self, key: bytes) -> Merchant | None:
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

    async def by_password(self, login: str, password: str) -> Merchant:
        key = hashlib.sha256(f"p\0{login}\0{password}".encode()).digest()
        merchant = self._cached(key)
        if merchant is not None:
            return merchant
        task = self._verifying.get(key)
        if task is None:
            task = asyncio.create_task(self._verify_password(key, login, password))
            self._verifying[key] = task
            task.add_done_callback(lambda done: self._verified(key, done))
        # shielded: a caller that goes away must not cancel the others' verification
        return await asyncio.shield(task)

    def _verified(self, key: bytes, task: asyncio.Task[Merchant]) -> None:
        if self._verifying.get(key) is task:
            del self._verifying[key]
        if not task.cancelled():
            task.exception()  # retrieved here, in case every caller has gone

    async def _verify_password(self, key: bytes, login: str, password: str) -> Merchant:
        async with self.store.transaction() as repos:
            merchant = await repos.merchants.get_by_login(login)
        if merchant is None or merchant.settings.disabled:
            raise AccessDenied()
        # the slow hash runs off the event loop
        ok = await asyncio.to_thread(verify_password, password, merchant.password_hash)
        if not ok:
            raise AccessDenied()
        self._remember(key, merchant)
        return merchant

    async def by_token(self, token: str) -> Merchant:
        key = hashlib.sha256(f"t\0{token}".encode()).digest()
        merchant = self._cached(key)
        if merchant is not None:
            return merchant
        async with self.store.transaction() as repos:
            merchant = await repos.merchants.get_by_token_hash(token_hash(token))
        if merchant is None or merchant.settings.disabled:
            raise AccessDenied()
        self._remember(key, merchant)
        return merchant

    async def acting_as(self, caller: Merchant, merchant_login: str) -> Merchant:
        """``merchantLogin``: act for another merchant (needs the permission)."""
        if not merchant_login or merchant_login == caller.login:
            return caller
        if not caller.may(Permission.OTHER_MERCHANTS):
            raise AccessDenied()
        async with self.store.transaction() as repos:
            other = await repos.merchants.get_by_login(merchant_login)
        if other is None or other.settings.disabled:
            raise AccessDenied("unknown_merchant_login")
        return other
