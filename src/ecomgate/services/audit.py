"""The audit trail: every action taken in the dashboard or the CLI, who took it, when and
from where, appended to a table nobody changes (``AuditTrail`` has no update or delete)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomgate.domain import ids

from .context import Services
from .ports import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who acts: a back-office user (by email) from a client address, or the CLI's
    operating-system user on a host."""

    name: str
    #: dashboard | cli
    channel: str
    source: str


async def record(
    services: Services,
    actor: Actor,
    action: str,
    target: str,
    *,
    merchant_id: str | None = None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append one entry.  ``details`` say what changed; callers never put a password, a
    secret or a card number in them."""
    now = services.clock.now_ms()
    entry = AuditEntry(
        id=ids.uuid7(now),
        at=now,
        actor=actor.name,
        channel=actor.channel,
        source=actor.source,
        merchant_id=merchant_id,
        action=action,
        target=target,
        details={k: str(v) for k, v in (details or {}).items()},
    )
    async with services.uow.transaction() as repos:
        await repos.audit.append(entry)
    return entry


async def recent(
    services: Services,
    *,
    merchant_id: str | None = None,
    before_id: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first (the operators' view; ``merchant_id`` narrows it to one merchant)."""
    async with services.uow.transaction() as repos:
        return await repos.audit.recent(merchant_id=merchant_id, before_id=before_id, limit=limit)
