"""The order state machine, without I/O (spec §2)."""

from __future__ import annotations

import pytest

from ecomgate.domain import codes
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import WrongState
from ecomgate.domain.operations import OperationKind
from ecomgate.domain.order import CardSnapshot, Order

CARD = CardSnapshot("411111**1111", "203012", "TEST CARDHOLDER", "VISA")
NOW = 1_700_000_000_000


def new_order(*, two_phase: bool = False, amount: int = 2000) -> Order:
    return Order(
        id="o-1",
        merchant_id="m-1",
        order_number="1",
        amount=amount,
        currency="643",
        two_phase=two_phase,
        created_at=NOW,
        expires_at=NOW + 1_200_000,
        return_url="https://shop.example/ok",
    )


def pay(order: Order, at: int = NOW + 1000) -> None:
    order.start_attempt(at, "auth-1", CARD)
    order.authorization_approved(
        at, deposit_operation_id="dep-1", approval_code="A1B2C3", auth_ref_num="1", terminal_id="T"
    )


def test_a_new_order_is_created_with_no_attempt() -> None:
    order = new_order()
    assert order.status is OrderStatus.CREATED
    assert order.action_code == codes.NO_ATTEMPT
    assert order.payment_state == "CREATED"


def test_one_stage_payment_deposits_the_whole_amount() -> None:
    order = new_order()
    pay(order)
    assert order.status is OrderStatus.DEPOSITED
    t = order.totals
    assert (t.approved_amount, t.deposited_amount, t.refunded) == (2000, 2000, 0)


def test_two_stage_payment_holds_the_amount() -> None:
    order = new_order(two_phase=True)
    pay(order)
    assert order.status is OrderStatus.APPROVED
    assert (order.totals.approved_amount, order.totals.deposited_amount) == (2000, 0)


def test_a_second_attempt_while_one_is_in_flight_is_refused() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    with pytest.raises(WrongState):
        order.start_attempt(NOW, "auth-2", CARD)


def test_a_decline_with_attempts_left_keeps_the_order_payable() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    order.authorization_declined(NOW, 116, max_attempts=3)
    # a failure callback of the attempt; the order's own one comes with its last attempt
    assert [(e.operation, e.status) for e in order.take_events()] == [("declinedCardpresent", 0)]
    assert order.status is OrderStatus.CREATED
    assert order.action_code == 116


def test_the_last_declined_attempt_declines_the_order() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    order.take_events()
    order.authorization_declined(NOW, 116, max_attempts=1)
    assert order.status is OrderStatus.DECLINED
    assert [(e.operation, e.status) for e in order.take_events()] == [
        ("declinedCardpresent", 0),
        ("deposited", 0),
    ]


def test_an_unpaid_order_expires_with_minus_2007() -> None:
    order = new_order()
    assert order.expire(NOW + 1_199_999) is False
    assert order.expire(NOW + 1_200_000) is True
    assert order.status is OrderStatus.DECLINED
    assert order.action_code == codes.ORDER_EXPIRED
    assert [e.operation for e in order.take_events()] == ["declinedByTimeout"]


def test_a_paid_order_never_expires() -> None:
    order = new_order()
    pay(order)
    order.take_events()
    assert order.expire(NOW + 10**9) is False
    assert order.take_events() == []
    assert order.status is OrderStatus.DEPOSITED


def test_the_brand_the_acquirer_reports_wins_over_the_bin_ranges() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    order.update_payment_system("MIR")
    assert order.card is not None and order.card.payment_system == "MIR"
    order.update_payment_system(None)  # no word from the acquirer: the BIN guess stays
    assert order.card.payment_system == "MIR"


def test_a_3ds_return_is_claimed_once_and_then_authorizes() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    order.enter_acs("acq-ref")
    assert order.status is OrderStatus.ACS and not order.authorizing
    assert order.operations[0].sent_at is None  # the buyer owes the next step, not the acquirer
    order.claim_3ds_return(NOW + 5000)
    assert order.authorizing and order.operations[0].sent_at == NOW + 5000
    with pytest.raises(WrongState):
        order.claim_3ds_return(NOW + 5001)


def test_the_rrn_of_a_declined_attempt_survives_the_expiry_of_the_next_one() -> None:
    order = new_order()
    order.start_attempt(NOW, "auth-1", CARD)
    order.authorization_declined(NOW, 116, max_attempts=2, auth_ref_num="611111111111")
    order.start_attempt(NOW + 1, "auth-2", CARD)
    order.enter_acs()
    order.expire(NOW + 1_200_000)  # closes attempt 2 without an acquirer's answer
    assert order.auth_ref_num == "611111111111"


def test_a_partial_reversal_tells_the_shop_the_amount_and_keeps_the_rest_held() -> None:
    order = new_order(two_phase=True, amount=5000)
    order.autocompletion_at = NOW + 86_400_000
    pay(order)
    order.take_events()
    value = order.check_reverse(2000, deposited_allowed=True, bank_day_start=NOW)
    order.reserve(OperationKind.REVERSAL, "rev-1", value, NOW + 2000)
    order.settle("rev-1", NOW + 3000, approved=True, action_code=0)
    assert order.status is OrderStatus.APPROVED
    assert order.totals.approved_amount == 3000
    [event] = order.take_events()
    assert (event.operation, event.status, event.extra) == (
        "reversed",
        1,
        {"operationReversedAmount": "2000"},
    )
    # the hold's autocompletionDate still captures what is left
    assert order.due_at == NOW + 86_400_000
    assert order.due_hold_action(NOW + 86_400_000) is OperationKind.DEPOSIT


def test_a_full_reversal_sends_the_plain_reversed_callback() -> None:
    order = new_order(two_phase=True)
    pay(order)
    order.take_events()
    value = order.check_reverse(None, deposited_allowed=True, bank_day_start=NOW)
    order.reserve(OperationKind.REVERSAL, "rev-1", value, NOW + 2000)
    order.settle("rev-1", NOW + 3000, approved=True, action_code=0)
    assert order.status is OrderStatus.REVERSED
    [event] = order.take_events()
    assert (event.operation, event.extra) == ("reversed", {})


def test_3ds2_steps_are_claimed_in_their_order_and_a_return_of_another_kind_is_refused() -> None:
    order = new_order()
    order.start_attempt(NOW + 1000, "auth-1", CARD)
    order.enter_acs("acq-ref", step="method", trans_id="trans-1")
    assert order.at_acs is not None and order.at_acs.three_ds_step == "method"
    for wrong, key in (
        (None, "three_ds1_not_awaited"),
        ("challenge", "three_ds2_challenge_not_awaited"),
    ):
        with pytest.raises(WrongState) as refused:
            order.claim_3ds_return(NOW + 2000, step=wrong)
        assert refused.value.key == key
    assert order.status is OrderStatus.ACS  # nothing changed
    auth = order.claim_3ds_return(NOW + 2000, step="method")
    assert (order.status, auth.sent_at, auth.three_ds_step) == (
        OrderStatus.CREATED,
        NOW + 2000,
        None,
    )
    order.enter_acs(step="challenge", trans_id="trans-1")
    with pytest.raises(WrongState) as refused:
        order.claim_3ds_return(NOW + 3000, step="method")
    assert refused.value.key == "three_ds2_method_not_awaited"
    order.claim_3ds_return(NOW + 3000, step="challenge")
    assert order.operations[0].three_ds_trans_id == "trans-1"
