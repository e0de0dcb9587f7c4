"""Any sequence of lifecycle operations keeps the order's money consistent (hypothesis).

refunded <= captured <= authorized <= amount, money reserved by pending refunds is never
refunded twice, and the status always matches the amounts (spec §2.3)."""

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

    @precondition(lambda self: self.order is not None)
    @rule(approve=st.booleans())
    def pay(self, approve: bool) -> None:
        assert self.order is not None
        now = self._tick()
        try:
            self.order.start_attempt(now, self._id(), CARD)
        except GatewayError:
            return
        if approve:
            self.order.authorization_approved(
                now,
                deposit_operation_id=self._id(),
                approval_code="A",
                auth_ref_num="1",
                terminal_id="T",
            )
        else:
            self.order.authorization_declined(now, 116, max_attempts=2)

    @precondition(lambda self: self.order is not None)
    @rule(amount=st.integers(0, 12_000), partial=st.booleans())
    def deposit(self, amount: int, partial: bool) -> None:
        assert self.order is not None
        now = self._tick()
        try:
            value = self.order.check_deposit(amount, partial_allowed=partial)
        except GatewayError:
            return
        self.order.reserve(OperationKind.DEPOSIT, self._id(), value, now)

    @precondition(lambda self: self.order is not None)
    @rule(allowed=st.booleans(), late=st.booleans())
    def reverse(self, allowed: bool, late: bool) -> None:
        assert self.order is not None
        now = self._tick(DAY if late else 1000)
        try:
            value = self.order.check_reverse(
                None, deposited_allowed=allowed, bank_day_start=now - now % DAY
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
        try:
            value = self.order.check_refund(amount, expected)
        except GatewayError:
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
        try:
            self.order.decline(self._tick())
        except GatewayError:
            return

    @precondition(lambda self: self.order is not None)
    @rule()
    def time_passes(self) -> None:
        assert self.order is not None
        self.order.expire(self._tick(2_000_000))

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
        assert approved[OperationKind.REVERSAL] <= 1
        assert approved[OperationKind.DEPOSIT] <= 1

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
