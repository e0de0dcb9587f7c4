"""The order and its state machine (spec §2).

Transitions are methods that check the rules, change the order, append ledger records and
record the events they cause on the aggregate (``take_events``); the unit of work writes
them to the outbox with the order.  No I/O: the clock (``now`` in epoch ms) and ids are
passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import codes
from .cards import UNKNOWN as UNKNOWN_SYSTEM
from .codes import OrderStatus
from .errors import AttemptsExhausted, InvalidParameter, OperationForbidden, WrongState
from .events import BindingEvent, Event, OrderEvent
from .money import CURRENCIES
from .operations import (
    THREE_DS2_CHALLENGE,
    THREE_DS2_METHOD,
    Operation,
    OperationKind,
    OperationState,
    SecureAuth,
    Totals,
    totals,
)

#: action codes of attempts the gateway closed itself, without the acquirer's answer
_CLOSED_BY_THE_GATEWAY = (codes.ORDER_EXPIRED, codes.DECLINED_BY_MERCHANT)

#: callback ``operation`` of each kind of ledger operation (spec §4.1)
_CALLBACK_OPERATION = {
    OperationKind.AUTHORIZATION: "approved",
    OperationKind.DEPOSIT: "deposited",
    OperationKind.REVERSAL: "reversed",
    OperationKind.REFUND: "refunded",
}

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
    payment_way: str = "CARD"
    operations: list[Operation] = field(default_factory=list)
    #: events recorded by transitions, not yet written to the outbox
    _events: list[Event] = field(default_factory=list, init=False, repr=False, compare=False)

    # -- events ------------------------------------------------------------------------
    def _record(self, operation: str, status: int, now: int, **extra: str) -> None:
        self._events.append(OrderEvent(operation, self.id, status, now, extra))

    def take_events(self) -> list[Event]:
        """The events recorded since the last call (the unit of work writes them): the
        order's own, and ``bindingCreated`` of a binding its payment stored."""
        events, self._events = self._events, []
        return events

    def binding_created(self, event: BindingEvent) -> None:
        """The payment stored the card as binding ``event.binding_id``: the order reports
        it (``bindingInfo``) and the event is written in the order's transaction."""
        self.binding_id = event.binding_id
        self._events.append(event)

    def add_params(self, params: dict[str, str]) -> None:
        """addParams.do: the pairs join (and overwrite) the order's jsonParams."""
        self.json_params = {**self.json_params, **params}

    @property
    def registered_binding_id(self) -> str:
        """The ``bindingId`` of register.do: the only card this order may be paid with."""
        return str(self.extra.get("bindingId", ""))

    def pay_with_card(self) -> None:
        """A typed card after a declined attempt with a stored one: the order is no longer
        paid with that binding.  Refused for an order registered with ``bindingId``."""
        if self.registered_binding_id:
            raise InvalidParameter("bindingId", "order_needs_binding")
        if self.binding_id:
            self.binding_id = ""
            self.payment_way = self.json_params.get("paymentWay", "CARD")

    @property
    def fee(self) -> int:
        """``feeInput`` of the registration (minor units; spec §3.3 ``feeAmount``)."""
        return int(self.extra.get("feeInput") or 0)

    @property
    def verification(self) -> bool:
        """features=VERIFY: the card is checked, nothing is charged (spec §3.1)."""
        return "VERIFY" in self.features

    # -- derived ---------------------------------------------------------------------
    @property
    def totals(self) -> Totals:
        return totals(self.operations)

    @property
    def payment_state(self) -> str:
        return codes.PAYMENT_STATE[self.status]

    @property
    def authorization(self) -> Operation | None:
        """The latest authorization attempt the acquirer answered (approved or declined);
        one closed by the order's expiry or by decline.do was never answered."""
        for op in reversed(self.operations):
            if (
                op.kind is OperationKind.AUTHORIZATION
                and op.state is not OperationState.PENDING
                and op.action_code not in _CLOSED_BY_THE_GATEWAY
            ):
                return op
        return None

    @property
    def approved_authorization(self) -> Operation | None:
        return self.last(OperationKind.AUTHORIZATION)

    # what the status reports of the authorization, read from the ledger (stored once)
    @property
    def approval_code(self) -> str:
        auth = self.approved_authorization
        return (auth.approval_code or "") if auth else ""

    @property
    def auth_ref_num(self) -> str:
        auth = self.authorization
        return (auth.reference_number or "") if auth else ""

    @property
    def auth_at(self) -> int | None:
        auth = self.approved_authorization
        return auth.settled_at if auth else None

    @property
    def eci(self) -> str:
        auth = self.approved_authorization
        return (auth.eci or "") if auth else ""

    @property
    def secure_auth(self) -> tuple[str, SecureAuth] | None:
        """The ECI and 3-D Secure result of the latest answered authorization, if it went
        through 3-D Secure (approved or not: a failed authentication is reported too)."""
        auth = self.authorization
        if auth is None or auth.secure_auth is None:
            return None
        return auth.eci or "", auth.secure_auth

    @property
    def terminal_id(self) -> str:
        for op in reversed(self.operations):
            if op.kind is OperationKind.AUTHORIZATION and op.terminal_id:
                return op.terminal_id
        return ""

    def operation(self, operation_id: str) -> Operation:
        return self._operation(operation_id)

    def last(self, kind: OperationKind) -> Operation | None:
        for op in reversed(self.operations):
            if op.kind is kind and op.state is OperationState.APPROVED:
                return op
        return None

    @property
    def payment_in_progress(self) -> bool:
        """An authorization was sent and its answer is not recorded yet (at the ACS, being
        authorised right now, or the acquirer's answer was unknown)."""
        return self._pending(OperationKind.AUTHORIZATION) is not None

    @property
    def authorizing(self) -> bool:
        """The acquirer holds the card right now (or gave no answer): only its answer may
        decide the order, never the clock, or a charged card could meet a declined order.
        A buyer at the ACS page (status 5) is not this: that order may still expire."""
        return self.status is OrderStatus.CREATED and self.payment_in_progress

    def is_overdue(self, now: int) -> bool:
        """Unpaid and past its lifetime: the next look at it must expire it."""
        return self.status in PAYABLE and now >= self.expires_at and not self.authorizing

    # -- payment -----------------------------------------------------------------------
    def expire(self, now: int) -> bool:
        """Spec §2.4: an unpaid order past its lifetime becomes 6 / -2007; True if it did."""
        if not self.is_overdue(now):
            return False
        self._settle_pending_authorizations(codes.ORDER_EXPIRED, now)
        self.status = OrderStatus.DECLINED
        self.action_code = codes.ORDER_EXPIRED
        self._record("declinedByTimeout", 0, now)
        return True

    def end_lifetime(self, now: int) -> None:
        """Sandbox control: the lifetime ends now, and the unpaid order expires.  Refused
        (nothing changes) while the acquirer holds the card: only its answer may decide."""
        if self.authorizing:
            raise WrongState("payment_in_progress")
        if self.status not in PAYABLE:
            raise WrongState("order_not_payable", status=int(self.status))
        self.expires_at = min(self.expires_at, now)
        self.expire(now)

    @property
    def expired(self) -> bool:
        return self.status is OrderStatus.DECLINED and self.action_code == codes.ORDER_EXPIRED

    def _refuse_if_expired(self) -> None:
        if self.expired:
            raise WrongState("order_expired")

    def ensure_payable(self, now: int) -> None:
        self._refuse_if_expired()
        if self.is_overdue(now):
            raise WrongState("order_expired")
        if self.status is OrderStatus.ACS:
            raise WrongState("payment_in_progress")
        if self.attempts_used_up:
            raise AttemptsExhausted()
        if self.status is not OrderStatus.CREATED:
            raise WrongState("order_not_payable", status=int(self.status))
        if self._pending(OperationKind.AUTHORIZATION) is not None:
            raise WrongState("payment_in_progress")

    def start_attempt(
        self, now: int, operation_id: str, card: CardSnapshot, ip: str = "", email: str = ""
    ) -> Operation:
        """Reserve the order for one authorization: a second concurrent attempt is refused.
        ``email``: the receipt address the buyer typed on the page, kept for payerData."""
        self.ensure_payable(now)
        self.attempts += 1
        self.card = card
        if ip:
            self.ip = ip
        if email:
            self.email = email
        op = Operation(
            operation_id,
            self.id,
            OperationKind.AUTHORIZATION,
            OperationState.PENDING,
            self.amount,
            now,
            action_code=codes.NO_ATTEMPT,
            sent_at=now,
        )
        self.operations.append(op)
        return op

    def enter_acs(
        self,
        connector_ref: str | None = None,
        *,
        step: str | None = None,
        trans_id: str | None = None,
    ) -> None:
        """The card is enrolled; the buyer is at the issuer's 3-D Secure page (status 5).
        Nobody is asking the acquirer meanwhile: the buyer, not it, owes the next step.
        ``step``: None for 3-D Secure 1 (a PaRes comes back), else the 3-D Secure 2 step
        awaited (``THREE_DS2_METHOD``, ``THREE_DS2_CHALLENGE``), with the 3DS server's
        ``trans_id``."""
        auth = self._pending(OperationKind.AUTHORIZATION)
        if auth is None or self.status is not OrderStatus.CREATED:
            raise WrongState("no_payment_in_progress")
        auth.three_ds = True
        auth.sent_at = None
        auth.three_ds_step = step
        if trans_id:
            auth.three_ds_trans_id = trans_id
        if connector_ref:
            auth.connector_ref = connector_ref
        self.status = OrderStatus.ACS

    @property
    def at_acs(self) -> Operation | None:
        """The authorization waiting for the buyer at the ACS (status 5), if one: its
        ``three_ds_step`` says which 3-D Secure step (None: 3DS1)."""
        if self.status is not OrderStatus.ACS:
            return None
        return self._pending(OperationKind.AUTHORIZATION)

    def claim_3ds_return(self, now: int, step: str | None = None) -> Operation:
        """The ACS sent the buyer back (or, 3-D Secure 2, the method step is over): the
        authorization goes to the acquirer again (status 0, authorizing), so that a second
        concurrent return cannot finish it too.  ``step`` is what the caller brings back
        (None: a 3DS1 PaRes); an order waiting for another step is refused."""
        auth = self._pending(OperationKind.AUTHORIZATION)
        if self.status is not OrderStatus.ACS or auth is None:
            raise WrongState("no_payment_in_progress")
        if auth.three_ds_step != step:
            key = {
                None: "three_ds1_not_awaited",
                THREE_DS2_METHOD: "three_ds2_method_not_awaited",
                THREE_DS2_CHALLENGE: "three_ds2_challenge_not_awaited",
            }.get(step, "wrong_state")
            raise WrongState(key)
        self.status = OrderStatus.CREATED
        auth.sent_at = now
        auth.three_ds_step = None
        return auth

    def authorization_unknown(self) -> None:
        """The acquirer's answer did not come: the attempt stays open (status 0) until the
        reconciler learns the outcome.  Never success."""
        if self._pending(OperationKind.AUTHORIZATION) is None:
            raise WrongState("no_payment_in_progress")
        self.action_code = codes.PROCESSING_TIMEOUT

    def update_payment_system(self, payment_system: str | None) -> None:
        """The acquirer knows the card's brand better than the BIN ranges do."""
        if not payment_system or payment_system == UNKNOWN_SYSTEM or self.card is None:
            return
        if payment_system != self.card.payment_system:
            self.card = replace(self.card, payment_system=payment_system)

    def authorization_approved(
        self,
        now: int,
        *,
        deposit_operation_id: str,
        approval_code: str,
        auth_ref_num: str,
        terminal_id: str,
        eci: str = "",
        connector_ref: str | None = None,
        secure_auth: SecureAuth | None = None,
    ) -> None:
        auth = self._pending(OperationKind.AUTHORIZATION)
        if auth is None:
            raise WrongState("no_payment_in_progress")
        auth.state = OperationState.APPROVED
        auth.secure_auth = secure_auth
        auth.action_code = codes.APPROVED
        auth.approval_code = approval_code
        auth.reference_number = auth_ref_num
        auth.terminal_id = terminal_id or None
        auth.eci = eci or None
        auth.settled_at = now
        if connector_ref:
            auth.connector_ref = connector_ref
        self.action_code = codes.APPROVED
        if self.verification:
            # spec §3.1: a verification ends REVERSED (status 3), never DEPOSITED; nothing
            # was charged, so the reversal is the ledger's record only
            self.operations.append(
                Operation(
                    deposit_operation_id,
                    self.id,
                    OperationKind.REVERSAL,
                    OperationState.APPROVED,
                    self.amount,
                    now,
                    reference_number=auth_ref_num,
                    settled_at=now,
                )
            )
            self.status = OrderStatus.REVERSED
            self._record("reversed", 1, now)
            return
        if self.two_phase:
            self.status = OrderStatus.APPROVED
            self._record("approved", 1, now)
            return
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
                connector_ref=auth.connector_ref,
                settled_at=now,
            )
        )
        self.status = OrderStatus.DEPOSITED
        self._record("deposited", 1, now)

    def authorization_declined(
        self,
        now: int,
        action_code: int,
        max_attempts: int,
        terminal_id: str = "",
        auth_ref_num: str = "",
        connector_ref: str | None = None,
        *,
        eci: str = "",
        secure_auth: SecureAuth | None = None,
    ) -> None:
        """A declined attempt: the order stays payable while attempts remain (spec §2.5).
        ``auth_ref_num``: the RRN of an issuer's decline (none for card-data or 3-DS ones);
        ``secure_auth``: a failed 3-D Secure authentication's result, reported too."""
        auth = self._pending(OperationKind.AUTHORIZATION)
        if auth is None:
            raise WrongState("no_payment_in_progress")
        auth.state = OperationState.DECLINED
        auth.secure_auth = secure_auth
        auth.eci = eci or None
        auth.action_code = action_code
        auth.reference_number = auth_ref_num or None
        auth.terminal_id = terminal_id or None
        auth.settled_at = now
        if connector_ref:
            auth.connector_ref = connector_ref
        self.action_code = action_code
        # every declined card payment is a failure callback of its own (spec §4.1)
        self._record("declinedCardpresent", 0, now)
        if self.attempts < max_attempts and now < self.expires_at:
            self.status = OrderStatus.CREATED
            return
        self.status = OrderStatus.DECLINED
        self._record(self._payment_operation, 0, now)

    @property
    def _payment_operation(self) -> str:
        """The callback operation of this order's payment: a hold, or a charge."""
        return "approved" if self.two_phase else "deposited"

    @property
    def attempts_used_up(self) -> bool:
        """Declined by its last declined attempt (spec §2.5), not by its lifetime's end or
        by decline.do: a further attempt is answered with actionCode -2013."""
        auth = self.authorization
        return (
            self.status is OrderStatus.DECLINED
            and self.action_code not in _CLOSED_BY_THE_GATEWAY
            and auth is not None
            and auth.state is OperationState.DECLINED
        )

    def attempts_left(self, max_attempts: int) -> int:
        return max(0, max_attempts - self.attempts)

    # -- merchant operations -----------------------------------------------------------
    #
    # deposit.do, reverse.do and refund.do run in two steps so that no database lock is held
    # while the acquirer answers: ``check_*`` + ``reserve`` append a PENDING ledger record
    # (which already blocks conflicting operations and, for refunds, reserves the money);
    # ``settle`` records the acquirer's answer later.  An unknown answer leaves it PENDING.

    def decline(self, now: int) -> None:
        """decline.do: cancel an order nobody has paid (status 0 or 5 -> 6)."""
        if self.status not in PAYABLE:
            raise WrongState("order_not_declinable", status=int(self.status))
        if self.status is OrderStatus.CREATED and self._pending(OperationKind.AUTHORIZATION):
            # the acquirer is being asked right now: its answer must find the attempt open
            raise WrongState("payment_in_progress")
        self._settle_pending_authorizations(codes.DECLINED_BY_MERCHANT, now)
        self.status = OrderStatus.DECLINED
        self.action_code = codes.DECLINED_BY_MERCHANT

    def check_currency(self, currency: str | None) -> None:
        if currency is not None and currency != self.currency:
            raise InvalidParameter("currency", "currency_mismatch", currency=self.currency)

    def check_deposit(
        self, amount: int, *, partial_allowed: bool, partial_supported: bool = True
    ) -> int:
        """The amount a deposit.do of ``amount`` (0 = all) would capture, or an error.
        ``partial_allowed``: the merchant's permission (refused: 5); ``partial_supported``:
        the acquirer's capability (refused: 7, the operation is impossible, spec §3.6)."""
        self._refuse_if_expired()
        if self.status is not OrderStatus.APPROVED:
            raise WrongState("deposit_wrong_state", status=int(self.status))
        if self._in_flight(OperationKind.DEPOSIT, OperationKind.REVERSAL):
            raise WrongState("operation_in_progress")
        held = self.totals.approved_amount
        if amount == 0:
            return held
        self._check_minimum(amount)
        if amount > held:
            raise InvalidParameter("amount", "deposit_exceeds_hold", held=held)
        if amount < held and not partial_supported:
            raise WrongState("partial_deposit_unsupported", held=held)
        if amount < held and not partial_allowed:
            raise OperationForbidden("partial_deposit_forbidden", held=held)
        return amount

    def check_reverse(
        self,
        amount: int | None,
        *,
        deposited_allowed: bool,
        bank_day_start: int,
        deposited_supported: bool = True,
        partial_supported: bool = True,
    ) -> int:
        """The amount reverse.do would cancel, or an error (spec §3.6): a hold (status 1),
        in full or, with ``amount`` below what is held, in part (BPC: the rest stays held,
        to capture or reverse later); or a one-stage payment (status 2) on its bank day
        with the permission, in full only.

        A failed reversal cannot be retried (spec §3.6), nor can a reversed order be
        reversed again.  Every refusal for the order's state is 7 (spec §3.6), checked
        before the merchant's permission (5): a payment of an earlier bank day cannot be
        reversed by anyone."""
        self._refuse_if_expired()
        if self.status is OrderStatus.REVERSED or any(
            op.kind is OperationKind.REVERSAL and op.state is OperationState.DECLINED
            for op in self.operations
        ):
            raise WrongState("already_reversed")
        if self._in_flight(OperationKind.DEPOSIT, OperationKind.REVERSAL, OperationKind.REFUND):
            raise WrongState("operation_in_progress")
        t = self.totals
        if self.status is OrderStatus.APPROVED:
            held = t.approved_amount
            if not amount or amount == held:
                return held
            self._check_minimum(amount)
            if amount > held:
                raise InvalidParameter("amount", "reverse_exceeds_hold", held=held)
            if not partial_supported:
                raise WrongState("partial_reverse_unsupported", full=held)
            return amount
        if self.status is OrderStatus.DEPOSITED and not self.two_phase:
            # a paid one-stage order; a captured hold is final (refund it instead)
            deposit = self.last(OperationKind.DEPOSIT)
            if deposit is None or deposit.created_at < bank_day_start:
                raise WrongState("reverse_not_same_day")
            if not deposited_supported:
                raise WrongState("reverse_deposited_unsupported")
            if not deposited_allowed:
                raise OperationForbidden("reverse_deposited_forbidden")
            full = t.deposited_amount
            if amount and amount != full:
                # partial reversal is of a hold only; a payment is returned by refund.do
                raise InvalidParameter("amount", "partial_reverse_of_payment", full=full)
            return full
        raise WrongState("reverse_wrong_state", status=int(self.status))

    def check_refund(self, amount: int, expected_deposited: int | None = None) -> int:
        """The amount refund.do of ``amount`` (0 = everything left) would return.

        Pending refunds count as already made: two concurrent requests can never both pass
        the ``expectedDepositedAmount`` guard or together exceed the deposited amount."""
        self._refuse_if_expired()
        if self.status not in (OrderStatus.DEPOSITED, OrderStatus.REFUNDED):
            raise WrongState("refund_wrong_state", status=int(self.status))
        if self._in_flight(OperationKind.REVERSAL):
            raise WrongState("operation_in_progress")
        left = self.totals.refundable
        if expected_deposited is not None and expected_deposited != left:
            raise WrongState(
                "expected_deposited_mismatch", expected=expected_deposited, deposited=left
            )
        if left <= 0:
            raise WrongState("nothing_to_refund")
        if amount == 0:
            return left
        self._check_minimum(amount)
        if amount > left:
            raise WrongState("refund_exceeds_deposit", amount=amount, deposited=left)
        return amount

    def reserve(
        self,
        kind: OperationKind,
        operation_id: str,
        amount: int,
        now: int,
        external_id: str | None = None,
    ) -> Operation:
        """Append a PENDING deposit, reversal or refund (after its ``check_*``)."""
        if kind is OperationKind.AUTHORIZATION:
            raise ValueError("authorizations start with start_attempt()")
        op = Operation(
            operation_id,
            self.id,
            kind,
            OperationState.PENDING,
            amount,
            now,
            action_code=codes.NO_ATTEMPT,
            external_id=external_id,
            sent_at=now,
        )
        self.operations.append(op)
        return op

    def settle(
        self,
        operation_id: str,
        now: int,
        *,
        approved: bool,
        action_code: int,
        reference_number: str | None = None,
        approval_code: str | None = None,
        connector_ref: str | None = None,
    ) -> None:
        """Record the acquirer's answer to a reserved deposit, reversal or refund.  A declined
        one releases what it reserved (a pending refund's money, a blocked reversal)."""
        op = self._operation(operation_id)
        if op.state is not OperationState.PENDING:
            raise WrongState("operation_settled")
        if op.kind is OperationKind.AUTHORIZATION:
            raise ValueError("authorizations settle with authorization_approved/_declined")
        op.state = OperationState.APPROVED if approved else OperationState.DECLINED
        op.action_code = action_code
        op.reference_number = reference_number
        op.approval_code = approval_code
        op.settled_at = now
        if connector_ref:
            op.connector_ref = connector_ref
        if approved:
            self._apply(op, now)
        else:  # a failure callback (status 0) of the operation that failed
            self._record(_CALLBACK_OPERATION[op.kind], 0, now, **_refund_params(op))

    # -- reconciliation (operations whose answer never came) ---------------------------
    def operations_awaiting_acquirer(self) -> list[Operation]:
        return [op for op in self.operations if op.awaiting_acquirer]

    def claim_sync(self, operation_id: str, now: int, next_sync_at: int) -> bool:
        """Take a pending operation for one status inquiry; False when it is settled, not
        with the acquirer, or another reconciler asked less than a backoff ago."""
        op = self._operation(operation_id)
        if not op.awaiting_acquirer:
            return False
        if op.next_sync_at is not None and op.next_sync_at > now:
            return False
        op.sync_attempts += 1
        op.next_sync_at = next_sync_at
        return True

    def find_refund(self, external_id: str) -> Operation | None:
        for op in self.operations:
            if op.kind is OperationKind.REFUND and op.external_id == external_id:
                return op
        return None

    # -- scheduled work (the sweeper) --------------------------------------------------
    @property
    def due_at(self) -> int | None:
        """When the sweeper must next look at the order: the end of an unpaid order's
        lifetime, or a hold's auto-completion/-reversal time (tried once only)."""
        if self.status in PAYABLE:
            return None if self.authorizing else self.expires_at
        if self.status is OrderStatus.APPROVED and not self._hold_action_taken():
            times = [t for t in (self.autocompletion_at, self.auto_reverse_at) if t is not None]
            return min(times) if times else None
        return None

    def due_hold_action(self, now: int) -> OperationKind | None:
        """DEPOSIT or REVERSAL when a hold's autocompletionDate/autoReverseDate has come."""
        due = self.due_at
        if self.status is not OrderStatus.APPROVED or due is None or due > now:
            return None
        if self.autocompletion_at is not None and self.autocompletion_at <= now:
            return OperationKind.DEPOSIT
        return OperationKind.REVERSAL

    # -- helpers -----------------------------------------------------------------------
    def _apply(self, op: Operation, now: int) -> None:
        """The status change an approved deposit, reversal or refund causes (spec §2.3)."""
        self.action_code = codes.APPROVED
        if op.kind is OperationKind.DEPOSIT:
            self.status = OrderStatus.DEPOSITED
            self._record("deposited", 1, now)
            return
        if op.kind is OperationKind.REVERSAL:
            if self.totals.reversed:
                self.status = OrderStatus.REVERSED
                self._record("reversed", 1, now)
            else:  # a partial reversal of a hold: the rest stays held (status 1)
                self._record("reversed", 1, now, operationReversedAmount=str(op.amount))
            return
        self.status = OrderStatus.REFUNDED
        self._record("refunded", 1, now, **_refund_params(op))

    def _operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.id == operation_id:
                return op
        raise WrongState("unknown_operation")

    def _hold_action_taken(self) -> bool:
        """A deposit or reversal was tried on the hold; an approved partial reversal leaves
        the rest held, and its autocompletionDate/autoReverseDate still applies."""
        return any(
            op.kind is OperationKind.DEPOSIT
            or (op.kind is OperationKind.REVERSAL and op.state is not OperationState.APPROVED)
            for op in self.operations
        )

    def _in_flight(self, *kinds: OperationKind) -> bool:
        return any(
            op.kind in kinds and op.state is OperationState.PENDING for op in self.operations
        )

    def _check_minimum(self, amount: int) -> None:
        """Spec §3.5/§3.7: a non-zero amount below one currency unit is a wrong amount."""
        currency = CURRENCIES.get(self.currency)
        unit = 10 ** (currency.exponent if currency else 2)
        if amount < unit:
            raise InvalidParameter("amount", "amount_below_unit", unit=unit)

    def _pending(self, kind: OperationKind) -> Operation | None:
        for op in reversed(self.operations):
            if op.kind is kind and op.state is OperationState.PENDING:
                return op
        return None

    def _settle_pending_authorizations(self, action_code: int, now: int) -> None:
        for op in self.operations:
            if op.kind is OperationKind.AUTHORIZATION and op.state is OperationState.PENDING:
                op.state = OperationState.DECLINED
                op.action_code = action_code
                op.settled_at = now


def _refund_params(op: Operation) -> dict[str, str]:
    """The parameters a ``refunded`` callback adds (spec §4.1); none for other kinds."""
    if op.kind is not OperationKind.REFUND:
        return {}
    params = {"operationRefundedAmount": str(op.amount)}
    if op.external_id:
        params["externalRefundId"] = op.external_id
    return params
