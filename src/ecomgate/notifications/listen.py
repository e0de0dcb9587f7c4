"""``ecomgate listen``: a merchant's callbacks, forwarded to a handler on a laptop.

It follows the outbox of the gateway's database beside the dispatchers (it changes no
event's state: the merchant's own callback URL still gets everything), builds each callback exactly as the
dispatcher does (same parameters, same signature), sends it to ``--forward-to`` and prints
one line per delivery.  Every forward is logged in the event's delivery log as ``listen``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from ecomgate.domain import ids
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant
from ecomgate.services.context import Services
from ecomgate.services.ports import CallbackAttempt, OutboxEntry

from .destinations import DestinationPolicy
from .dispatcher import DeliveryConfig, Dispatcher
from .requests import skip_reason

#: events are read again this far back (by the time their id was made, which a sandbox
#: clock never moves): a transaction that committed late is still found
_LOOKBACK_MS = 5_000


def describe(entry: OutboxEntry, outcome: str) -> str:
    at = dt.datetime.fromtimestamp(entry.created_at / 1000, tz=dt.UTC).strftime("%H:%M:%S")
    subject = f"order {entry.order_id}" if entry.order_id else f"binding {entry.binding_id}"
    return f"{at}  {entry.operation:<22} status={entry.status}  {subject}  {outcome}"


def outcome_text(attempt: CallbackAttempt) -> str:
    if attempt.error is None:
        return f"-> {attempt.http_status} in {attempt.latency_ms} ms"
    return f"-> failed after {attempt.latency_ms} ms: {attempt.error}"


class Listener:
    def __init__(
        self,
        services: Services,
        merchant: Merchant,
        forward_to: str,
        *,
        timeout_seconds: float = 10.0,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.services = services
        # the merchant as the dispatcher sees it, with the laptop's URL for every event
        self.merchant = replace(
            merchant, settings=replace(merchant.settings, callback_url=forward_to)
        )
        self.echo = echo
        self.dispatcher = Dispatcher(
            services,
            DeliveryConfig(
                timeout_seconds=timeout_seconds,
                destinations=DestinationPolicy(https_only=False, allow_private=True),
            ),
        )
        self.cursor = services.clock.now_ms()
        self.seen: dict[str, int] = {}

    async def poll_once(self) -> int:
        """Forward what appeared since the last look; how many were forwarded."""
        async with self.services.uow.transaction() as repos:
            found = await repos.outbox.since(self.merchant.id, self.cursor - _LOOKBACK_MS, 500)
        forwarded = 0
        for entry in found:
            if entry.id in self.seen:
                continue
            written = ids.uuid7_ms(entry.id)
            self.seen[entry.id] = written
            self.cursor = max(self.cursor, written)
            forwarded += await self.forward(replace(entry, dynamic_url=""))
        horizon = self.cursor - 2 * _LOOKBACK_MS
        self.seen = {k: v for k, v in self.seen.items() if v >= horizon}
        return forwarded

    async def forward(self, entry: OutboxEntry) -> int:
        reason = skip_reason(entry, self.merchant)
        if reason is not None:
            self.echo(describe(entry, f"not sent: {reason}"))
            return 0
        request = await self.dispatcher.request_for(entry, self.merchant)
        attempt = await self.dispatcher.send(entry, request, origin="listen")
        async with self.services.uow.transaction() as repos:
            await repos.outbox.log_attempt(attempt)
        self.echo(describe(entry, outcome_text(attempt)))
        return 1

    async def run(self, interval: float) -> None:
        try:
            while True:
                await self.poll_once()
                await asyncio.sleep(interval)
        finally:
            await self.dispatcher.close()


async def listener_for(
    services: Services, login: str, forward_to: str, echo: Callable[[str], None]
) -> Listener:
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
    if merchant is None:
        raise GatewayError(5, "unknown_merchant", login=login)
    return Listener(services, merchant, forward_to, echo=echo)
