"""The ledger: every authorization, deposit, reversal and refund is a record of its own.

Order totals (``approvedAmount``, ``depositedAmount``, ``refundedAmount``) are derived from
these records and never stored twice (design convention 3).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class OperationKind(enum.StrEnum):
    AUTHORIZATION = "authorization"
    DEPOSIT = "deposit"
    REVERSAL = "reversal"
    REFUND = "refund"


class OperationState(enum.StrEnum):
    #: sent to the acquirer, answer not recorded yet; reserves its amount
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


@dataclass(frozen=True)
class SecureAuth:
    """What 3-D Secure established for an authorization (``secureAuthInfo``, spec §3.3).

    ``version``: the protocol spoken ("1.0.2" or "2.2.0"); ``trans_status``: the issuer's
    verdict (Y authenticated, A attempt, N failed, U could not authenticate); ``cavv`` the
    authentication value; ``xid`` the 3DS1 transaction id; ``ds_trans_id`` the 3DS2
    directory server's, ``server_trans_id`` the 3DS server's (threeDSServerTransId)."""

    version: str
    trans_status: str = ""
    cavv: str = ""
    xid: str = ""
    ds_trans_id: str = ""
    server_trans_id: str = ""

    @property
    def is_3ds2(self) -> bool:
        return self.version.startswith("2")

    def to_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k)}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> SecureAuth:
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


#: the 3-D Secure 2 steps an authorization waits in while the order is at the ACS (status
#: 5); None there means 3-D Secure 1 (the ACS posts a PaRes)
THREE_DS2_METHOD = "method"  # the 3DS method step: 3ds/continue.do comes next
THREE_DS2_CHALLENGE = "challenge"  # the buyer is at the challenge page: a CRes comes next


@dataclass
class Operation:
    id: str
    order_id: str
    kind: OperationKind
    state: OperationState
    amount: int
    created_at: int  # epoch ms
    action_code: int = 0
    reference_number: str | None = None
    approval_code: str | None = None
    #: idempotency key given by the shop (``externalRefundId``)
    external_id: str | None = None
    #: the connector's own id of this transaction (for its status inquiry and follow-ups)
    connector_ref: str | None = None
    #: authorizations: the terminal that answered, and the ECI of its 3-D Secure result
    terminal_id: str | None = None
    eci: str | None = None
    #: authorizations: the buyer went through the issuer's 3-D Secure page first
    three_ds: bool = False
    #: authorizations at the ACS: the 3-D Secure 2 step awaited (``THREE_DS2_*``), and the
    #: 3DS server's transaction id (threeDSServerTransId) finish3dsVer2Payment.do names
    three_ds_step: str | None = None
    three_ds_trans_id: str | None = None
    #: authorizations: the 3-D Secure result (secureAuthInfo), once answered
    secure_auth: SecureAuth | None = None
    #: when the acquirer was last asked (None while nobody is asking it, e.g. at the ACS);
    #: an unknown answer is looked up (``sync``) from here on
    sent_at: int | None = None
    #: the reconciler asks again no earlier than this (after an inconclusive ``sync``)
    next_sync_at: int | None = None
    sync_attempts: int = 0
    #: when the acquirer's answer was recorded
    settled_at: int | None = None

    @property
    def awaiting_acquirer(self) -> bool:
        """Sent to the acquirer and not answered: the reconciler's business."""
        return self.state is OperationState.PENDING and self.sent_at is not None


@dataclass(frozen=True)
class Totals:
    """What ``paymentAmountInfo`` reports (spec §2.3 bookkeeping)."""

    authorized: int  # approved authorizations
    captured: int  # approved deposits
    refunded: int  # approved refunds
    #: approved reversals, partial ones (of a hold, BPC) included
    reversed_amount: int = 0
    #: an approved reversal happened (even of 0: a VERIFY order's)
    any_reversal: bool = False
    #: refunds sent to the acquirer but not answered yet (they reserve money)
    pending_refunds: int = 0

    @property
    def reversed(self) -> bool:
        """Fully reversed: nothing of the authorization is left (spec §3.6)."""
        return self.any_reversal and self.reversed_amount >= self.authorized

    @property
    def approved_amount(self) -> int:
        return 0 if self.reversed else self.authorized - self.reversed_amount

    @property
    def deposited_amount(self) -> int:
        return 0 if self.reversed else self.captured - self.refunded

    @property
    def refundable(self) -> int:
        return self.deposited_amount - self.pending_refunds


def totals(operations: Iterable[Operation]) -> Totals:
    authorized = captured = refunded = reversed_amount = pending_refunds = 0
    any_reversal = False
    for op in operations:
        if op.state is OperationState.APPROVED:
            if op.kind is OperationKind.AUTHORIZATION:
                authorized += op.amount
            elif op.kind is OperationKind.DEPOSIT:
                captured += op.amount
            elif op.kind is OperationKind.REFUND:
                refunded += op.amount
            elif op.kind is OperationKind.REVERSAL:
                reversed_amount += op.amount
                any_reversal = True
        elif op.state is OperationState.PENDING and op.kind is OperationKind.REFUND:
            pending_refunds += op.amount
    return Totals(authorized, captured, refunded, reversed_amount, any_reversal, pending_refunds)
