"""Events the aggregates emit; the outbox turns them into callbacks (spec §4.1)."""

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


@dataclass(frozen=True)
class BindingEvent:
    """A stored card's event: ``bindingCreated`` or ``bindingActivityChanged``."""

    operation: str
    merchant_id: str
    binding_id: str
    client_id: str
    at: int  # epoch ms
    #: the order whose payment created the binding (bindingCreated after a payment)
    order_id: str | None = None
    status: int = 1
    #: callback parameters of the event: ``enabled``, ``panMasked``, ``email``, ``phone`` ...
    extra: dict[str, str] = field(default_factory=dict)


Event = OrderEvent | BindingEvent
