"""What every use case gets: storage, clock, acquirer and the gateway-wide policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecomgate.acquirers.base import Acquirer
from ecomgate.domain.money import DEFAULT_ENABLED

from .ports import Clock, Store, SystemClock


@dataclass(frozen=True)
class Policy:
    """Gateway-wide settings the use cases apply (from ``config.Settings``)."""

    enabled_currencies: frozenset[str] = frozenset(DEFAULT_ENABLED)
    public_url: str = "http://127.0.0.1:8080"
    #: UTC offset of the "bank day" used for same-day reversals, in minutes (Moscow: +180)
    bank_day_utc_offset_min: int = 180


@dataclass
class Services:
    store: Store
    acquirer: Acquirer
    policy: Policy = field(default_factory=Policy)
    clock: Clock = field(default_factory=SystemClock)
