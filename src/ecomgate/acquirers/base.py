"""The acquirer port ("connector"): what EcomGate asks of a card processor.

Every call takes and returns frozen dataclasses, so a connector is a pure adapter between
these shapes and its processor's wire protocol.  An answer a connector cannot interpret
must come back as ``Outcome.PENDING``, never as approval; a processor that cannot be
reached is ``AcquirerUnavailable``.  Anything else a connector raises is treated as a bug in
it (logged with its traceback; the operation stays PENDING).

Only ``services.processing`` calls a connector: it bounds every call with a timeout, passes
the gateway's operation id as the idempotency key, stores the connector's own reference on
the ledger row, and later asks ``sync`` about every operation whose answer never came.

The emulator (``acquirers/emulator``) is the first implementation; a real connector passes
the same contract suite (``tests/contract``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from ecomgate.domain.cards import mask_pan
from ecomgate.domain.merchant import THREE_DS1, THREE_DS2, THREE_DS_PROTOCOLS
from ecomgate.domain.operations import OperationKind, SecureAuth

__all__ = ["THREE_DS1", "THREE_DS2", "THREE_DS_PROTOCOLS"]  # with the types below


class Outcome(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    #: the issuer wants the cardholder authenticated first (3-D Secure); see ``challenge``
    CHALLENGE = "challenge"
    #: the processor's answer is unknown (timeout, unparseable): never treated as paid
    PENDING = "pending"


@dataclass(frozen=True, repr=False)
class CardData:
    """Card details as typed by the buyer.  Lives in memory only, never stored or logged."""

    pan: str
    expiry_year: int  # four digits
    expiry_month: int  # 1..12
    cvc: str | None
    cardholder_name: str = ""

    @property
    def masked_pan(self) -> str:
        return mask_pan(self.pan)

    def __repr__(self) -> str:  # keeps the PAN and CVC out of tracebacks and logs
        return (
            f"CardData(pan={self.masked_pan!r}, expiry={self.expiry_year}{self.expiry_month:02d})"
        )


class AcquirerUnavailable(Exception):
    """The processor could not be reached or did not answer: the outcome is unknown."""


@dataclass(frozen=True)
class AuthorizationRequest:
    order_id: str
    merchant_login: str
    amount: int  # minor units
    currency: str  # ISO 4217 numeric, e.g. "643"
    card: CardData
    #: True for registerPreAuth.do orders: hold only, deposit later
    two_phase: bool
    description: str = ""
    ip: str | None = None
    #: FORCE_TDS / FORCE_SSL features of the order
    force_3ds: bool = False
    skip_3ds: bool = False
    #: where the emulated (or real) ACS must post the cardholder back (finish3ds.do)
    term_url: str = ""
    language: str = "en"
    #: the merchant's display name, as the issuer's 3-D Secure page shows it
    merchant_name: str = ""
    #: the MD of 3-D Secure, chosen by the gateway; the ACS posts it back unchanged
    md: str = ""
    #: the protocol a card enrolled in both 3-D Secure versions is authenticated with
    #: (``THREE_DS1`` / ``THREE_DS2``: the merchant's setting or the gateway's default)
    three_ds_protocol: str = THREE_DS2
    #: 3-D Secure 2: where the ACS posts the cardholder back with the CRes
    notification_url: str = ""
    #: the gateway's id of this attempt: the idempotency key of the authorization
    operation_id: str = field(kw_only=True)


@dataclass(frozen=True)
class ThreeDSChallenge:
    """3-D Secure 1 style challenge: the browser POSTs PaReq, MD, TermUrl to acs_url."""

    acs_url: str
    pa_req: str
    md: str  # as the gateway chose it (``AuthorizationRequest.md``)


@dataclass(frozen=True)
class ThreeDS2Method:
    """3-D Secure 2, first step: the browser posts ``threeDSMethodData`` to ``method_url``
    (in a hidden frame), then the gateway continues (``ThreeDS2Continuation``)."""

    server_trans_id: str  # threeDSServerTransId
    method_url: str
    method_data: str  # base64url JSON: threeDSServerTransID, threeDSMethodNotificationURL


@dataclass(frozen=True)
class ThreeDS2Challenge:
    """3-D Secure 2 challenge: the browser posts ``creq`` to ``acs_url``; the ACS posts
    ``cres`` back to the request's ``notification_url``."""

    server_trans_id: str
    acs_url: str
    creq: str  # packedCReq


@dataclass(frozen=True)
class AuthorizationResult:
    outcome: Outcome
    action_code: int  # spec §5.4: 0 approved, otherwise the decline reason
    approval_code: str | None = None  # 6 characters, on approval
    auth_ref_num: str | None = None  # RRN, 12 digits
    terminal_id: str | None = None
    payment_system: str | None = None  # VISA, MASTERCARD, MIR, MAESTRO, ...
    eci: str | None = None
    #: CHALLENGE: exactly one of the three says what the buyer's browser does next
    challenge: ThreeDSChallenge | None = None
    three_ds2_method: ThreeDS2Method | None = None
    three_ds2_challenge: ThreeDS2Challenge | None = None
    #: the 3-D Secure result, when the card went through it (approved or declined)
    secure_auth: SecureAuth | None = None
    message: str = ""  # processor's free text, for logs and the dashboard
    #: the processor's own id of the transaction
    connector_ref: str | None = None

    @property
    def has_challenge(self) -> bool:
        return any((self.challenge, self.three_ds2_method, self.three_ds2_challenge))


