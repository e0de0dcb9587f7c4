"""Throttling of failed API logins, per login and per client address, in the database.

Every gateway process shares the counts, so a guessing burst spread over processes (or
hosts) meets the same limit.  A key over its limit is blocked for a wait that doubles with
each further failure (``backoff_ms`` … ``max_backoff_ms``); failures older than the longest
wait are forgotten, so a shop that mistypes once a day is never blocked.  A blocked key is
refused before any lookup or slow hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ports import Store


@dataclass(frozen=True)
class ThrottlePolicy:
    failures_per_login: int = 5
    failures_per_address: int = 100
    backoff_ms: int = 1_000
    max_backoff_ms: int = 900_000

    def wait_ms(self, failures: int, limit: int) -> int:
        """How long a key with ``failures`` is blocked (0: not yet over its limit)."""
        if limit <= 0 or failures < limit:
            return 0
        doublings = min(failures - limit, 30)
        return min(self.backoff_ms << doublings, self.max_backoff_ms)


def login_key(login: str) -> str:
    return f"login:{login}"


def address_key(address: str) -> str:
    return f"address:{address}"


class Throttle:
    def __init__(self, store: Store, policy: ThrottlePolicy) -> None:
        self.store = store
        self.policy = policy

    async def wait_ms(self, keys: list[str], now: int) -> int:
        """How long any of ``keys`` is still blocked at ``now`` (0: not blocked)."""
        if not keys:
            return 0
        async with self.store.transaction() as repos:
            until = await repos.auth_throttle.blocked_until(keys)
        return max(0, until - now)

    async def failed(self, limits: dict[str, int], now: int) -> None:
        """One more failure for each key, each against its own limit."""
        if not limits:
            return
        async with self.store.transaction() as repos:
            # keys quiet for longer than the longest wait count from zero anyway
            await repos.auth_throttle.prune(now - self.policy.max_backoff_ms, now)
            for key, limit in limits.items():
                failures, updated_at = await repos.auth_throttle.failures(key, for_update=True)
                if now - updated_at > self.policy.max_backoff_ms:
                    failures = 0  # long quiet: start again
                failures += 1
                wait = self.policy.wait_ms(failures, limit)
                blocked_until = now + wait if wait else 0
                await repos.auth_throttle.set_failures(key, failures, blocked_until, now)

    async def succeeded(self, key: str) -> None:
        async with self.store.transaction() as repos:
            await repos.auth_throttle.clear(key)
