"""What every use case gets: storage (through the unit of work), the processing layer, the
links, the clock and the gateway-wide policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecomgate.acquirers.base import Acquirer
from ecomgate.domain.money import DEFAULT_ENABLED

from .ports import Clock, Links, Store, SystemClock
from .processing import Processing
from .uow import UnitOfWork
from .vault import Vault


@dataclass(frozen=True)
class Policy:
    """Gateway-wide settings the use cases apply (from ``config.Settings``)."""

    enabled_currencies: frozenset[str] = frozenset(DEFAULT_ENABLED)
    #: zone of the "bank day" for same-day reversals (``ECOMGATE_TIMEZONE``), with DST
    timezone: str = "Europe/Moscow"
    #: bound of every acquirer call (``ECOMGATE_ACQUIRER_TIMEOUT_MS``)
    acquirer_timeout_ms: int = 30_000
    #: an operation whose answer never came is looked up after this long
    reconcile_after_ms: int = 60_000
    #: ... and declined (its money released) when still unknown this long after sending
    reconcile_deadline_ms: int = 900_000
    #: the 3-D Secure version the emulated issuer speaks for cards enrolled in both, unless
    #: the merchant's ``three_ds_protocol`` says otherwise (``ECOMGATE_THREE_DS_PROTOCOL``)
    three_ds_protocol: str = "3ds2"


@dataclass
class Services:
    store: Store
    acquirer: Acquirer
    links: Links
    policy: Policy = field(default_factory=Policy)
    clock: Clock = field(default_factory=SystemClock)
    #: the card vault of stored cards (bindings); None: no key configured, no bindings
    vault: Vault | None = None

    # derived on each use (two attributes each, cheap), so that a test or the sandbox
    # that swaps the clock or the acquirer is obeyed everywhere at once
    @property
    def processing(self) -> Processing:
        return Processing(self.acquirer, self.policy.acquirer_timeout_ms)

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.store, self.clock, self.vault)
