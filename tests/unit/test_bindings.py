"""The binding aggregate and the VERIFY / binding parts of the order, without I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecomgate.domain.bindings import (
    COMMON,
    INSTALLMENT,
    RECURRENT,
    Binding,
    BindingNotFound,
    BindingStateError,
    SealedCard,
    category_for,
    expired,
)
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import InvalidParameter
from ecomgate.domain.operations import OperationKind

from .test_order import NOW, new_order, pay

# 2023-11-14 (UTC)
SEALED = SealedCard("k1", b"n" * 12, b"c" * 32, "h")


def binding(**kw: object) -> Binding:
    base = Binding(
        id="b-1",
        merchant_id="m-1",
        client_id="c-1",
        masked_pan="411111**1111",
        payment_system="VISA",
        created_at=NOW,
        sealed=SEALED,
        expiry="203012",
        order_id="o-1",
        email="buyer@example.com",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_card_is_valid_through_its_expiry_month() -> None:
    assert not expired("202311", NOW)
    assert expired("202310", NOW)
    assert expired("", NOW) and expired("202313", NOW)


def test_belongs_to_the_merchant_and_client_only_once_confirmed() -> None:
    b = binding()
    assert b.belongs_to("m-1") and b.belongs_to("m-1", "c-1")
    assert not b.belongs_to("m-2") and not b.belongs_to("m-1", "c-2")
    assert not binding(confirmed=False).belongs_to("m-1")


@pytest.mark.parametrize(
    "changed", [{"enabled": False}, {"expiry": "202301"}, {"client_id": "c-2"}]
)
def test_a_disabled_expired_or_other_clients_binding_cannot_pay(changed: dict[str, object]) -> None:
    with pytest.raises(BindingNotFound) as refused:
        binding(**changed).ensure_usable(NOW, "c-1")
    assert (refused.value.error_code, refused.value.key) == (5, "binding_not_found")


def test_unbind_and_bind_record_activity_changes_and_refuse_repeats() -> None:
    b = binding()
    b.disable(NOW)
    with pytest.raises(BindingStateError) as again:
        b.disable(NOW)
    assert (again.value.error_code, again.value.key) == (2, "binding_not_active")
    b.enable(NOW + 1)
    with pytest.raises(BindingStateError):
        b.enable(NOW + 2)
    events = b.take_events()
    assert [(e.operation, e.extra, e.order_id) for e in events] == [
        ("bindingActivityChanged", {"enabled": "false"}, None),
        ("bindingActivityChanged", {"enabled": "true"}, None),
    ]
    assert b.take_events() == []


def test_created_event_carries_the_masked_pan_and_contacts_never_the_card() -> None:
    event = binding(confirmed=False, phone="+79990000000").confirm(NOW)
    assert event.operation == "bindingCreated"
    assert (event.binding_id, event.client_id, event.order_id) == ("b-1", "c-1", "o-1")
    assert event.extra == {
        "panMasked": "411111**1111",
        "email": "buyer@example.com",
        "phone": "+79990000000",
    }


def test_new_expiry_must_be_a_future_month_of_an_active_binding() -> None:
    b = binding()
    b.check_new_expiry("203206", NOW)
    for bad in ("202301", "203213", "2032-6", ""):
        with pytest.raises(InvalidParameter):
            b.check_new_expiry(bad, NOW)
    with pytest.raises(BindingNotFound) as inactive:
        binding(enabled=False).check_new_expiry("203206", NOW)
    assert inactive.value.error_code == 2


def test_category_of_a_binding_an_order_creates() -> None:
    assert category_for((), {}) == COMMON
    assert category_for(("AUTO_PAYMENT",), {}) == RECURRENT
    assert category_for((), {"recurringFrequency": "30"}) == RECURRENT
    assert category_for((), {"installments": "3"}) == INSTALLMENT


def test_sealed_card_repr_shows_only_its_key() -> None:
    assert repr(SEALED) == "SealedCard(key_id='k1')"


def test_verify_ends_reversed_never_deposited() -> None:
    order = replace(new_order(amount=0), features=("VERIFY",))
    pay(order)
    assert order.status is OrderStatus.REVERSED
    kinds = [op.kind for op in order.operations]
    assert kinds == [OperationKind.AUTHORIZATION, OperationKind.REVERSAL]
    assert order.totals.deposited_amount == 0
    assert [e.operation for e in order.take_events()] == ["reversed"]


def test_binding_created_by_the_payment_is_an_event_of_the_order() -> None:
    order = new_order()
    pay(order)
    order.take_events()
    order.binding_created(binding(confirmed=False).confirm(NOW))
    assert order.binding_id == "b-1"
    assert [e.operation for e in order.take_events()] == ["bindingCreated"]


def test_add_params_join_the_json_params() -> None:
    order = replace(new_order(), json_params={"a": "1", "b": "2"})
    order.add_params({"b": "3", "c": "4"})
    assert order.json_params == {"a": "1", "b": "3", "c": "4"}
