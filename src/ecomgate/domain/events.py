"""Events an order transition emits; the outbox turns them into callbacks (spec §4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrderEvent:
    #: callback ``operation``: approved, deposited, reversed, refunded, declinedByTimeout, ...
    operation: str
    order_id: str
    #: callback ``status``: 1 the operation succeeded, 0 it failed
    status: int
    at: int  # epoch ms
    extra: dict[str, str] = field(default_factory=dict)
