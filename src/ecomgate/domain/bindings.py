"""Stored credentials ("bindings", spec §3.10): a card kept for one merchant's customer.

A binding links a card to the merchant-side customer id ``clientId``.  The card itself (PAN
and expiry) never appears here in clear: the aggregate carries the vault's sealed record
(``SealedCard``, opaque bytes tagged with their key id) and, once the service layer has
opened it, the expiry in memory.  The rules (whose binding is it, may it pay, has it
expired, enable/disable/extend) live here; no I/O, ``now`` is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import GatewayError, InvalidParameter
from .events import BindingEvent

COMMON = "COMMON"
RECURRENT = "RECURRENT"
INSTALLMENT = "INSTALLMENT"
#: spec §3.10 ``bindingType`` letters
CATEGORY_BY_LETTER = {"C": COMMON, "R": RECURRENT, "I": INSTALLMENT}

_YYYYMM = re.compile(r"(\d{4})(0[1-9]|1[0-2])", re.ASCII)


class BindingNotFound(GatewayError):
    """Unknown, foreign (another merchant's or another client's) or unusable binding.

    One error for all of them, so a caller cannot tell a foreign binding from an unknown
    one.  ``code`` is 2 for bindCard/unBindCard/extendBinding, 5 where the spec says 5."""

    def __init__(self, code: int = 5) -> None:
        super().__init__(code, "binding_not_found")


class BindingStateError(GatewayError):
    """bindCard.do on an active binding, unBindCard.do on an inactive one (errorCode 2)."""

    def __init__(self, key: str) -> None:
        super().__init__(2, key)


@dataclass(frozen=True, repr=False)
class SealedCard:
    """A card as the vault keeps it: AES-256-GCM ciphertext of the PAN and expiry, the key
    that sealed it, and a keyed hash (HMAC) of the PAN for lookups.  Opaque here."""

    key_id: str
    nonce: bytes
    ciphertext: bytes
    pan_hash: str

    def __repr__(self) -> str:
        return f"SealedCard(key_id={self.key_id!r})"


def parse_yyyymm(text: str) -> tuple[int, int] | None:
    match = _YYYYMM.fullmatch(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def expired(expiry: str, now: int) -> bool:
    """A card is valid through the last day of its expiry month (UTC)."""
    parsed = parse_yyyymm(expiry)
    if parsed is None:
        return True
    year, month = parsed
    today = datetime.fromtimestamp(now / 1000, UTC)
    return (today.year, today.month) > (year, month)


@dataclass
class Binding:
    id: str
    merchant_id: str
    client_id: str
    masked_pan: str
    payment_system: str
    created_at: int
    sealed: SealedCard
    #: YYYYMM, known once the vault has opened ``sealed`` ("" before)
    expiry: str = ""
    cardholder_name: str = ""
    category: str = COMMON
    enabled: bool = True
    #: False while the payment that creates it has not been approved: such a binding is
    #: invisible and unusable, and never announced
    confirmed: bool = True
    #: the order whose payment stored the card (None for createBindingNoPayment.do)
    order_id: str | None = None
    email: str = ""
    phone: str = ""
    updated_at: int = 0
    _events: list[BindingEvent] = field(default_factory=list, init=False, repr=False, compare=False)

    # -- events ------------------------------------------------------------------------
    def take_events(self) -> list[BindingEvent]:
        events, self._events = self._events, []
        return events

    def created_event(self, now: int) -> BindingEvent:
        """``bindingCreated`` (spec §4.1): the masked PAN, never the card."""
        extra = {"panMasked": self.masked_pan}
        if self.email:
            extra["email"] = self.email
        if self.phone:
            extra["phone"] = self.phone
        return BindingEvent(
            "bindingCreated",
            self.merchant_id,
            self.id,
            self.client_id,
            now,
            order_id=self.order_id,
            extra=extra,
        )

    def _activity_changed(self, now: int) -> None:
        self._events.append(
            BindingEvent(
                "bindingActivityChanged",
                self.merchant_id,
                self.id,
                self.client_id,
                now,
                extra={"enabled": "true" if self.enabled else "false"},
            )
        )

    # -- rules -------------------------------------------------------------------------
    def belongs_to(self, merchant_id: str, client_id: str | None = None) -> bool:
        """The merchant's (and, when given, that client's) confirmed binding."""
        if not self.confirmed or self.merchant_id != merchant_id:
            return False
        return client_id is None or self.client_id == client_id

    def is_expired(self, now: int) -> bool:
        return expired(self.expiry, now)

    def ensure_usable(self, now: int, client_id: str) -> None:
        """May pay an order of ``client_id``: enabled, unexpired, that client's.  Refused
        like an unknown binding (errorCode 5, spec §3.10 paymentOrderBinding.do)."""
        if self.client_id != client_id or not self.enabled or self.is_expired(now):
            raise BindingNotFound(5)

    def confirm(self, now: int) -> BindingEvent:
        """The creating payment was approved: the binding exists from now on."""
        self.confirmed = True
        self.updated_at = now
        return self.created_event(now)

    def disable(self, now: int) -> None:
        """unBindCard.do."""
        if not self.enabled:
            raise BindingStateError("binding_not_active")
        self.enabled = False
        self.updated_at = now
        self._activity_changed(now)

    def enable(self, now: int) -> None:
        """bindCard.do."""
        if self.enabled:
            raise BindingStateError("binding_active")
        self.enabled = True
        self.updated_at = now
        self._activity_changed(now)

    def check_new_expiry(self, new_expiry: str, now: int) -> None:
        """extendBinding.do: a well-formed, not already past YYYYMM; the binding active."""
        if not self.enabled:
            raise BindingNotFound(2)
        if parse_yyyymm(new_expiry) is None or expired(new_expiry, now):
            raise InvalidParameter("newExpiry", "bad_new_expiry")


def category_for(features: tuple[str, ...], json_params: dict[str, str]) -> str:
    """The category of a binding an order creates: RECURRENT for auto payments or a
    recurring schedule, INSTALLMENT for installments, else COMMON."""
    if "installments" in json_params:
        return INSTALLMENT
    if "AUTO_PAYMENT" in features or "recurringFrequency" in json_params:
        return RECURRENT
    return COMMON
