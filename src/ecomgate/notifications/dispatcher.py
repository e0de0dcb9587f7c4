"""The dispatcher: delivers the outbox's events as callbacks (spec §4.4).

One loop per gateway process (``ecomgate serve``) or standalone (``ecomgate worker``);
any number of them may share a database.  Each pass claims due events under a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so no two dispatchers send the same attempt
at once; an event is claimed only when every earlier event of its order has been settled,
so a ``refunded`` never overtakes its ``deposited``.  The HTTP request runs outside any
transaction and is bounded by a timeout; its outcome is written with the attempt's log
line.  HTTP 200 is success; anything else, a timeout or a refused destination is a failed
attempt, retried on the schedule until it is used up (state ``failed``; ``resend`` can
still send it).  A dispatcher that dies mid-attempt loses its lease, and another one
takes the event over when the lease runs out: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import httpx

from ecomgate.domain import ids
from ecomgate.domain.merchant import Merchant
from ecomgate.services.context import Services
from ecomgate.services.ports import (
    AttemptOutcome,
    CallbackAttempt,
    DatabaseUnavailable,
    OutboxEntry,
)

from .destinations import DestinationPolicy, DestinationRefused, resolve
from .keys import callback_key
from .requests import CallbackRequest, build, skip_reason
from .signing import CallbackKey

log = logging.getLogger("ecomgate.callbacks")

DAY_MS = 86_400_000
#: how often a dispatcher deletes finished events past their retention
_PRUNE_EVERY_SECONDS = 600


@dataclass(frozen=True)
class DeliveryConfig:
    #: waits before each retry (``ECOMGATE_CALLBACK_RETRY_SECONDS``; BPC: 30 s x 3)
    retry_seconds: tuple[int, ...] = (30, 30, 30)
    #: further waits for merchants with ``callback_extended_retries`` (10·n minutes x 6)
    tail_seconds: tuple[int, ...] = (600, 1200, 1800, 2400, 3000, 3600)
    #: bound of one request, connection included (``ECOMGATE_CALLBACK_TIMEOUT_SECONDS``)
    timeout_seconds: float = 10.0
    destinations: DestinationPolicy = field(default_factory=DestinationPolicy)
    #: finished events are deleted this long after they happened
    retention_ms: int = 30 * DAY_MS
    #: requests in flight at once per dispatcher
    concurrency: int = 16
    #: obey the merchants' sandbox chaos (callbacks dropped or delayed); sandbox mode only
    sandbox_chaos: bool = False

    @property
    def lease_ms(self) -> int:
        """Long enough for one attempt and its bookkeeping, with a margin: how long the
        events of a dispatcher that died mid-attempt wait before another takes them."""
        return int(self.timeout_seconds * 1000) * 2 + 10_000

    def schedule(self, merchant: Merchant) -> tuple[int, ...]:
        if merchant.settings.callback_extended_retries:
            return self.retry_seconds + self.tail_seconds
        return self.retry_seconds


class Dispatcher:
    def __init__(
        self,
        services: Services,
        config: DeliveryConfig | None = None,
        *,
        timezone: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.services = services
        self.config = config or DeliveryConfig()
        self.zone = ZoneInfo(timezone or services.policy.timezone)
        self._http = http
        self._own_http = http is None
        self._merchants: dict[str, Merchant] = {}
        self._keys: dict[str, CallbackKey] = {}

    # -- the HTTP client ---------------------------------------------------------------
    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            t = self.config.timeout_seconds
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(t, connect=min(t, 5.0)),
                follow_redirects=False,  # a redirect is not a 200, and could lead anywhere
                # connections go to pinned addresses (destinations.py): a pooled one is
                # keyed by the address alone and could serve another host name, so none is
                # kept; proxies from the environment would bypass the address check
                limits=httpx.Limits(
                    max_connections=self.config.concurrency * 2, max_keepalive_connections=0
                ),
                trust_env=False,
                headers={"User-Agent": "EcomGate-Callbacks/1"},
            )
        return self._http

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- passes ------------------------------------------------------------------------
    async def claim(self, limit: int) -> tuple[str, list[OutboxEntry]]:
        token = uuid.uuid4().hex
        now = self.services.clock.now_ms()
        async with self.services.uow.transaction() as repos:
            entries = await repos.outbox.claim(now, now + self.config.lease_ms, token, limit)
        return token, entries

    async def run_once(self) -> int:
        """One pass: claim what is due, deliver it all, wait for the answers.  Returns how
        many events were settled or tried (tests and ``drain`` use it)."""
        token, entries = await self.claim(self.config.concurrency)
        if entries:
            self._merchants.clear()  # settings changed since the last pass are obeyed
            await asyncio.gather(*(self.deliver(e, token) for e in entries))
        return len(entries)

    async def drain(self, max_passes: int = 100) -> int:
        """Passes until nothing is due (the next event of an order becomes due only when
        the one before it is settled); bounded, for tests and one-shot use."""
        total = 0
        for _ in range(max_passes):
            done = await self.run_once()
            if not done:
                break
            total += done
        return total

    async def run(self, interval: float) -> None:
        """Deliver until cancelled, with up to ``concurrency`` requests in flight: a slow
        shop holds one slot, not the pass."""
        in_flight: dict[asyncio.Task[None], tuple[str, str]] = {}
        last_prune = time.monotonic()  # not at start-up: a process starting is busy enough
        try:
            while True:
                claimed = 0
                try:
                    free = self.config.concurrency - len(in_flight)
                    if free > 0:
                        token, entries = await self.claim(free)
                        self._merchants.clear()
                        for entry in entries:
                            task = asyncio.create_task(self._deliver_logged(entry, token))
                            in_flight[task] = (entry.id, token)
                            task.add_done_callback(lambda t: in_flight.pop(t, None))
                        claimed = len(entries)
                    if time.monotonic() - last_prune > _PRUNE_EVERY_SECONDS:
                        last_prune = time.monotonic()
                        await self.prune()
                except asyncio.CancelledError:
                    raise
                except DatabaseUnavailable as exc:
                    log.warning("callback pass skipped: %s", exc)
                except Exception:
                    log.exception("callback pass failed")
                if claimed:
                    continue
                if in_flight:
                    await asyncio.wait(
                        in_flight, timeout=interval, return_when=asyncio.FIRST_COMPLETED
                    )
                else:
                    await asyncio.sleep(interval)
        finally:
            leased = list(in_flight.values())
            for task in list(in_flight):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*in_flight, return_exceptions=True)
            # a stopping dispatcher gives its leases back: the next one need not wait them out
            with contextlib.suppress(Exception):
                async with self.services.uow.transaction() as repos:
                    for event_id, token in leased:
                        await repos.outbox.release(event_id, token)
            await self.close()

    async def prune(self, batch: int = 500) -> int:
        now = self.services.clock.now_ms()
        cutoff = now - self.config.retention_ms
        total = 0
        while True:
            async with self.services.uow.transaction() as repos:
                pruned = await repos.outbox.prune(cutoff, now, batch)
            total += pruned
            if pruned < batch:
                return total

    # -- one event ---------------------------------------------------------------------
    async def _deliver_logged(self, entry: OutboxEntry, token: str) -> None:
        try:
            await self.deliver(entry, token)
        except asyncio.CancelledError:
            raise
        except Exception:
            # the lease runs out and another pass tries again
            log.exception("callback %s (%s) could not be handled", entry.id, entry.operation)

    async def _merchant(self, merchant_id: str) -> Merchant | None:
        if merchant_id not in self._merchants:
            async with self.services.uow.transaction() as repos:
                found = await repos.merchants.get(merchant_id)
            if found is None:
                return None
            self._merchants[merchant_id] = found
        return self._merchants[merchant_id]

    async def request_for(self, entry: OutboxEntry, merchant: Merchant) -> CallbackRequest:
        key = None
        if merchant.settings.callback_signing == "rsa":
            key = self._keys.get(merchant.id)
            if key is None:
                key = self._keys[merchant.id] = await callback_key(self.services, merchant)
        return build(entry, merchant, self.zone, key)

    async def deliver(self, entry: OutboxEntry, token: str) -> CallbackAttempt | None:
        """Send one claimed event (or settle it as skipped) and record the outcome."""
        merchant = await self._merchant(entry.merchant_id)
        reason = "merchant not found" if merchant is None else skip_reason(entry, merchant)
        if merchant is None or reason is not None:
            skipped = AttemptOutcome(
                "skipped", self.services.clock.now_ms(), last_error=reason, counts=False
            )
            async with self.services.uow.transaction() as repos:
                await repos.outbox.finish(entry, token, None, skipped)
            return None
        if self.config.sandbox_chaos:
            held = await self._held_by_chaos(entry, token)
            if held:
                return None
        request = await self.request_for(entry, merchant)
        attempt = await self.send(entry, request, origin="dispatcher")
        now = self.services.clock.now_ms()
        if attempt.error is None:
            outcome = AttemptOutcome("delivered", now, delivered_at=now)
        else:
            # the first attempt, then one retry after each wait of the schedule
            schedule = self.config.schedule(merchant)
            if entry.attempts < len(schedule):
                wait_ms = schedule[entry.attempts] * 1000
                outcome = AttemptOutcome(
                    "pending", now, next_try_at=now + wait_ms, last_error=attempt.error
                )
            else:
                outcome = AttemptOutcome("failed", now, last_error=attempt.error)
                log.warning(
                    "callback %s (%s, order %s) failed %d times: %s",
                    entry.id,
                    entry.operation,
                    entry.order_id or "-",
                    entry.attempts + 1,
                    attempt.error,
                )
        async with self.services.uow.transaction() as repos:
            kept = await repos.outbox.finish(entry, token, attempt, outcome)
        if not kept:
            log.warning("callback %s: lease lost before the outcome was written", entry.id)
        return attempt

    async def _held_by_chaos(self, entry: OutboxEntry, token: str) -> bool:
        """A sandbox merchant's chaos: its callbacks dropped (settled unsent, the reason
        logged) or delayed (due again once the delay since the event has passed)."""
        async with self.services.uow.transaction() as repos:
            chaos = await repos.sandbox.chaos(entry.merchant_id)
        now = self.services.clock.now_ms()
        if chaos.callbacks == "drop":
            outcome = AttemptOutcome(
                "skipped", now, last_error="dropped by sandbox chaos", counts=False
            )
        elif chaos.callbacks == "delay" and now < entry.created_at + chaos.callback_delay_ms:
            due = entry.created_at + chaos.callback_delay_ms
            outcome = AttemptOutcome("pending", now, next_try_at=due, counts=False)
        else:
            return False
        async with self.services.uow.transaction() as repos:
            await repos.outbox.finish(entry, token, None, outcome)
        return True

    async def send(
        self, entry: OutboxEntry, request: CallbackRequest, *, origin: str
    ) -> CallbackAttempt:
        """Make the HTTP request; never raises for anything the shop's side does."""
        started_at = self.services.clock.now_ms()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                target = await resolve(request.url, self.config.destinations)
                prepared = self.http.build_request(
                    request.method,
                    target.url,
                    content=request.body,
                    headers=target.headers
                    | (
                        {"Content-Type": "application/x-www-form-urlencoded"}
                        if request.method == "POST"
                        else {}
                    ),
                    extensions=target.extensions,
                )
                response = await self.http.send(prepared, stream=True)
                await response.aclose()  # the shop's answer body is not needed
            status = response.status_code
            if status != 200:
                error = f"HTTP {status}"
        except DestinationRefused as exc:
            error = f"refused: {exc}"
        except TimeoutError:
            error = f"no answer within {self.config.timeout_seconds:g} s"
        except Exception as exc:  # whatever the shop's side or its URL did: a failed attempt
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = int((time.monotonic() - started) * 1000)
        return CallbackAttempt(
            id=ids.uuid7(started_at),
            event_id=entry.id,
            attempt=0,  # numbered when logged
            started_at=started_at,
            origin=origin,
            method=request.method,
            url=request.url_for_log,
            http_status=status,
            latency_ms=latency_ms,
            error=error,
        )
