"""The order and its state machine (spec §2).

Transitions are methods that check the rules, change the order, append ledger records and
return the events they cause.  No I/O: the clock (``now`` in epoch ms) and ids are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import codes
from .codes import OrderStatus
from .errors import InvalidParameter, WrongState
from .events import OrderEvent
from .operations import Operation, OperationKind, OperationState, Totals, totals

#: statuses in which the buyer may still pay
PAYABLE = (OrderStatus.CREATED, OrderStatus.ACS)


@dataclass(frozen=True)
class CardSnapshot:
    """What an order remembers of the card: never the full PAN, never the CVC."""

    masked_pan: str
    expiration: str  # YYYYMM
    cardholder_name: str
    payment_system: str


@dataclass
class Order:
    id: str
    merchant_id: str
    order_number: str
    amount: int
    currency: str
    two_phase: bool
    created_at: int
    expires_at: int
    return_url: str
    status: OrderStatus = OrderStatus.CREATED
    action_code: int = codes.NO_ATTEMPT
    fail_url: str = ""
    description: str = ""
    language: str = "ru"
    page_view: str = "DESKTOP"
    client_id: str = ""
    binding_id: str = ""
    dynamic_callback_url: str = ""
    json_params: dict[str, str] = field(default_factory=dict)
    order_bundle: Any = None
    features: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    #: buyer IP: given at registration, or seen at payment time
    ip: str = ""
    autocompletion_at: int | None = None
    auto_reverse_at: int | None = None
    #: every other accepted registration parameter, kept as sent (postAddress, feeInput, ...)
    extra: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    card: CardSnapshot | None = None
    approval_code: str = ""
    auth_ref_num: str = ""
    terminal_id: str = ""
    auth_at: int | None = None
    eci: str = ""
    payment_way: str = "CARD"
    operations: list[Operation] = field(default_factory=list)

    # -- derived ---------------------------------------------------------------------
    @property
    def totals(self) -> Totals:
        return totals(self.operations)

    @property
    def payment_state(self) -> str:
        return codes.PAYMENT_STATE[self.status]

    def last(self, kind: OperationKind) -> Operation | None:
        for op in reversed(self.operations):
            if op.kind is kind and op.state is OperationState.APPROVED:
                return op
        return None

    def is_overdue(self, now: int) -> bool:
        """Unpaid and past its lifetime: the next look at it must expire it."""
        return self.status in PAYABLE and now >= self.expires_at

    # -- payment -----------------------------------------------------------------------
    def expire(self, now: int) -> list[OrderEvent]:
        """Spec §2.4: an unpaid order past its lifetime becomes 6 / -2007."""
        if not self.is_overdue(now):
            return []
        self._settle_pending_authorizations(codes.ORDER_EXPIRED)
        self.status = OrderStatus.DECLINED
        self.action_code = codes.ORDER_EXPIRED
        return [OrderEvent("declinedByTimeout", self.id, 0, now)]

    def ensure_payable(self, now: int) -> None:
        if self.is_overdue(now):
            raise WrongState("order_expired")
        if self.status is OrderStatus.ACS:
            raise WrongState("payment_in_progress")
        if self.status is not OrderStatus.CREATED:
            raise WrongState("order_not_payable", status=int(self.status))
        if self._pending(OperationKind.AUTHORIZATION) is not None:
            raise WrongState("payment_in_progress")

    def start_attempt(
        self, now: int, operation_id: str, card: CardSnapshot, ip: str = ""
    ) -> Operation:
        """Reserve the order for one authorization: a second concurrent attempt is refused."""
        self.ensure_payable(now)
        self.attempts += 1
        self.card = card
        if ip:
            self.ip = ip
        op = Operation(
            operation_id,
            self.id,
            OperationKind.AUTHORIZATION,
            OperationState.PENDING,
            self.amount,
            now,
            action_code=codes.NO_ATTEMPT,
        )
        self.operations.append(op)
        return op

    def enter_acs(self) -> None:
        """The card is enrolled; the buyer is at the issuer's 3-D Secure page (status 5)."""
        if self._pending(OperationKind.AUTHORIZATION) is None:
            raise WrongState("no_payment_in_progress")
        self.status = OrderStatus.ACS

    def authorization_approved(
        self,
        now: int,
        *,
        deposit_operation_id: str,
        approval_code: str,
        auth_ref_num: str,
        terminal_id: str,
        eci: str = "",
    ) -> list[OrderEvent]:
        auth = self._pending(OperationKind.AUTHORIZATION)
        if auth is None:
            raise WrongState("no_payment_in_progress")
        auth.state = OperationState.APPROVED
        auth.action_code = codes.APPROVED
        auth.approval_code = approval_code
        auth.reference_number = auth_ref_num
        self.action_code = codes.APPROVED
        self.approval_code = approval_code
        self.auth_ref_num = auth_ref_num
        self.terminal_id = terminal_id
        self.auth_at = now
        self.eci = eci
        if self.two_phase:
            self.status = OrderStatus.APPROVED
            return [OrderEvent("approved", self.id, 1, now)]
        self.operations.append(
            Operation(
                deposit_operation_id,
                self.id,
                OperationKind.DEPOSIT,
                OperationState.APPROVED,
                self.amount,
                now,
                reference_number=auth_ref_num,
                approval_code=approval_code,
            )
        )
        self.status = OrderStatus.DEPOSITED
        return [OrderEvent("deposited", self.id, 1, now)]

    def authorization_declined(
        self, now: int, action_code: int, max_attempts: int, terminal_id: str = ""
    ) -> list[OrderEvent]:
        """A declined attempt: the order stays payable while attempts remain (spec §2.5)."""
        auth = self._pending(OperationKind.AUTHORIZATION)
        if auth is None:
            raise WrongState("no_payment_in_progress")
        auth.state = OperationState.DECLINED
        auth.action_code = action_code
        self.action_code = action_code
        if terminal_id:
            self.terminal_id = terminal_id
        if self.attempts < max_attempts and now < self.expires_at:
            self.status = OrderStatus.CREATED
            return []
        self.status = OrderStatus.DECLINED
        operation = "approved" if self.two_phase else "deposited"
        return [OrderEvent(operation, self.id, 0, now)]

    def attempts_left(self, max_attempts: int) -> int:
        return max(0, max_attempts - self.attempts)

    # -- merchant operations -----------------------------------------------------------
    def decline(self, now: int) -> list[OrderEvent]:
        """decline.do: cancel an order nobody has paid (status 0 or 5 -> 6)."""
        if self.status not in PAYABLE:
            raise WrongState("order_not_declinable", status=int(self.status))
        self._settle_pending_authorizations(codes.DECLINED_BY_MERCHANT)
        self.status = OrderStatus.DECLINED
        self.action_code = codes.DECLINED_BY_MERCHANT
        return []

    def check_deposit(self, amount: int, *, partial_allowed: bool) -> int:
        """The amount a deposit.do of ``amount`` (0 = all) would capture, or an error."""
        if self.status is not OrderStatus.APPROVED:
            raise WrongState("deposit_wrong_state", status=int(self.status))
        held = self.totals.approved_amount
        if amount == 0:
            return held
        if amount > held:
            raise InvalidParameter("amount", "deposit_exceeds_hold", held=held)
        if amount < held and not partial_allowed:
            raise InvalidParameter("amount", "partial_deposit_forbidden", held=held)
        return amount

    def deposit(self, now: int, operation: Operation) -> list[OrderEvent]:
        """A partial capture is final: the rest of the hold is released (spec §2.3)."""
        self.operations.append(operation)
        if operation.state is OperationState.APPROVED:
            self.status = OrderStatus.DEPOSITED
            self.action_code = codes.APPROVED
            return [OrderEvent("deposited", self.id, 1, now)]
        return []

    def check_reverse(self, now: int, *, deposited_allowed: bool, bank_day_start: int) -> int:
        """The amount reverse.do would cancel, or an error (spec §3.6)."""
        t = self.totals
        if t.reversed:
            raise WrongState("already_reversed")
        if self.status is OrderStatus.APPROVED:
            return t.approved_amount
        if self.status is OrderStatus.DEPOSITED:
            if not deposited_allowed:
                raise WrongState("reverse_deposited_forbidden")
            deposit = self.last(OperationKind.DEPOSIT)
            if deposit is None or deposit.created_at < bank_day_start:
                raise WrongState("reverse_not_same_day")
            return t.deposited_amount
        raise WrongState("reverse_wrong_state", status=int(self.status))

    def reverse(self, now: int, operation: Operation) -> list[OrderEvent]:
        self.operations.append(operation)
        if operation.state is OperationState.APPROVED:
            self.status = OrderStatus.REVERSED
            self.action_code = codes.APPROVED
            return [OrderEvent("reversed", self.id, 1, now)]
        return []

    def check_refund(self, amount: int, expected_deposited: int | None = None) -> int:
        """The amount refund.do of ``amount`` (0 = everything left) would return."""
        if self.status not in (OrderStatus.DEPOSITED, OrderStatus.REFUNDED):
            raise WrongState("refund_wrong_state", status=int(self.status))
        t = self.totals
        if expected_deposited is not None and expected_deposited != t.deposited_amount:
            raise WrongState(
                "expected_deposited_mismatch",
                expected=expected_deposited,
                deposited=t.deposited_amount,
            )
        left = t.refundable
        if left <= 0:
            raise WrongState("nothing_to_refund")
        if amount == 0:
            return left
        if amount > left:
            raise WrongState("refund_exceeds_deposit", deposited=left)
        return amount

    def refund(self, now: int, operation: Operation) -> list[OrderEvent]:
        if operation not in self.operations:
            self.operations.append(operation)
        if operation.state is OperationState.APPROVED:
            self.status = OrderStatus.REFUNDED
            self.action_code = codes.APPROVED
            return [
                OrderEvent(
                    "refunded",
                    self.id,
                    1,
                    now,
                    {
                        "operationRefundedAmount": str(operation.amount),
                        "externalRefundId": operation.external_id or "",
                    },
                )
            ]
        return []

    def find_refund(self, external_id: str) -> Operation | None:
        for op in self.operations:
            if op.kind is OperationKind.REFUND and op.external_id == external_id:
                return op
        return None

    # -- helpers -----------------------------------------------------------------------
    def _pending(self, kind: OperationKind) -> Operation | None:
        for op in reversed(self.operations):
            if op.kind is kind and op.state is OperationState.PENDING:
                return op
        return None

    def _settle_pending_authorizations(self, action_code: int) -> None:
        for op in self.operations:
            if op.kind is OperationKind.AUTHORIZATION and op.state is OperationState.PENDING:
                op.state = OperationState.DECLINED
                op.action_code = action_code
