from __future__ import annotations

import uuid

from ecomgate.domain.ids import normalize_order_id, uuid7


def test_order_ids_are_lower_case_time_ordered_uuid7() -> None:
    a, b = uuid7(1_700_000_000_000), uuid7(1_700_000_000_001)
    assert a == a.lower() and len(a) == 36
    assert uuid.UUID(a).version == 7
    assert a < b


def test_other_spellings_of_an_order_id_are_normalized() -> None:
    oid = uuid7(1_700_000_000_000)
    assert normalize_order_id(oid.upper()) == oid
    assert normalize_order_id(oid.replace("-", "")) == oid
    assert normalize_order_id("order-42") is None


def test_a_uuid7_floor_orders_before_every_id_of_its_millisecond_and_after_earlier_ones() -> None:
    from ecomgate.domain.ids import uuid7, uuid7_floor, uuid7_ms

    ms = 1_764_000_000_123
    floor = uuid7_floor(ms)
    assert all(uuid7(ms) >= floor > uuid7(ms - 1) for _ in range(200))
    assert uuid7_ms(uuid7(ms)) == ms == uuid7_ms(floor)