@dataclass(frozen=True)
class ThreeDS2Continuation:
    """3-D Secure 2 after the method step (3ds/continue.do): authenticate the cardholder
    frictionless, or answer with a challenge (``ThreeDS2Challenge``).  Carries what the
    gateway recorded of the card: never a full card number or a CVC."""

    order_id: str
    server_trans_id: str
    masked_pan: str
    amount: int
    currency: str
    two_phase: bool
    #: the browser finished the 3DS method step (threeDSCompInd Y), or gave up on it (N)
    method_completed: bool = True
    merchant_name: str = ""
    language: str = "en"
    #: where the ACS posts the cardholder back with the CRes (a challenge)
    notification_url: str = ""
    connector_ref: str | None = None
    operation_id: str = field(kw_only=True)


@dataclass(frozen=True)
class ThreeDSCompletion:
    """What the ACS posted back: a PaRes (3-D Secure 1, finish3ds.do) or a CRes (3-D
    Secure 2, after a challenge)."""

    order_id: str
    md: str
    pa_res: str
    amount: int
    currency: str
    two_phase: bool
    #: what the connector answered with the challenge, if anything
    connector_ref: str | None = None
    #: 3-D Secure 2: the CRes and the transaction it ends (``pa_res`` is empty then)
    cres: str = ""
    server_trans_id: str = ""
    #: the authorization attempt being finished (idempotency key)
    operation_id: str = field(kw_only=True)


@dataclass(frozen=True)
class OperationRequest:
    """deposit, reverse or refund of an earlier authorization."""

    order_id: str
    amount: int
    currency: str
    auth_ref_num: str | None
    #: the connector's reference of the authorization this operation follows
    authorization_ref: str | None = None
    #: the gateway's id of this operation: the idempotency key
    operation_id: str = field(kw_only=True)


@dataclass(frozen=True)
class OperationResult:
    outcome: Outcome  # APPROVED, DECLINED or PENDING
    action_code: int
    reference_number: str | None = None  # 12 digits
    approval_code: str | None = None
    message: str = ""
    connector_ref: str | None = None


@dataclass(frozen=True)
class SyncRequest:
    """A status inquiry (PSync/RSync): what became of an operation whose answer never came?

    Carries what the gateway recorded: never a full card number or a CVC."""

    operation: OperationKind
    operation_id: str
    order_id: str
    amount: int
    currency: str
    connector_ref: str | None = None
    #: authorizations: the card as the order remembers it
    masked_pan: str = ""
    expiration: str = ""  # YYYYMM
    #: authorizations: the buyer had been through 3-D Secure
    three_ds: bool = False
    #: authorizations: the order's FORCE_TDS / FORCE_SSL features, as sent with it
    force_3ds: bool = False
    skip_3ds: bool = False
    #: deposits, reversals, refunds: the authorization they follow
    authorization_ref: str | None = None


@dataclass(frozen=True)
class SyncResult:
    """``APPROVED``/``DECLINED``: the final answer; ``PENDING``: still undecided (ask again).
    ``found`` False: the processor never received the request, so nothing happened."""

    outcome: Outcome
    action_code: int
    found: bool = True
    approval_code: str | None = None
    reference_number: str | None = None
    terminal_id: str | None = None
    eci: str | None = None
    payment_system: str | None = None
    connector_ref: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What the processor supports; the gateway refuses the rest before calling it."""

    three_ds: bool = True
    partial_deposit: bool = True
    partial_refund: bool = True
    #: reverse part of a hold, the rest staying held (BPC)
    partial_reversal: bool = True
    reverse_deposited: bool = True
    #: answers status inquiries; without it an unknown answer waits for the deadline
    sync: bool = True
    extra: dict[str, bool] = field(default_factory=dict)


class Acquirer(Protocol):
    name: str
    capabilities: Capabilities
    #: the terminal the gateway's orders are processed on (spec §3.3 ``terminalId``),
    #: known before any call: the status shows it from registration on
    terminal_id: str

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult: ...

    async def continue_3ds2(self, request: ThreeDS2Continuation) -> AuthorizationResult: ...

    async def complete_3ds(self, completion: ThreeDSCompletion) -> AuthorizationResult: ...

    async def deposit(self, request: OperationRequest) -> OperationResult: ...

    async def reverse(self, request: OperationRequest) -> OperationResult: ...

    async def refund(self, request: OperationRequest) -> OperationResult: ...

    async def sync(self, request: SyncRequest) -> SyncResult: ...
