"""The delivery log and resend: the use cases behind ``ecomgate callbacks`` and the
sandbox's callback methods."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant
from ecomgate.services.context import Services
from ecomgate.services.ports import AttemptOutcome, CallbackAttempt, OutboxEntry, OutboxQuery

from .dispatcher import Dispatcher
from .requests import skip_reason


@dataclass(frozen=True)
class CallbackLog:
    """An event and every attempt to deliver it."""

    event: OutboxEntry
    attempts: list[CallbackAttempt]


async def find_events(
    services: Services,
    *,
    merchant: Merchant | None = None,
    order_id: str | None = None,
    failed_only: bool = False,
    limit: int = 50,
) -> list[OutboxEntry]:
    """Newest first; ``merchant`` None: every merchant's (the operator's CLI)."""
    query = OutboxQuery(
        merchant_id=merchant.id if merchant else None,
        order_id=order_id,
        failed_only=failed_only,
        limit=limit,
    )
    async with services.uow.transaction() as repos:
        return await repos.outbox.find(query)


async def find_logs(services: Services, *, merchant: Merchant, order_id: str) -> list[CallbackLog]:
    """An order's callbacks with their attempts, in the order of its operations."""
    events = await find_events(services, merchant=merchant, order_id=order_id, limit=500)
    logs = []
    async with services.uow.transaction() as repos:
        for event in sorted(events, key=lambda e: e.stream_seq):
            logs.append(CallbackLog(event, await repos.outbox.attempts(event.id)))
    return logs


async def show(
    services: Services, event_id: str, *, merchant: Merchant | None = None
) -> CallbackLog:
    async with services.uow.transaction() as repos:
        event = await repos.outbox.get(event_id)
        # another merchant's callback is as unknown as a missing one
        if event is None or (merchant is not None and event.merchant_id != merchant.id):
            raise GatewayError(6, "unknown_callback", event_id=event_id)
        return CallbackLog(event, await repos.outbox.attempts(event_id))


async def resend(
    services: Services,
    dispatcher: Dispatcher,
    event_id: str,
    *,
    merchant: Merchant | None = None,
) -> CallbackAttempt:
    """Send the callback once more, now, whatever its state, with the merchant's current
    settings; the answer is logged like any attempt.  A success marks it delivered; a
    failure leaves its state (and retry schedule) as it was."""
    log = await show(services, event_id, merchant=merchant)
    token = uuid.uuid4().hex
    now = services.clock.now_ms()
    async with services.uow.transaction() as repos:
        # the order's callbacks arrive in the order of its operations, resent ones too
        if await repos.outbox.earlier_pending(log.event):
            raise GatewayError(7, "callback_behind_earlier", event_id=event_id)
        event = await repos.outbox.lease(event_id, now, now + dispatcher.config.lease_ms, token)
        owner = await repos.merchants.get(log.event.merchant_id)
    if event is None:
        raise GatewayError(7, "callback_in_delivery", event_id=event_id)
    assert owner is not None  # a foreign key guarantees the merchant
    reason = skip_reason(event, owner)
    if reason is not None:
        async with services.uow.transaction() as repos:
            await repos.outbox.finish(event, token, None, _unchanged(event, counts=False))
        raise GatewayError(5, "callback_not_sendable", event_id=event_id, reason=reason)
    request = await dispatcher.request_for(event, owner)
    attempt = await dispatcher.send(event, request, origin="resend")
    now = services.clock.now_ms()
    if attempt.error is None:
        outcome = AttemptOutcome("delivered", now, delivered_at=now, counts=False)
    else:
        outcome = _unchanged(event, counts=False, error=attempt.error)
    async with services.uow.transaction() as repos:
        await repos.outbox.finish(event, token, attempt, outcome)
    return attempt


def _unchanged(event: OutboxEntry, *, counts: bool, error: str | None = None) -> AttemptOutcome:
    # a settled event keeps its settling time: a failed resend does not extend its retention
    return AttemptOutcome(
        event.state,
        event.settled_at or event.created_at,
        next_try_at=event.next_try_at,
        delivered_at=event.delivered_at,
        last_error=error if error is not None else event.last_error,
        counts=counts,
    )
