"""Requests per key in a fixed window, counted in the database (every process shares it).

The hosted page's card submissions (processform.do) are anonymous: the order id and the
buyer's address are all there is to limit, so a script cannot hammer one order's form or
try cards across many orders from one address faster than the limit.  The counts live in
the ``auth_throttle`` table under their own key prefixes (``failures`` = requests in the
window, ``updated_at`` = the window's start, ``blocked_until`` = its end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecomgate.domain.errors import GatewayError

from .ports import Store


@dataclass(frozen=True)
class RatePolicy:
    per_order: int = 30
    per_address: int = 60
    window_ms: int = 600_000


class RateLimited(GatewayError):
    def __init__(self, wait_ms: int) -> None:
        super().__init__(5, "payment_rate_limited", seconds=max(1, math.ceil(wait_ms / 1000)))


async def admit(store: Store, limits: dict[str, int], window_ms: int, now: int) -> None:
    """Count one request for each key (limit 0: not counted); over any key's limit in the
    current window, refuse it (and count nothing)."""
    counted = {key: limit for key, limit in limits.items() if limit > 0}
    if not counted:
        return
    async with store.transaction() as repos:
        for key, limit in counted.items():
            count, started = await repos.auth_throttle.failures(key, for_update=True)
            if now - started >= window_ms:
                count, started = 0, now
            if count >= limit:
                raise RateLimited(started + window_ms - now)
            await repos.auth_throttle.set_failures(key, count + 1, started + window_ms, started)
