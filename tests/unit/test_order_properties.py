"""Any sequence of operations keeps the order's money consistent (hypothesis).

refunded <= captured <= authorized <= amount, money reserved by pending refunds is never
refunded twice, and the status always matches the amounts (spec §2.3).  The machine covers
the 3-D Secure transitions (challenge, the ACS return, its claim) and unknown answers, and
checks the other side too: an operation the spec allows in the order's state is accepted,
not only that refusals keep the invariants."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.operations import OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot, Order

CARD = CardSnapshot("456396**1999", "203012", "TEST CARDHOLDER", "VISA")
T0 = 1_700_000_000_000
DAY = 86_400_000


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order: Order | None = None
        self.now = T0
        self.seq = 0

    def _id(self) -> str:
        self.seq += 1
        return f"op-{self.seq}"

    def _tick(self, ms: int = 1000) -> int:
        self.now += ms
        return self.now

    @precondition(lambda self: self.order is None)
    @rule(amount=st.integers(1, 10_000), two_phase=st.booleans())
    def register(self, amount: int, two_phase: bool) -> None:
        self.order = Order(
            id="o",
            merchant_id="m",
            order_number="1",
            amount=amount,
            currency="643",
            two_phase=two_phase,
            created_at=T0,
            expires_at=T0 + 1_200_000,
            return_url="https://shop.example/ok",
        )

    def _payable(self) -> bool:
        order = self.order
        assert order is not None
        return (
            order.status is OrderStatus.CREATED
            and not order.payment_in_progress
            and not order.is_overdue(self.now)
        )

    @precondition(lambda self: self.order is not None)
    @rule()
    def start_payment(self) -> None:
        assert self.order is not None
        expected = self._payable()
        now = self._tick()
        expected = expected and not self.order.is_overdue(now)
        try:
            self.order.start_attempt(now, self._id(), CARD)
        except GatewayError:
            assert not expected, "a payable order refused a payment"
            return
        assert expected, "a payment was accepted on an order that is not payable"

    def _authorizing(self) -> bool:
        order = self.order
        return order is not None and order.status is OrderStatus.CREATED and order.authorizing

    @precondition(lambda self: self._authorizing())
    @rule(answer=st.sampled_from(["approve", "decline", "challenge", "unknown"]))
    def acquirer_answers_the_authorization(self, answer: str) -> None:
        assert self.order is not None
        now = self._tick()
        if answer == "approve":
            self.order.authorization_approved(
                now,
                deposit_operation_id=self._id(),
                approval_code="A",
                auth_ref_num="1",
                terminal_id="T",
            )
            assert self.order.status in (OrderStatus.APPROVED, OrderStatus.DEPOSITED)
        elif answer == "decline":
            self.order.authorization_declined(now, 116, max_attempts=2)
            assert not self.order.payment_in_progress
        elif answer == "challenge":
            if any(
                op.three_ds and op.state is OperationState.PENDING for op in self.order.operations
            ):
                return  # a second challenge is never sent (the processing layer declines it)
            self.order.enter_acs()
            assert self.order.status is OrderStatus.ACS
        else:
            self.order.authorization_unknown()
            assert self.order.authorizing  # still open: only the acquirer may decide

    @precondition(lambda self: self.order is not None and self.order.status is OrderStatus.ACS)
    @rule()
    def buyer_returns_from_the_acs(self) -> None:
        assert self.order is not None
        self.order.claim_3ds_return(self._tick())
        assert self.order.authorizing
        try:  # a second, concurrent return of the same challenge is refused
            self.order.claim_3ds_return(self._tick())
        except GatewayError:
            pass
        else:
            raise AssertionError("one 3-D Secure result was claimed twice")

    @precondition(lambda self: self.order is not None)
    @rule(amount=st.integers(0, 12_000), partial=st.booleans())
    def deposit(self, amount: int, partial: bool) -> None:
        assert self.order is not None
        now = self._tick()
        order = self.order
        in_flight = any(
            op.state is OperationState.PENDING
            and op.kind in (OperationKind.DEPOSIT, OperationKind.REVERSAL)
            for op in order.operations
        )
        # the full capture (amount 0) of a hold with nothing in flight is always allowed
        expected = order.status is OrderStatus.APPROVED and not in_flight and amount == 0
        try:
            value = order.check_deposit(amount, partial_allowed=partial)
        except GatewayError:
            assert not expected, "a full capture of a hold was refused"
            return
        order.reserve(OperationKind.DEPOSIT, self._id(), value, now)

    @precondition(lambda self: self.order is not None)
    @rule(allowed=st.booleans(), late=st.booleans(), amount=st.none() | st.integers(0, 12_000))
    def reverse(self, allowed: bool, late: bool, amount: int | None) -> None:
        assert self.order is not None
        now = self._tick(DAY if late else 1000)
        try:
            value = self.order.check_reverse(
                amount, deposited_allowed=allowed, bank_day_start=now - now % DAY
            )
        except GatewayError:
            return
        self.order.reserve(OperationKind.REVERSAL, self._id(), value, now)

    @precondition(lambda self: self.order is not None)
    @rule(amount=st.integers(0, 12_000), guard=st.booleans())
    def refund(self, amount: int, guard: bool) -> None:
        assert self.order is not None
        now = self._tick()
        expected = self.order.totals.refundable if guard else None
        allowed = (
            amount == 0
            and self.order.status in (OrderStatus.DEPOSITED, OrderStatus.REFUNDED)
            and self.order.totals.refundable > 0
            and not any(
                op.state is OperationState.PENDING and op.kind is OperationKind.REVERSAL
                for op in self.order.operations
            )
        )
        try:
            value = self.order.check_refund(amount, expected)
        except GatewayError:
            assert not allowed, "a refund of what is left was refused"
            return
        assert 0 < value <= self.order.totals.refundable
        self.order.reserve(OperationKind.REFUND, self._id(), value, now)

    @precondition(lambda self: self.order is not None)
    @rule(pick=st.integers(0, 50), approve=st.booleans())
    def acquirer_answers(self, pick: int, approve: bool) -> None:
        assert self.order is not None
        pending = [
            op
            for op in self.order.operations
            if op.state is OperationState.PENDING and op.kind is not OperationKind.AUTHORIZATION
        ]
        if not pending:
            return
        op = pending[pick % len(pending)]
        self.order.settle(op.id, self._tick(), approved=approve, action_code=0 if approve else 5)

    @precondition(lambda self: self.order is not None)
    @rule()
    def decline(self) -> None:
        assert self.order is not None
        allowed = self.order.status is OrderStatus.ACS or (
            self.order.status is OrderStatus.CREATED and not self.order.authorizing
        )
        try:
            self.order.decline(self._tick())
        except GatewayError:
            assert not allowed, "an unpaid order could not be declined"
            return
        assert allowed
        assert self.order.status is OrderStatus.DECLINED

    @precondition(lambda self: self.order is not None)
    @rule()
    def time_passes(self) -> None:
        assert self.order is not None
        authorizing = self.order.authorizing
        status = self.order.status
        self.order.expire(self._tick(2_000_000))
        if authorizing:  # the clock never overrules an acquirer holding the card
            assert self.order.status is status
        elif status in (OrderStatus.CREATED, OrderStatus.ACS):
            assert self.order.status is OrderStatus.DECLINED

    @invariant()
    def an_open_authorization_means_a_payment_in_progress(self) -> None:
        order = self.order
        if order is None:
            return
        pending = [
            op
            for op in order.operations
            if op.kind is OperationKind.AUTHORIZATION and op.state is OperationState.PENDING
        ]
        assert len(pending) <= 1
        if order.status is OrderStatus.ACS:
            assert pending and pending[0].sent_at is None  # the buyer, not the acquirer
        elif pending:
            assert order.status is OrderStatus.CREATED and order.authorizing

    @invariant()
    def money_is_consistent(self) -> None:
        order = self.order
        if order is None:
            return
        t = order.totals
        assert 0 <= t.refunded <= t.captured <= t.authorized <= order.amount
        assert t.pending_refunds >= 0
        assert t.refunded + t.pending_refunds <= t.captured
        assert 0 <= t.refundable <= t.deposited_amount <= t.approved_amount
        approved = {k: 0 for k in OperationKind}
        for op in order.operations:
            if op.state is OperationState.APPROVED:
                approved[op.kind] += 1
        assert approved[OperationKind.AUTHORIZATION] <= 1
        assert approved[OperationKind.DEPOSIT] <= 1
        if order.two_phase:  # what a hold lost to partial reversals cannot be captured
            assert t.captured + t.reversed_amount <= t.authorized
        else:  # a payment is reversed once, in full
            assert approved[OperationKind.REVERSAL] <= 1

    @invariant()
    def status_matches_the_amounts(self) -> None:
        order = self.order
        if order is None:
            return
        t = order.totals
        status = order.status
        if status in (OrderStatus.CREATED, OrderStatus.ACS, OrderStatus.DECLINED):
            assert t.authorized == t.captured == 0
        elif status is OrderStatus.APPROVED:
            assert order.two_phase
            assert (t.authorized, t.captured, t.reversed) == (order.amount, 0, False)
            assert t.approved_amount == t.authorized - t.reversed_amount > 0
        elif status is OrderStatus.DEPOSITED:
            assert t.captured > 0 and t.refunded == 0 and not t.reversed
            assert t.deposited_amount == t.captured
        elif status is OrderStatus.REFUNDED:
            assert t.refunded > 0 and not t.reversed
        elif status is OrderStatus.REVERSED:
            assert t.reversed and t.refunded == 0
            assert t.approved_amount == t.deposited_amount == 0


OrderMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestOrderLifecycle = OrderMachine.TestCase
